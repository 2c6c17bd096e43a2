"""Roster import benchmark: a generated province roster (CSV in the import template) checked
(dry run), imported into an empty roster, and imported again (nothing changes), on SQLite and
PostgreSQL, each in a throwaway database. Prints one JSON object per run.

    python bench/imports.py [--count 1300000] [--no-postgres] [--no-sqlite]

Issue target: 1.3 million rows into PostgreSQL ≤ 20 s end to end, SQLite ≤ 40 s, peak memory
≤ 1 GiB. Peak memory is the largest of the import's processes (the importer or a worker).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    MASSLINE,
    NOT_OURS,
    PG_SERVER,
    emit,
    environment,
    log,
    pg_connect,
    postgres_version,
    run,
)
from members import generate, prepare, verify

PG_DATABASE = "massline_bench_imports"


def import_runs(env: dict[str, str], roster: Path, count: int, rows_in: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"rows": count}
    for name, extra in (("dry_run", ["--dry-run"]), ("first_load", []), ("again", [])):
        log(f"import-members {name} ...")
        wall, out, rss = run(
            [*MASSLINE, "import-members", str(roster), "--no-progress", *extra], env
        )
        record[f"{name}_s"] = round(wall, 1)
        record[f"{name}_peak_rss_mb"] = round(rss)
        record[f"{name}_rows_per_s"] = round(count / wall)
        record[f"{name}_says"] = out.strip().splitlines()[-1] if out.strip() else ""
    record["rows_in_table"] = rows_in()
    record.update(verify(env))
    return record


def roster_file(env: dict[str, str], folder: Path, count: int) -> Path:
    path = folder / "roster.csv"
    generate(env, count, 7, path)
    return path


def bench_sqlite(count: int, roster: Path | None) -> tuple[dict[str, Any], Path]:
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-imports-"))
    env = environment(var_dir, "")
    setup = prepare(env)
    keep = Path(tempfile.mkdtemp(prefix="massline-bench-roster-"))
    roster = roster or roster_file(env, keep, count)
    db = var_dir / "massline.sqlite3"

    def rows_in() -> int:
        with closing(sqlite3.connect(db)) as conn:
            return conn.execute("SELECT count(*) FROM members_member").fetchone()[0]

    try:
        record = {"benchmark": "import_sqlite", **import_runs(env, roster, count, rows_in)}
        record["file_mb"] = round(roster.stat().st_size / 2**20)
        record["setup"] = setup
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return record, roster


def bench_postgres(count: int, roster: Path | None) -> tuple[dict[str, Any], Path | None]:
    assert PG_DATABASE not in NOT_OURS
    if postgres_version() is None:
        log(f"no PostgreSQL answers at {PG_SERVER}: skipped")
        return {"benchmark": "import_postgresql", "skipped": f"no server at {PG_SERVER}"}, roster
    with pg_connect("postgres") as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DATABASE}")
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-imports-"))

    def rows_in() -> int:
        with pg_connect(PG_DATABASE) as conn:
            return conn.execute("SELECT count(*) FROM members_member").fetchone()[0]

    try:
        env = environment(var_dir, PG_SERVER.rstrip("/") + "/" + PG_DATABASE)
        setup = prepare(env)
        if roster is None:
            roster = roster_file(
                env, Path(tempfile.mkdtemp(prefix="massline-bench-roster-")), count
            )
        record = {"benchmark": "import_postgresql", **import_runs(env, roster, count, rows_in)}
        record["setup"] = setup
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        with pg_connect("postgres") as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    return record, roster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_300_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    roster: Path | None = None
    try:
        if not args.no_postgres:
            record, roster = bench_postgres(args.count, roster)
            emit(record)
        if not args.no_sqlite:
            record, roster = bench_sqlite(args.count, roster)
            emit(record)
    finally:
        if roster is not None:
            shutil.rmtree(roster.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
