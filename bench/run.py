"""massline benchmarks: `make bench`, or `.venv/bin/python bench/run.py`.

Prints one JSON object per benchmark, one per line, then a summary with the machine, the
date and each target's pass or fail. Progress goes to stderr.

1. load_sqlite: a fresh SQLite database in a temporary directory; `massline migrate`,
   `load-divisions --province 15` and `generate-orgs --province 15 --seed 1`, each timed.
2. pages_sqlite: on that database, server time of the organization page, the tree fragment
   and the stats endpoint at the root, a county and a village, and of a counter read
   (bench/pages.py, in its own process).
3. load_postgresql, pages_postgresql: the same on PostgreSQL, in a database of its own
   (massline_bench) created and dropped here; skipped when no server answers at
   MASSLINE_BENCH_PG (a server URL without a database name; by default
   postgres://postgres@127.0.0.1:5432/).
4. member_lists_sqlite, member_lists_postgresql: bench/member_lists.py (its own process), on
   fresh databases of its own with the same tree and 1,300,000 generated members: the member
   list page and API at the root, a prefecture, a county and a township, first and 500th
   page, and the member counts read from the counters. Takes several minutes per database.
5. import_postgresql, import_sqlite: bench/imports.py (its own process): a generated roster
   CSV of as many members checked (dry run), imported into an empty roster and imported again.
6. queue_embedded, queue_redis: bench/jobqueue.py (its own process): 1,000 small jobs (200
   with --quick) through real consumers, on the embedded default and on Redis with PostgreSQL.
7. nation_postgresql, only with --nation: bench/nation.py (its own process): the whole
   country on PostgreSQL (665,271 divisions, about 2.2 million organizations) in a database of
   its own (massline_bench_nation, created and dropped): load and skeleton timed, the database
   size, the organization pages and stats at the national level, a province and a village.
   15 to 20 minutes on 2 cores, so `make bench` leaves it out.
8. audit_log_sqlite, audit_log_postgresql: bench/auditlog.py (its own process): 1,000,000
   audit rows (100,000 with --quick) over a province's tree, the audit log page at the root
   filtered by action, by a subtree and by both, first and 100th page.
10. campaign_schedule_sqlite, campaign_schedule_postgresql: bench/campaign_schedule.py (its own
   process): the rollout schedule of the province's ~70,000 organizations computed and stored
   (first time, and again with every organization moved), on fresh databases of its own.
9. export_xlsx, import_xlsx_vs_csv: bench/files.py (its own process): the export job's .xlsx
   of as many members (peak memory of the job's process, then read back by a dry run), and a
   dry run of a 200,000-row roster as .xlsx against the same rows as CSV (20,000 rows, and
   50,000 members over sheets of 20,000, with --quick). SQLite.

10. workbench_sqlite, workbench_postgresql: bench/workbench.py (its own process), on fresh
   databases of its own with the same tree and members: the workbench `/`, the notices page
   and `GET /api/v1/notices?unread=true` for users at the root (office and system
   administrator), a prefecture, a county and a village, with 200,000 other notices, unread
   ones of their own and open transfers; p95 and queries.

11. campaign_actions_sqlite, campaign_actions_postgresql: bench/campaign_actions.py (its own
   process), on fresh databases of its own with the province's tree: recording one completion
   with its evidence (the page's POST with a 200 KB PDF) p95 ≤ 50 ms, and a village's
   checklist page and schedule API.
12. campaign_overview_sqlite, campaign_overview_postgresql: bench/campaign_overview.py (its own
   process), on fresh databases of its own with the province's tree: the demo's campaign
   scheduled (timed, and the overview's rollups alone), then the overview page, the list of
   organizations not started and the overview API at the root, a county and a village; p95.
13. campaign_coverage_sqlite, campaign_coverage_postgresql: bench/campaign_coverage.py (its own
   process), on fresh databases of its own with the province's tree and members (--members):
   the demo's campaign, most members of opened branches reached, then the coverage page and
   API and the members not reached at the root, a county and a village; p95.
14. opinions_stats_sqlite, opinions_stats_postgresql: bench/opinions_stats.py (its own process),
   on fresh databases of its own with the province's tree and 5,000 opinions made in bulk: the
   opinion statistics page and API (and the inbox) at the root, a county and a village; p95.
14a. rectification_rates_sqlite, rectification_rates_postgresql: bench/rectification_rates.py
   (its own process), on fresh databases of its own with the province's tree and 5,000 fixes,
   their evaluations and 5,000 answered opinions made in bulk: the three-rates dashboard, its
   API and the children's ranking at the root, a county and a village; p95.

15. opinions_load_sqlite, opinions_load_postgresql: bench/opinions_load.py (its own process),
   on fresh databases of its own with the province's tree: public submissions at 400 and 800
   per second, open loop, through the production server (gunicorn as `massline serve` runs
   it, production mode; Redis as the cache with PostgreSQL); p99, nothing lost, a flood
   refused with 429; then the inbox and statistics through the same server; p95.
16. evaluations_load_sqlite, evaluations_load_postgresql: bench/evaluations_load.py (its own
   process), on fresh databases of its own with the province's tree and closed fixes with
   evaluation codes made in bulk: public evaluations at 300 and 600 per second, open loop,
   through the production server; p99, nothing lost (stored = accepted = codes used, counters
   equal a recount), a flood refused with 429, a rework at the threshold.
17. rectification_export_sqlite, rectification_export_postgresql: bench/rectification_export.py
   (its own process), on fresh databases of its own with the province's tree and 100,000
   fixes made in bulk (20,000 with --quick): the ledger export job to .xlsx at the root; its
   time (<= 60 s) and the job process's peak RSS (<= 500 MiB).

Options: --requests N (timed requests per endpoint, default 200), --no-postgres,
--members N (members for 4. and 13., default 1,300,000; 0 skips them), --quick (50 requests per
endpoint, 50,000 members, 30 requests per member list: a few minutes in all), --nation (adds 7.).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from common import (
    MASSLINE,
    NOT_OURS,
    PG_SERVER,
    PYTHON,
    ROOT,
    emit,
    environment,
    log,
    pg_connect,
    postgres_version,
    run,
)

PROVINCE = "15"
SEED = "1"
PG_DATABASE = "massline_bench"

TARGET_LOAD_S = 30.0
TARGET_PAGE_P95_MS = 50.0
MEMBERS = 1_300_000
QUICK_MEMBERS = 50_000


def load(env: dict[str, str]) -> dict[str, Any]:
    """migrate, load-divisions, generate-orgs into an empty database, each timed."""
    steps = {
        "migrate": [*MASSLINE, "migrate", "--no-input", "-v", "0"],
        "load_divisions": [*MASSLINE, "load-divisions", "--province", PROVINCE],
        "generate_orgs": [*MASSLINE, "generate-orgs", "--province", PROVINCE, "--seed", SEED],
    }
    seconds: dict[str, float] = {}
    for name, args in steps.items():
        log(f"{name} ...")
        seconds[name] = run(args, env)[0]
    # A command that only starts Django: the share of each step that is process start-up.
    startup = run([*MASSLINE, "version"], env)[0]
    total = sum(seconds.values())
    return {
        **{f"{k}_s": round(v, 2) for k, v in seconds.items()},
        "total_s": round(total, 2),
        "django_startup_s": round(startup, 2),
        "target_total_s": TARGET_LOAD_S,
        "pass": total <= TARGET_LOAD_S,
    }


def pages(env: dict[str, str], requests: int, compare_role: str) -> dict[str, Any]:
    log(f"request timings ({requests} requests per endpoint) ...")
    args = [PYTHON, str(ROOT / "bench" / "pages.py"), "--requests", str(requests)]
    if compare_role:
        args += ["--compare-role", compare_role]
    out = run(args, env)[1]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    timed = [*result["at"].values()]
    if "compare_role_at_root" in result:
        timed.append(result["compare_role_at_root"])
    worst = max(place[name]["p95_ms"] for place in timed for name in ("page", "children"))
    at = result["at"]
    reads = result["counters_read"]
    result["checks"] = {
        "worst_page_or_fragment_p95_ms": worst,
        "pages_pass": worst <= TARGET_PAGE_P95_MS,
        "stats_queries_root_village": [
            at["root"]["stats_api"]["queries"],
            at["village"]["stats_api"]["queries"],
        ],
        "stats_same_cost_pass": at["root"]["stats_api"]["queries"]
        == at["village"]["stats_api"]["queries"],
        "counters_read_queries_root_village": [
            reads["root"]["queries"],
            reads["village"]["queries"],
        ],
        "counters_same_cost_pass": reads["root"]["queries"] == reads["village"]["queries"],
    }
    return result


def bench_sqlite(requests: int) -> list[dict[str, Any]]:
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-"))
    try:
        env = environment(var_dir, "")
        loaded = load(env)
        db = var_dir / "massline.sqlite3"
        with closing(sqlite3.connect(db)) as conn:
            loaded["organizations"] = conn.execute(
                "SELECT count(*) FROM orgs_organization"
            ).fetchone()[0]
            loaded["divisions"] = conn.execute("SELECT count(*) FROM orgs_division").fetchone()[0]
        loaded["database_mb"] = round(db.stat().st_size / 2**20, 1)
        timed = pages(env, requests, compare_role="system_admin")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return [
        {"benchmark": "load_sqlite", **loaded},
        {"benchmark": "pages_sqlite", **timed},
    ]


def bench_postgres(requests: int) -> list[dict[str, Any]]:
    assert PG_DATABASE not in NOT_OURS
    if postgres_version() is None:
        log(f"no PostgreSQL answers at {PG_SERVER}: skipped")
        return [{"benchmark": "postgresql", "skipped": f"no server answers at {PG_SERVER}"}]
    with pg_connect("postgres") as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DATABASE}")
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-"))
    try:
        env = environment(var_dir, PG_SERVER.rstrip("/") + "/" + PG_DATABASE)
        loaded = load(env)
        with pg_connect(PG_DATABASE) as conn:
            loaded["organizations"] = conn.execute(
                "SELECT count(*) FROM orgs_organization"
            ).fetchone()[0]
            loaded["divisions"] = conn.execute("SELECT count(*) FROM orgs_division").fetchone()[0]
        loaded.pop("target_total_s")
        loaded.pop("pass")
        timed = pages(env, requests, compare_role="")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        with pg_connect("postgres") as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    return [
        {"benchmark": "load_postgresql", **loaded},
        {"benchmark": "pages_postgresql", **timed},
    ]


def script(name: str, *args: str) -> list[dict[str, Any]]:
    """bench/NAME in its own process (its progress on stderr); the JSON lines it prints."""
    command = [PYTHON, str(ROOT / "bench" / name), *args]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def member_lists(members: int, requests: int, postgres: bool) -> list[dict[str, Any]]:
    log(f"member lists with {members} members ...")
    extra = [] if postgres else ["--no-postgres"]
    return script("member_lists.py", "--count", str(members), "--requests", str(requests), *extra)


TARGET_IMPORT_S = {"import_postgresql": 20.0, "import_sqlite": 40.0}
TARGET_IMPORT_RSS_MB = 1024


def imports(members: int, postgres: bool) -> list[dict[str, Any]]:
    log(f"roster import of {members} members ...")
    return script("imports.py", "--count", str(members), *([] if postgres else ["--no-postgres"]))


TARGET_EXPORT_RSS_MIB = 500
TARGET_XLSX_RATIO = 2.0
FILE_ROWS = 200_000
QUICK_FILE_ROWS = 20_000
QUICK_SHEET_ROWS = 20_000


def files(members: int, quick: bool) -> list[dict[str, Any]]:
    rows = QUICK_FILE_ROWS if quick else FILE_ROWS
    log(f"roster files: .xlsx export of {members} members, .xlsx against CSV on {rows} rows ...")
    extra = ["--sheet-rows", str(QUICK_SHEET_ROWS)] if quick else []
    return script("files.py", "--count", str(members), "--rows", str(rows), *extra)


def job_queue(postgres: bool, jobs: int) -> list[dict[str, Any]]:
    log(f"task queue: {jobs} small jobs ...")
    return script("jobqueue.py", "--jobs", str(jobs), *([] if postgres else ["--no-postgres"]))


def audit_log(postgres: bool, rows: int, requests: int) -> list[dict[str, Any]]:
    log(f"audit log with {rows} rows ...")
    extra = [] if postgres else ["--no-postgres"]
    return script("auditlog.py", "--rows", str(rows), "--requests", str(requests), *extra)


def workbench(members: int, requests: int, postgres: bool) -> list[dict[str, Any]]:
    log(f"workbench with {members} members ...")
    extra = [] if postgres else ["--no-postgres"]
    return script("workbench.py", "--count", str(members), "--requests", str(requests), *extra)


def campaign_schedule(postgres: bool) -> list[dict[str, Any]]:
    log("campaign rollout schedule over the province ...")
    return script("campaign_schedule.py", *([] if postgres else ["--no-postgres"]))


def campaign_actions(requests: int, postgres: bool) -> list[dict[str, Any]]:
    log("campaign actions: recording completions, a village's checklist ...")
    extra = [] if postgres else ["--no-postgres"]
    return script("campaign_actions.py", "--requests", str(requests), *extra)


def campaign_overview(requests: int, postgres: bool) -> list[dict[str, Any]]:
    log("campaign overview over the province ...")
    extra = [] if postgres else ["--no-postgres"]
    return script("campaign_overview.py", "--requests", str(requests), *extra)


def campaign_coverage(requests: int, members: int, postgres: bool) -> list[dict[str, Any]]:
    log("campaign coverage over the province's members ...")
    extra = [] if postgres else ["--no-postgres"]
    return script(
        "campaign_coverage.py", "--requests", str(requests), "--count", str(members), *extra
    )


def opinions_stats(requests: int, postgres: bool) -> list[dict[str, Any]]:
    log("opinion statistics over the province ...")
    extra = [] if postgres else ["--no-postgres"]
    return script("opinions_stats.py", "--requests", str(requests), *extra)


def rectification_rates(requests: int, postgres: bool) -> list[dict[str, Any]]:
    log("the three rates over the province ...")
    extra = [] if postgres else ["--no-postgres"]
    return script("rectification_rates.py", "--requests", str(requests), *extra)


def opinions_load(quick: bool, postgres: bool) -> list[dict[str, Any]]:
    log("public submission under load, through the production server ...")
    extra = [] if postgres else ["--no-postgres"]
    seconds = ["--seconds", "5", "--requests", "30"] if quick else []
    return script("opinions_load.py", *seconds, *extra)


def evaluations_load(quick: bool, postgres: bool) -> list[dict[str, Any]]:
    log("public evaluation under load, through the production server ...")
    extra = [] if postgres else ["--no-postgres"]
    seconds = ["--seconds", "5"] if quick else []
    return script("evaluations_load.py", *seconds, *extra)


def rectification_export(quick: bool, postgres: bool) -> list[dict[str, Any]]:
    log("the rectification ledger export of the province ...")
    extra = [] if postgres else ["--no-postgres"]
    fixes = ["--fixes", "20000"] if quick else []
    return script("rectification_export.py", *fixes, *extra)


def nation(requests: int) -> list[dict[str, Any]]:
    log("the whole country on PostgreSQL ...")
    return script("nation.py", "--requests", str(requests))


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import django

    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 2**20, 1),
        "os": os_name,
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--members", type=int, help=f"members for the list benchmark ({MEMBERS})")
    parser.add_argument("--quick", action="store_true", help="fewer requests, 50,000 members")
    parser.add_argument(
        "--nation", action="store_true", help="also the whole country on PostgreSQL (15-20 min)"
    )
    args = parser.parse_args()
    if args.quick and args.requests == parser.get_default("requests"):
        args.requests = 50
    members = args.members if args.members is not None else QUICK_MEMBERS if args.quick else MEMBERS
    start = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    if load_at_start >= (os.cpu_count() or 1):
        log(f"the machine is busy (1-minute load {load_at_start:.2f}): wall times will suffer")
    records = bench_sqlite(args.requests)
    for record in records:
        emit(record)
    if not args.no_postgres:
        for record in bench_postgres(args.requests):
            emit(record)
            records.append(record)
    list_checks: dict[str, bool] = {}
    if members > 0:
        for record in member_lists(members, 30 if args.quick else 100, not args.no_postgres):
            if record["benchmark"] == "member_lists_summary":
                list_checks = record["checks"]
            else:
                emit(record)
    checks: dict[str, bool] = {}
    for r in records:
        name = r["benchmark"]
        if "pass" in r:
            checks[f"{name}: total <= {TARGET_LOAD_S:g} s"] = r["pass"]
        if "checks" in r:
            c = r["checks"]
            checks[f"{name}: page and fragment p95 <= {TARGET_PAGE_P95_MS:g} ms"] = c["pages_pass"]
            checks[f"{name}: stats at root and village, same queries"] = c["stats_same_cost_pass"]
            checks[f"{name}: counter read at root and village, same queries"] = c[
                "counters_same_cost_pass"
            ]
    checks.update(list_checks)
    if members > 0:
        for record in imports(members, not args.no_postgres):
            emit(record)
            name = record["benchmark"]
            if "first_load_s" in record:
                checks[f"{name}: first load <= {TARGET_IMPORT_S[name]:g} s"] = (
                    record["first_load_s"] <= TARGET_IMPORT_S[name]
                )
                checks[f"{name}: peak memory <= {TARGET_IMPORT_RSS_MB} MiB"] = (
                    max(record[f"{k}_peak_rss_mb"] for k in ("dry_run", "first_load", "again"))
                    <= TARGET_IMPORT_RSS_MB
                )
                checks[f"{name}: counters match a recount"] = record["counters_match"]
    if members > 0:
        for record in files(members, args.quick):
            emit(record)
            if record["benchmark"] == "export_xlsx":
                checks[f"export_xlsx: peak memory <= {TARGET_EXPORT_RSS_MIB} MiB"] = (
                    record["peak_rss_mib"] <= TARGET_EXPORT_RSS_MIB
                )
            else:
                checks[f"import_xlsx_vs_csv: xlsx <= {TARGET_XLSX_RATIO:g} x CSV"] = record["pass"]
    for record in job_queue(not args.no_postgres, 200 if args.quick else 1000):
        emit(record)
        if "checks" in record:
            checks["queue_redis: paced p95 queue-to-start <= 1 s"] = record["checks"]["pass"]
    for record in audit_log(not args.no_postgres, 100_000 if args.quick else 1_000_000, 50):
        emit(record)
        if "pass" in record:
            checks[f"{record['benchmark']}: pages p95 <= 100 ms"] = record["pass"]
    if members > 0:
        for record in workbench(members, 30 if args.quick else 100, not args.no_postgres):
            if record["benchmark"] == "workbench_summary":
                checks.update(record["checks"])
            else:
                emit(record)
    for record in campaign_schedule(not args.no_postgres):
        if record["benchmark"] == "campaign_schedule_summary":
            checks.update(record["checks"])
        else:
            emit(record)
    for record in campaign_actions(50 if args.quick else 100, not args.no_postgres):
        if record["benchmark"] == "campaign_actions_summary":
            checks.update(record["checks"])
        else:
            emit(record)
    for record in campaign_overview(30 if args.quick else 100, not args.no_postgres):
        if record["benchmark"] == "campaign_overview_summary":
            checks.update(record["checks"])
        else:
            emit(record)
    if members:
        for record in campaign_coverage(30 if args.quick else 100, members, not args.no_postgres):
            if record["benchmark"] == "campaign_coverage_summary":
                checks.update(record["checks"])
            else:
                emit(record)
    for record in opinions_stats(30 if args.quick else 100, not args.no_postgres):
        if record["benchmark"] == "opinions_stats_summary":
            checks.update(record["checks"])
        else:
            emit(record)
    for record in rectification_rates(30 if args.quick else 100, not args.no_postgres):
        if record["benchmark"] == "rectification_rates_summary":
            checks.update(record["checks"])
        else:
            emit(record)
    for record in opinions_load(args.quick, not args.no_postgres):
        if record["benchmark"] == "opinions_load_summary":
            checks.update(record["checks"])
        else:
            emit(record)
    for record in evaluations_load(args.quick, not args.no_postgres):
        if record["benchmark"] == "evaluations_load_summary":
            checks.update(record["checks"])
        else:
            emit(record)
    for record in rectification_export(args.quick, not args.no_postgres):
        if record["benchmark"] == "rectification_export_summary":
            checks.update(record["checks"])
        else:
            emit(record)
    if args.nation and not args.no_postgres:
        for record in nation(30 if args.quick else 100):
            emit(record)
            c = record.get("checks")
            if c:
                checks[f"nation_postgresql: pages p95 <= {TARGET_PAGE_P95_MS:g} ms"] = c[
                    "pages_pass"
                ]
                checks["nation_postgresql: no page scans a subtree"] = c["no_scans_pass"]
                checks["nation_postgresql: stats at province and village, same queries"] = c[
                    "stats_same_cost_pass"
                ]
    emit(
        {
            "benchmark": "summary",
            "date": datetime.date.today().isoformat(),
            "machine": machine(),
            "members_in_list_benchmark": members,
            "checks": checks,
            "all_pass": all(checks.values()),
            "loadavg_1min": {"start": round(load_at_start, 2), "end": round(os.getloadavg()[0], 2)},
            "wall_s": round(time.perf_counter() - start, 1),
        }
    )


if __name__ == "__main__":
    main()
