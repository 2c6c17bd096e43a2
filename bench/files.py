"""Benchmarks of the roster's files: the .xlsx export of a province, and reading .xlsx
against CSV. Prints one JSON object per benchmark; progress goes to stderr.

1. export_xlsx: a fresh SQLite database as bench/run.py sets one up (`migrate`,
   `load-divisions --province 15`, `generate-orgs`), `generate-members --count N`
   (1,300,000), then one process that runs a `members.export` job to .xlsx (as the web's
   export does past its threshold, in immediate mode) for an administrator of the province,
   with full numbers: the job's time, the file's size and sheets, and the peak RSS of that
   process (getrusage of the child, read with os.wait4: Django's start-up included). Target:
   peak ≤ 500 MiB. Then the file is read back by `import-members --dry-run` (every row
   unchanged): its time and the importing process's peak RSS (calamine holds a sheet whole).
2. import_xlsx_vs_csv: on a fresh database with the same organizations and no members, a
   generated roster of M rows (200,000) as CSV, and the same rows as two .xlsx files: as
   Excel saves a workbook (shared strings) and as the export writes one (inline strings);
   each checked by `import-members --dry-run`, best of two runs: the imports' own times
   (as they report them) and wall times, the ratios to CSV, the importers' peak RSS.
   Target: xlsx ≤ 2 × CSV, for both.

    .venv/bin/python bench/files.py [--count 1300000] [--rows 200000] [--sheet-rows N]
                                    [--no-export] [--no-compare] [--var-dir DIR]

--writers N also writes N rows with xlsxwriter (constant memory) and with openpyxl (write
only), each in its own process: how the export's writer was chosen.

--var-dir reuses a database that already holds the members (MASSLINE_VAR_DIR of a prepared
SQLite database) for 1. instead of generating one. --sheet-rows sets MEMBER_EXPORT_SHEET_ROWS
in the exporting process (default: the setting's, 1,048,575).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MASSLINE, PYTHON, ROOT, emit, environment, log, run
from members import generate, prepare

TARGET_EXPORT_RSS_MIB = 500
TARGET_XLSX_RATIO = 2.0


def _child_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def child_export(sheet_rows: int | None) -> None:
    """In the measured process: a `members.export` job to .xlsx, run here (immediate mode),
    for an administrator of the province's root organization."""
    import time

    _child_setup()
    from django.conf import settings

    from massline.access.models import DataScope, Role
    from massline.access.services import assignment_create, roles_ensure_builtin
    from massline.accounts.models import User
    from massline.core import jobs
    from massline.members import roster_export
    from massline.orgs.models import Organization

    if sheet_rows:
        settings.MEMBER_EXPORT_SHEET_ROWS = sheet_rows
    roles_ensure_builtin(actor=None)
    user, created = User.objects.get_or_create(username="bench-export")
    if created:
        import datetime

        assignment_create(
            actor=None,
            user=user,
            role=Role.objects.get(code="org_admin"),
            org=Organization.objects.order_by("path").first(),
            scope=DataScope.SUBTREE,
            valid_from=datetime.date.today() - datetime.timedelta(days=1),
            valid_to=None,
            custom_orgs=[],
        )
    started = time.perf_counter()
    job = jobs.enqueue(
        roster_export.JOB_KIND,
        actor=user,
        params=roster_export.job_params({}, "xlsx", "zh-hans"),
        mode="immediate",
    )
    seconds = time.perf_counter() - started
    result = job.result or {}
    path = jobs.folder(job) / "members.xlsx"
    print(
        json.dumps(
            {
                "status": job.status,
                "error": job.error,
                "rows": result.get("count"),
                "full_numbers": result.get("full_numbers"),
                "job_s": round(seconds, 1),
                "path": str(path),
            }
        )
    )


