"""Server time of the organization pages, the tree fragment, the stats endpoint and a counter
read, on a database that already holds a generated province.

Run by bench/run.py in a subprocess whose environment names the database (DATABASE_URL or
MASSLINE_VAR_DIR); sets Django up itself and prints one JSON object on stdout.

    python bench/pages.py --requests 200 --role campaign_office [--compare-role system_admin]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from massline.access.models import DataScope  # noqa: E402
from massline.access.services import roles_ensure_builtin  # noqa: E402
from massline.accounts.models import User  # noqa: E402
from massline.orgs import counters  # noqa: E402
from massline.orgs.models import Organization, OrgCounter  # noqa: E402

WARMUP = 10
# 内蒙古自治区 (root) → 新城区 (a county of 呼和浩特) → a village branch under 保合少镇.
COUNTY_CODE = "150102000000"
TOWNSHIP_CODE = "150102101"
# Role code → data scope of its assignment at the root.
SCOPES = {"campaign_office": DataScope.SUBTREE, "system_admin": DataScope.ALL}


class QueryTimer:
    """Adds up the wall time spent in the database driver's execute (connection.execute_wrapper).
    On PostgreSQL that is the round trip and the server's work; on SQLite, which runs in this
    process, it is already part of the CPU time."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start


def summary(wall: list[float], cpu: list[float], db: list[float]) -> dict[str, float | int]:
    """Percentiles of the wall time (what a client waits for, the figure the targets use), of
    this process's CPU time (unaffected by other load on the machine) and of the time spent
    waiting on the database driver."""

    def cuts(seconds: list[float]) -> list[float]:
        return statistics.quantiles([s * 1000 for s in seconds], n=100, method="inclusive")

    w, c, d = cuts(wall), cuts(cpu), cuts(db)
    return {
        "n": len(wall),
        "p50_ms": round(w[49], 2),
        "p95_ms": round(w[94], 2),
        "max_ms": round(max(wall) * 1000, 2),
        "cpu_p50_ms": round(c[49], 2),
        "cpu_p95_ms": round(c[94], 2),
        "db_p50_ms": round(d[49], 2),
        "db_p95_ms": round(d[94], 2),
    }


def timed(call: Callable[[], object], n: int) -> dict[str, float | int]:
    for _ in range(WARMUP):
        call()
    wall, cpu, db = [], [], []
    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        for _ in range(n):
            start, start_cpu, start_db = time.perf_counter(), time.process_time(), timer.seconds
            call()
            db.append(timer.seconds - start_db)
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start)
    return summary(wall, cpu, db)


def bench_user(role_code: str, root: Organization) -> User:
    from member_lists import bench_user as user_with

    user: User = user_with(f"bench-{role_code}", role_code, root, SCOPES[role_code])
    return user


def get(client: Client, url: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: status {response.status_code}")
        return response

    return call


def timed_get(client: Client, url: str, n: int) -> dict[str, object]:
    """GET `url` timed `n` times (`timed`), with the queries and the size of one response."""
    call = get(client, url)
    with CaptureQueriesContext(connection) as queries:
        response = call()
    count = len(queries)  # now: each later request clears the connection's query log
    return {"url": url, **timed(call, n), "queries": count, "bytes": len(response.content)}


def endpoint(client: Client, url: str, n: int) -> dict[str, object]:
    with CaptureQueriesContext(connection) as queries:
        response = get(client, url)()
    count = len(queries)  # now: the next request clears the connection's query log
    return {
        "url": url,
        **timed(get(client, url), n),
        "queries": count,
        "bytes": len(response.content),  # type: ignore[attr-defined]
    }


def endpoints(client: Client, org: Organization, n: int) -> dict[str, object]:
    return {
        "page": endpoint(client, f"/orgs/{org.pk}/", n),
        "children": endpoint(client, f"/orgs/{org.pk}/children/", n),
        "stats_api": endpoint(client, f"/api/v1/orgs/{org.pk}/stats", n),
    }


def logged_in(role_code: str, root: Organization) -> Client:
    client = Client()
    client.force_login(bench_user(role_code, root))
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--role", default="campaign_office", help="timed at every place")
    parser.add_argument("--compare-role", default="", help="timed at the root only")
    args = parser.parse_args()
    n = args.requests
    load_before = os.getloadavg()

    roles_ensure_builtin(actor=None)
    root = Organization.objects.get(parent__isnull=True)
    places = {
        "root": root,
        "county": Organization.objects.get(code=COUNTY_CODE),
        "village": Organization.objects.filter(
            code__startswith=TOWNSHIP_CODE, kind="branch", division__level=5
        )
        .order_by("code")
        .first(),
    }
    out: dict[str, object] = {
        "vendor": connection.vendor,
        "organizations": Organization.objects.count(),
        "counter_rows": OrgCounter.objects.count(),
        "requests_per_endpoint": n,
        "warmup": WARMUP,
        "places": {
            k: {"id": o.pk, "code": o.code, "name": o.name, "depth": o.depth}
            for k, o in places.items()
        },
        "role": f"{args.role}, {SCOPES[args.role]} at the root",
    }
    client = logged_in(args.role, root)
    out["at"] = {place: endpoints(client, org, n) for place, org in places.items()}
    if args.compare_role:
        client = logged_in(args.compare_role, root)
        out["compare_role"] = f"{args.compare_role}, {SCOPES[args.compare_role]}"
        out["compare_role_at_root"] = endpoints(client, root, n)

    reads: dict[str, object] = {}
    for place in ("root", "village"):
        org_id = places[place].pk
        with CaptureQueriesContext(connection) as queries:
            rows = counters.read([org_id])
        count = len(queries)
        reads[place] = {
            **timed(lambda org_id=org_id: counters.read([org_id]), n),
            "queries": count,
            "metrics": len(rows.get(org_id, {})),
        }
    out["counters_read"] = reads
    out["loadavg_1min"] = {
        "before": round(load_before[0], 2),
        "after": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
