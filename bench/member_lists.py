"""Member lists and member counts at province scale: Inner Mongolia's tree with 1.3 million
members, on SQLite and on PostgreSQL.

For each database, a fresh one in a temporary directory (PostgreSQL: massline_bench_lists,
created and dropped here; skipped when no server answers at MASSLINE_BENCH_PG): `migrate`,
`load-divisions --province 15`, `generate-orgs --province 15 --seed 1` and `generate-members
--count N --seed 1`, each in its own process. Then this script again, in a process of its own
(`--measure`), which:

1. picks the root, the prefecture, the county and the township with the most members under
   them (committees at division levels 2, 3 and 4) and the village branch with the most
   members, from the counters;
2. creates one `org_admin` user per level, scoped "subtree" at that organization;
3. times, for each of these users, through django.test.Client (the whole stack: session,
   user, scope, selector, template or JSON), the member list page `/members/` with a status
   filter and with an age band, and the API `/api/v1/members` with a status filter and with a
   mobility filter: the first page, and the 500th (50 rows a page) reached with the cursor a
   user would hold there: the last row of page 499, read once with OFFSET. A scope with fewer
   pages is timed at its last page, and the record says which page that was. At the root,
   the API's cursor is also followed page by page up to there, checking it agrees;
4. times the member count of each place read from the counters (`counters.read`), and once,
   for comparison, a COUNT(*) of the root's members;
5. records the plan (EXPLAIN) of the list query at the root's deepest page.

Prints one JSON object per benchmark, one per line, then a summary; progress goes to stderr.

    .venv/bin/python bench/member_lists.py [--count 1300000] [--requests 100] [--quick]
                                           [--no-sqlite] [--no-postgres]
                                           [--pg-database massline_bench_lists]
    # on a database that already holds the members (DATABASE_URL / MASSLINE_VAR_DIR):
    .venv/bin/python bench/member_lists.py --measure [--requests 100]
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

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
# Another name with --pg-database (on a shared server, one of your own).
PG_DATABASE = "massline_bench_lists"
FULL_COUNT = 1_300_000
QUICK_COUNT = 50_000
DEEP_PAGE = 500
NEXT_PAGE = re.compile(r'href="([^"]*)" data-testid="next-page"')

TARGET_LIST_P95_MS = 100.0
TARGET_COUNT_DB_MS = 5.0

# (endpoint, filter name, query string): two filters for each, one selective, one broad.
LISTS = [
    ("page", "status", "status=probationary"),
    ("page", "age", "age=46to60"),
    ("api", "status", "status=probationary"),
    ("api", "mobility", "mobility=outflow"),
]
# Sorted lists (`sort=`): (endpoint, name, query string); the first page and the
# SORTED_DEEP_PAGE-th, reached by following each page's cursor.
SORTED = [
    ("page", "by_name", "sort=name"),
    ("page", "by_join_date_status", "sort=joined_desc&status=probationary"),
    ("api", "by_name_status", "sort=name&status=probationary"),
]
SORTED_DEEP_PAGE = 20
LEVELS = ("root", "prefecture", "county", "township")
# The root's user choosing an organization lower down (`org=`): (endpoint, filter, place, query).
DRILL_DOWN = [
    ("page", "org_county_age", "county", "age=46to60"),
    ("api", "org_township_status", "township", "status=probationary"),
]


# -- building the database ---------------------------------------------------------------------


def build(env: dict[str, str], count: int) -> dict[str, float]:
    steps = {
        "migrate": [*MASSLINE, "migrate", "--no-input", "-v", "0"],
        "load_divisions": [*MASSLINE, "load-divisions", "--province", PROVINCE],
        "generate_orgs": [*MASSLINE, "generate-orgs", "--province", PROVINCE, "--seed", SEED],
        "generate_members": [
            *MASSLINE,
            "generate-members",
            "--count",
            str(count),
            "--seed",
            SEED,
            "--no-progress",
        ],
    }
    seconds = {}
    for name, args in steps.items():
        log(f"{name} ...")
        seconds[f"{name}_s"] = round(run(args, env)[0], 1)
    return seconds


#: This script; another benchmark over the same database passes its own (bench/workbench.py).
THIS_SCRIPT = Path(__file__).resolve()


def measure_in(env: dict[str, str], requests: int, script: Path = THIS_SCRIPT) -> dict[str, Any]:
    log(f"measuring ({requests} requests each) ...")
    args = [PYTHON, str(script), "--measure", "--requests", str(requests)]
    out = run(args, env)[1]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def bench_sqlite(
    count: int, requests: int, *, name: str = "member_lists", script: Path = THIS_SCRIPT
) -> dict[str, Any]:
    """A fresh SQLite database with the province and `count` members, measured by `script`."""
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-lists-"))
    try:
        env = environment(var_dir, "")
        setup = build(env, count)
        result = measure_in(env, requests, script)
        result["database_mb"] = round(
            sum(p.stat().st_size for p in var_dir.glob("massline.sqlite3*")) / 2**20
        )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return {"benchmark": f"{name}_sqlite", **result, "setup": setup}


def bench_postgres(
    count: int,
    requests: int,
    database: str = PG_DATABASE,
    *,
    name: str = "member_lists",
    script: Path = THIS_SCRIPT,
) -> dict[str, Any]:
    """The same on PostgreSQL, in `database` (created and dropped here)."""
    if database in NOT_OURS | {"massline_bench", "massline_bench_members"} or not re.fullmatch(
        r"[a-z_][a-z0-9_]*", database
    ):
        raise SystemExit(f"not a database of this benchmark: {database}")
    if postgres_version() is None:
        log(f"no PostgreSQL answers at {PG_SERVER}: skipped")
        return {"benchmark": f"{name}_postgresql", "skipped": f"no server at {PG_SERVER}"}
    with pg_connect("postgres") as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {database}")
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-lists-"))
    try:
        env = environment(var_dir, PG_SERVER.rstrip("/") + "/" + database)
        setup = build(env, count)
        result = measure_in(env, requests, script)
        with pg_connect(database) as conn:
            result["table_mb"] = round(
                conn.execute("SELECT pg_total_relation_size('members_member')").fetchone()[0]
                / 2**20
            )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        with pg_connect("postgres") as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return {"benchmark": f"{name}_postgresql", **result, "setup": setup}


def checks(record: dict[str, Any]) -> dict[str, Any]:
    """The worst list p95 and the worst count read against the targets."""
    lists = [t for level in record["lists"].values() for t in level.values()]
    worst = max(max(t["first"]["p95_ms"], t["deep"]["p95_ms"]) for t in lists)
    worst_count_db = max(r["db_p95_ms"] for r in record["counts"].values())
    count_queries = sorted({r["queries"] for r in record["counts"].values()})
    return {
        "worst_list_p95_ms": worst,
        "lists_pass": worst <= TARGET_LIST_P95_MS,
        "worst_count_db_p95_ms": worst_count_db,
        "count_queries": count_queries,
        "counts_pass": worst_count_db <= TARGET_COUNT_DB_MS and count_queries == [1],
        "cursor_followed_agrees": record["cursor_check"]["agrees"],
    }


def orchestrate(args: argparse.Namespace) -> None:
    count = args.count if args.count is not None else (QUICK_COUNT if args.quick else FULL_COUNT)
    requests = args.requests if args.requests is not None else (30 if args.quick else 100)
    start = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    if load_at_start >= (os.cpu_count() or 1):
        log(f"the machine is busy (1-minute load {load_at_start:.2f}): wall times will suffer")
    results: dict[str, bool] = {}
    jobs: list[Callable[[], dict[str, Any]]] = []
    if not args.no_sqlite:
        jobs.append(lambda: bench_sqlite(count, requests))
    if not args.no_postgres:
        jobs.append(lambda: bench_postgres(count, requests, args.pg_database))
    for job in jobs:
        record = job()
        if "skipped" not in record:
            record["checks"] = c = checks(record)
            name = record["benchmark"]
            results[f"{name}: list p95 <= {TARGET_LIST_P95_MS:g} ms"] = c["lists_pass"]
            results[f"{name}: count, 1 query, db p95 <= {TARGET_COUNT_DB_MS:g} ms"] = c[
                "counts_pass"
            ]
            results[f"{name}: cursor followed page by page agrees"] = c["cursor_followed_agrees"]
        emit(record)
    emit(
        {
            "benchmark": "member_lists_summary",
            "date": datetime.date.today().isoformat(),
            "members": count,
            "cores": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version,
            "postgresql": postgres_version(),
            "checks": results,
            "all_pass": all(results.values()),
            "loadavg_1min": {"start": round(load_at_start, 2), "end": round(os.getloadavg()[0], 2)},
            "wall_s": round(time.perf_counter() - start, 1),
        }
    )


# -- measuring, inside Django ------------------------------------------------------------------


def biggest(**where: Any) -> Any:
    """The organization with the most members under it among those matching `where` (read
    from the counters). Django must be set up."""
    from massline.orgs.models import Organization, OrgCounter

    row = (
        OrgCounter.objects.filter(
            metric="members.total", **{f"org__{k}": v for k, v in where.items()}
        )
        .order_by("-subtree", "org_id")
        .values_list("org_id", flat=True)
        .first()
    )
    if row is None:
        raise SystemExit(f"no organization with members where {where}")
    return Organization.objects.get(pk=row)


def bench_user(username: str, role: str, org: Any, scope: str) -> Any:
    """A user with one assignment (`role` at `org` with `scope`), made on first use."""
    from massline.access.models import Role
    from massline.access.services import assignment_create
    from massline.accounts.models import User
    from massline.accounts.services import user_create

    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(actor=None, username=username, password="bench-password-not-secret")
        assignment_create(
            actor=None,
            user=user,
            role=Role.objects.get(code=role),
            org=org,
            scope=scope,
            valid_from=datetime.date(2024, 1, 1),
        )
    return user


def measure(requests: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pages import timed, timed_get

    from massline.access.models import DataScope
    from massline.access.permissions import MEMBERS_VIEW
    from massline.access.policy import scoped
    from massline.access.services import roles_ensure_builtin
    from massline.accounts.models import User
    from massline.members.models import Member
    from massline.members.selectors import PAGE, MemberFilter, member_queryset
    from massline.orgs import counters
    from massline.orgs.models import Organization
    from massline.orgs.paths import subtree_bounds

    load_before = os.getloadavg()
    roles_ensure_builtin(actor=None)

    places = {
        "root": Organization.objects.get(parent__isnull=True),
        "prefecture": biggest(kind="committee", division__level=2),
        "county": biggest(kind="committee", division__level=3),
        "township": biggest(kind="committee", division__level=4),
        "village": biggest(kind="branch", division__level=5),
    }
    totals = {k: counters.read([o.pk])[o.pk]["members.total"][1] for k, o in places.items()}

    def user_at(level: str, org: Organization) -> User:
        return bench_user(f"bench-lists-{level}", "org_admin", org, DataScope.SUBTREE)

    def filters_of(query: str) -> MemberFilter:
        given: dict[str, Any] = dict(part.split("=", 1) for part in query.split("&"))
        if "org" in given:
            given["org"] = Organization.objects.get(pk=int(given["org"]))
        return MemberFilter(**given)

    def deep_cursor(user: User, query: str) -> tuple[int, str, int | None]:
        """The page reached (DEEP_PAGE, or the last one when there are fewer), the cursor a
        user holds there (the last row of the page before) and the first member id on it."""
        qs = member_queryset(
            visible=scoped(Member.objects.all(), user, MEMBERS_VIEW), filters=filters_of(query)
        ).order_by("org_path", "id")
        keys = qs.values_list("org_path", "id")
        page = DEEP_PAGE
        if not keys[(page - 1) * PAGE : (page - 1) * PAGE + 1]:
            rows = qs.count()
            page = max(1, -(-rows // PAGE))
        if page == 1:
            return 1, "", None
        path, last = keys[(page - 1) * PAGE - 1]
        first = keys[(page - 1) * PAGE][1]
        return page, f"{path}:{last}", first

    def url_of(endpoint: str, query: str, cursor: str) -> str:
        base = "/members/" if endpoint == "page" else "/api/v1/members"
        after = f"&after={cursor}" if cursor else ""
        return f"{base}?{query}{after}"

    lists: dict[str, dict[str, Any]] = {}
    plan_sql: tuple[str, Any] | None = None
    cursor_check: dict[str, Any] = {}

    def timed_list(client: Client, user: User, endpoint: str, query: str) -> dict[str, Any]:
        page, cursor, first_id = deep_cursor(user, query)
        deep_url = url_of(endpoint, query, cursor)
        if endpoint == "api":  # the deep page begins where the computed cursor says
            items = json.loads(client.get(deep_url).content)["items"]
            if first_id is not None and (not items or items[0]["id"] != first_id):
                raise SystemExit(f"{deep_url}: page {page} does not start at {first_id}")
        return {
            "query": query,
            "first": timed_get(client, url_of(endpoint, query, ""), requests),
            "deep": {"page": page, **timed_get(client, deep_url, requests)},
        }

    def next_cursor(endpoint: str, response: Any) -> str:
        if endpoint == "api":
            return json.loads(response.content)["next_after"] or ""
        found = NEXT_PAGE.search(response.content.decode())
        if not found:
            return ""
        return parse_qs(urlsplit(html.unescape(found.group(1))).query).get("after", [""])[0]

    def timed_sorted(client: Client, endpoint: str, query: str) -> dict[str, Any]:
        url = url_of(endpoint, query, "")
        first = timed_get(client, url, requests)
        deep_url, page = url, 1
        while page < SORTED_DEEP_PAGE:
            cursor = next_cursor(endpoint, client.get(deep_url))
            if not cursor:
                break
            deep_url, page = url_of(endpoint, query, quote(cursor, safe=":")), page + 1
        return {
            "query": query,
            "first": first,
            "deep": {"page": page, **timed_get(client, deep_url, requests)},
        }

    for level in LEVELS:
        org = places[level]
        user = user_at(level, org)
        client = Client()
        client.force_login(user)
        lists[level] = {}
        for endpoint, name, query in LISTS:
            log(f"{level}: {endpoint} {query} ...")
            lists[level][f"{endpoint}_{name}"] = timed_list(client, user, endpoint, query)
            if level == "root" and endpoint == "api" and name == "status":
                deep = lists[level][f"{endpoint}_{name}"]["deep"]
                plan_sql = capture_list_sql(client, deep["url"], connection)
                cursor = deep["url"].partition("&after=")[2]
                cursor_check = follow(client, url_of(endpoint, query, ""), deep["page"], cursor)
        for endpoint, name, query in SORTED:
            log(f"{level}: {endpoint} {query} ...")
            lists[level][f"{endpoint}_{name}"] = timed_sorted(client, endpoint, query)
        if level == "root":
            lists["root_drill_down"] = {}
            for endpoint, name, place, query in DRILL_DOWN:
                query = f"org={places[place].pk}&{query}"
                log(f"root, {place} chosen: {endpoint} {query} ...")
                lists["root_drill_down"][f"{endpoint}_{name}"] = timed_list(
                    client, user, endpoint, query
                )

    counts: dict[str, Any] = {}
    for place, org in places.items():
        with CaptureQueriesContext(connection) as queries:
            counters.read([org.pk])
        n_queries = len(queries)
        counts[place] = {
            **timed(lambda org_id=org.pk: counters.read([org_id]), requests),
            "queries": n_queries,
            "members": totals[place],
        }
    # For comparison: counting the root's members instead of reading the counter.
    low, high = subtree_bounds(places["root"].path)
    start = time.perf_counter()
    counted = Member.objects.filter(org_path__gte=low, org_path__lt=high).count()
    count_star_ms = round((time.perf_counter() - start) * 1000, 1)

    out = {
        "vendor": connection.vendor,
        "members": counted,
        "requests_per_list": requests,
        "page_size": PAGE,
        "role": "org_admin, subtree scope at the place",
        "places": {
            k: {"id": o.pk, "code": o.code, "name": o.name, "depth": o.depth, "members": totals[k]}
            for k, o in places.items()
        },
        "lists": lists,
        "cursor_check": cursor_check,
        "counts": counts,
        "root_count_star": {"ms": count_star_ms, "members": counted},
        "plan_root_deep_api_status": explain(plan_sql, connection) if plan_sql else None,
        "loadavg_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
    }
    print(json.dumps(out, ensure_ascii=False))


def capture_list_sql(client: Any, url: str, connection: Any) -> tuple[str, Any]:
    """The SQL of the member query a request runs (the one reading members_member)."""
    seen: list[tuple[str, Any]] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if 'FROM "members_member"' in sql:
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        client.get(url)
    if not seen:
        raise SystemExit(f"{url}: no query on members_member")
    return seen[-1]


def explain(statement: tuple[str, Any], connection: Any) -> list[str]:
    sql, params = statement
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    return [" | ".join(str(c) for c in row) for row in rows]


def follow(client: Any, url: str, page: int, cursor: str) -> dict[str, Any]:
    """Follow `next_after` from the first page to `page`, as a client paging through would."""
    after = ""
    start = time.perf_counter()
    for _ in range(page - 1):
        body = json.loads(client.get(url + (f"&after={after}" if after else "")).content)
        after = body["next_after"] or ""
        if not after:
            break
    return {
        "pages_followed": page - 1,
        "agrees": after == cursor,
        "seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, help=f"members (default {FULL_COUNT})")
    parser.add_argument("--requests", type=int, help="timed requests per list (default 100)")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_COUNT} members, 30 requests per list"
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--pg-database", default=PG_DATABASE, help="created and dropped (default %(default)s)"
    )
    parser.add_argument(
        "--measure", action="store_true", help="measure the database of this environment"
    )
    args = parser.parse_args()
    if args.measure:
        measure(args.requests or 100)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