def child_to_xlsx(source: str, target: str, shared: bool) -> None:
    """The rows of a CSV roster as an .xlsx of text cells: as the export's writer writes them
    (strings inline, constant memory), or with `shared` as Excel saves a workbook (a table of
    shared strings, which calamine reads about twice as fast)."""
    _child_setup()
    from massline.members.roster_export.writers import write_xlsx

    with open(source, encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)  # the export's writer writes its own
        if not shared:
            write_xlsx((tuple(r) for r in rows), target)
            return
        import xlsxwriter

        book = xlsxwriter.Workbook(target, {"strings_to_numbers": False})
        sheet = book.add_worksheet("花名册")
        for r, cells in enumerate([header, *rows]):
            for c, value in enumerate(cells):
                if value:
                    sheet.write_string(r, c, value)
        book.close()


def child_writer(library: str, rows: int, target: str) -> None:
    """In the measured process: `rows` roster rows of 17 text cells written by `library`
    (xlsxwriter in constant-memory mode, or openpyxl in write-only mode), one sheet."""
    import time

    cells = ["巴特尔", "男", "蒙古族", "150102198503141014", "1985-03-14", "大学本科", "在职",
             "2010-07-01", "2011-07-01", "正式党员", "150102101201", "13912345678", "", "",
             "否", "第一党小组", ""]  # fmt: skip
    started = time.perf_counter()
    if library == "xlsxwriter":
        import xlsxwriter

        book = xlsxwriter.Workbook(target, {"constant_memory": True})
        sheet = book.add_worksheet("花名册")
        for r in range(rows):
            for c, value in enumerate(cells):
                if value:
                    sheet.write_string(r, c, value if c else f"{value}{r}")
        book.close()
    else:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("花名册")
        for r in range(rows):
            ws.append([f"{cells[0]}{r}", *cells[1:]])
        wb.save(target)
    print(json.dumps({"seconds": round(time.perf_counter() - started, 1)}))


def bench_writers(rows: int) -> dict[str, Any]:
    """The two streaming writers on the same rows, each in a process of its own."""
    record: dict[str, Any] = {"benchmark": "xlsx_writers", "rows": rows}
    with tempfile.TemporaryDirectory() as folder:
        for library in ("xlsxwriter", "openpyxl"):
            target = Path(folder) / f"{library}.xlsx"
            log(f"{library}: {rows} rows ...")
            command = [PYTHON, __file__, "--child-writer", library, str(rows), str(target)]
            _wall, out, rss = run(command, dict(os.environ))
            record[library] = {
                "seconds": json.loads(out.strip().splitlines()[-1])["seconds"],
                "peak_rss_mib": round(rss),
                "file_mib": round(target.stat().st_size / 2**20, 1),
            }
    return record


def sheets_of(path: Path) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from massline.members.roster_import.workbook import scan

    return [sheet.name for sheet in scan(path)]


# The import's own time, the last figure of what `import-members` prints ("… in 3.9 s).").
_SECONDS = re.compile(r"([0-9]+(?:\.[0-9]+)?)[^0-9]*$")


def dry_run(env: dict[str, str], path: Path) -> tuple[float, float, float, str]:
    """`import-members --dry-run`: the import's own seconds (as it reports them), the wall
    time (Django's start-up included), the peak RSS of the importing process, its last line."""
    wall, out, rss = run(
        [*MASSLINE, "import-members", str(path), "--dry-run", "--no-progress"], env
    )
    says = out.strip().splitlines()[-1] if out.strip() else ""
    found = _SECONDS.search(says)
    return (float(found.group(1)) if found else wall), wall, rss, says


def bench_export(count: int, sheet_rows: int | None, var_dir: Path | None) -> dict[str, Any]:
    own = var_dir is None
    folder = var_dir or Path(tempfile.mkdtemp(prefix="massline-bench-files-"))
    env = environment(folder, "")
    record: dict[str, Any] = {"benchmark": "export_xlsx", "database": "sqlite"}
    try:
        if own:
            record["setup"] = prepare(env)
            record["generate"] = generate(env, count, 1, None)
        command = [PYTHON, __file__, "--child-export"]
        if sheet_rows:
            command += ["--sheet-rows", str(sheet_rows)]
        log("export job to .xlsx ...")
        wall, out, rss = run(command, env)
        job = json.loads(out.strip().splitlines()[-1])
        if job["status"] != "done":
            raise SystemExit(f"the export job failed: {job['error']}")
        path = Path(job["path"])
        record.update(
            {
                "rows": job["rows"],
                "full_numbers": job["full_numbers"],
                "job_s": job["job_s"],
                "wall_s": round(wall, 1),
                "rows_per_s": round(job["rows"] / job["job_s"]) if job["job_s"] else None,
                "peak_rss_mib": round(rss),
                "file_mib": round(path.stat().st_size / 2**20, 1),
                "sheets": sheets_of(path),
                "target_peak_rss_mib": TARGET_EXPORT_RSS_MIB,
                "pass": rss <= TARGET_EXPORT_RSS_MIB,
            }
        )
        log("reading it back: import-members --dry-run ...")
        seconds, wall, rss, says = dry_run(env, path)
        record["read_back"] = {
            "dry_run_s": round(seconds, 1),
            "wall_s": round(wall, 1),
            "peak_rss_mib": round(rss),
            "says": says,
        }
        path.unlink()
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
    return record


def bench_compare(rows: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="massline-bench-files-"))
    env = environment(folder, "")
    try:
        setup = prepare(env)
        roster = folder / "roster.csv"
        generate(env, rows, 7, roster)
        files = {"csv": roster}
        for kind, shared in (("xlsx_excel", True), ("xlsx_export", False)):
            log(f"the same rows as {kind} ...")
            files[kind] = folder / f"{kind}.xlsx"
            command = [PYTHON, __file__, "--child-to-xlsx", str(roster), str(files[kind])]
            run(command + (["--shared-strings"] if shared else []), env)
        record: dict[str, Any] = {"benchmark": "import_xlsx_vs_csv", "database": "sqlite"}
        record["rows"] = rows
        for kind, path in files.items():
            runs = []
            for _ in range(2):
                log(f"import-members --dry-run {kind} ...")
                runs.append(dry_run(env, path))
            best = min(runs)
            record[f"{kind}_s"] = round(best[0], 2)
            record[f"{kind}_wall_s"] = round(min(r[1] for r in runs), 2)
            record[f"{kind}_peak_rss_mib"] = round(max(r[2] for r in runs))
            record[f"{kind}_file_mib"] = round(path.stat().st_size / 2**20, 1)
        record["says"] = best[3]
        # the target is judged on the imports' own times; with Django's start-up (the wall
        # times) the ratios are smaller
        for kind in ("xlsx_excel", "xlsx_export"):
            record[f"{kind}_ratio"] = round(record[f"{kind}_s"] / record["csv_s"], 2)
            record[f"{kind}_wall_ratio"] = round(record[f"{kind}_wall_s"] / record["csv_wall_s"], 2)
        record["target_ratio"] = TARGET_XLSX_RATIO
        record["pass"] = all(
            record[f"{kind}_ratio"] <= TARGET_XLSX_RATIO for kind in ("xlsx_excel", "xlsx_export")
        )
        record["setup"] = setup
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_300_000, help="members exported")
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the compared files")
    parser.add_argument("--sheet-rows", type=int, default=None)
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--no-compare", action="store_true")
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument(
        "--writers", type=int, default=0, help="also compare the xlsx writers on N rows"
    )
    parser.add_argument("--child-writer", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--child-export", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-to-xlsx", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--shared-strings", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        child_export(args.sheet_rows)
        return
    if args.child_to_xlsx:
        child_to_xlsx(*args.child_to_xlsx, args.shared_strings)
        return
    if args.child_writer:
        library, rows, target = args.child_writer
        child_writer(library, int(rows), target)
        return
    if args.writers:
        emit(bench_writers(args.writers))
    if not args.no_export:
        emit(bench_export(args.count, args.sheet_rows, args.var_dir))
    if not args.no_compare:
        emit(bench_compare(args.rows))


if __name__ == "__main__":
    main()
