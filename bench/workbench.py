"""The workbench (工作台, `/`) and the notices at province scale: Inner Mongolia's tree with
1.3 million members, on SQLite and on PostgreSQL.

For each database, a fresh one in a temporary directory (PostgreSQL: massline_bench_workbench,
created and dropped here; skipped when no server answers at MASSLINE_BENCH_PG): `migrate`,
`load-divisions --province 15`, `generate-orgs --province 15 --seed 1` and `generate-members
--count N --seed 1`, each in its own process. Then this script again, in a process of its own
(`--measure`), which:

1. adds what the to-dos read: 200,000 notices over 2,000 other users, 150 unread notices and
   finished-job notices for each measured user, and open transfers (through the service);
2. creates users at the root (a campaign office with a subtree scope, a system administrator
   with the `all` scope), at the prefecture and the county with the most members, and at the
   village branch with the most members (organization administrators);
3. times, for each, through django.test.Client (the whole stack: session, user, scope, every
   block of the page, the template), the workbench `/`, the notices page `/notices/` and
   `GET /api/v1/notices?unread=true`, and counts their queries.

Prints one JSON object per database, one per line, then a summary; progress goes to stderr.

    .venv/bin/python bench/workbench.py [--count 1300000] [--requests 100] [--quick]
                                        [--no-sqlite] [--no-postgres]
    # on a database that already holds the members (DATABASE_URL / MASSLINE_VAR_DIR):
    .venv/bin/python bench/workbench.py --measure [--requests 100]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import member_lists
from common import ROOT, emit, log, postgres_version
from member_lists import bench_user, biggest

PG_DATABASE = "massline_bench_workbench"
THIS_SCRIPT = Path(__file__).resolve()
FULL_COUNT = 1_300_000
QUICK_COUNT = 50_000
TARGET_P95_MS = 100.0
OTHER_USERS = 2_000
NOTICES_PER_OTHER = 100
OWN_UNREAD = 150
TRANSFERS = 100


def bench_sqlite(count: int, requests: int) -> dict[str, Any]:
    return member_lists.bench_sqlite(count, requests, name="workbench", script=THIS_SCRIPT)


def bench_postgres(count: int, requests: int) -> dict[str, Any]:
    return member_lists.bench_postgres(
        count, requests, PG_DATABASE, name="workbench", script=THIS_SCRIPT
    )


def orchestrate(args: argparse.Namespace) -> None:
    count = args.count if args.count is not None else (QUICK_COUNT if args.quick else FULL_COUNT)
    requests = args.requests if args.requests is not None else (30 if args.quick else 100)
    start = time.perf_counter()
    results: dict[str, bool] = {}
    jobs: list[Callable[[], dict[str, Any]]] = []
    if not args.no_sqlite:
        jobs.append(lambda: bench_sqlite(count, requests))
    if not args.no_postgres:
        jobs.append(lambda: bench_postgres(count, requests))
    for job in jobs:
        record = job()
        if "skipped" not in record:
            worst = max(p["workbench"]["p95_ms"] for p in record["users"].values())
            queries = sorted({p["workbench"]["queries"] for p in record["users"].values()})
            record["checks"] = {"worst_workbench_p95_ms": worst, "workbench_queries": queries}
            results[f"{record['benchmark']}: workbench p95 <= {TARGET_P95_MS:g} ms"] = (
                worst <= TARGET_P95_MS
            )
        emit(record)
    emit(
        {
            "benchmark": "workbench_summary",
            "date": datetime.date.today().isoformat(),
            "members": count,
            "cores": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version,
            "postgresql": postgres_version(),
            "checks": results,
            "all_pass": all(results.values()),
            "wall_s": round(time.perf_counter() - start, 1),
        }
    )


# -- measuring, inside Django ------------------------------------------------------------------


def measure(requests: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from django.db import connection
    from django.test import Client
    from pages import timed_get

    from massline.access.models import DataScope
    from massline.access.services import roles_ensure_builtin
    from massline.accounts.models import User
    from massline.members.models import Member
    from massline.members.transfers.services import transfer_request
    from massline.notices.job_notices import JOB_FINISHED
    from massline.notices.kinds import register_notice_kind
    from massline.notices.services import send
    from massline.orgs.models import Organization

    load_before = os.getloadavg()
    roles_ensure_builtin(actor=None)
    register_notice_kind("bench.note", "bench")

    root = Organization.objects.get(parent__isnull=True)
    places = {
        "root_office": ("campaign_office", root, DataScope.SUBTREE),
        "root_admin": ("system_admin", root, DataScope.ALL),
        "prefecture": (
            "org_admin",
            biggest(kind="committee", division__level=2),
            DataScope.SUBTREE,
        ),
        "county": ("org_admin", biggest(kind="committee", division__level=3), DataScope.SUBTREE),
        "village": ("org_admin", biggest(kind="branch", division__level=5), DataScope.THIS_ORG),
    }

    users = {name: bench_user(f"bench-workbench-{name}", *spec) for name, spec in places.items()}

    log(f"{OTHER_USERS * NOTICES_PER_OTHER} notices over {OTHER_USERS} other users ...")
    started = time.perf_counter()
    others = [User(username=f"bench-workbench-other-{i}", password="!") for i in range(OTHER_USERS)]
    User.objects.bulk_create(others, ignore_conflicts=True)
    other_ids = list(
        User.objects.filter(username__startswith="bench-workbench-other-").values_list(
            "pk", flat=True
        )
    )
    for i in range(NOTICES_PER_OTHER):
        send(other_ids, "bench.note", f"note:{i}", params={}, link="/")
    send_s = round(time.perf_counter() - started, 1)
    for user in users.values():
        for i in range(OWN_UNREAD):
            send([user], "bench.note", f"own:{i}", link="/")
        for i in range(5):
            send(
                [user],
                JOB_FINISHED,
                f"job:{i}",
                params={"job_kind": "members.export", "status": "done"},
            )

    log(f"{TRANSFERS} open transfers ...")
    branches = list(
        Organization.objects.filter(kind="branch", path__startswith=places["county"][1].path)
        .order_by("path")
        .values_list("pk", flat=True)[:50]
    )
    movers = Member.objects.filter(org_path__startswith=places["county"][1].path).order_by("pk")[
        :TRANSFERS
    ]
    made = 0
    for member in movers:
        target = next((b for b in branches if b != member.org_id), None)
        if target is None:
            break
        try:
            transfer_request(
                actor=None,
                member=member,
                to_org=Organization.objects.get(pk=target),
                reason="bench",
            )
            made += 1
        except Exception as exc:  # a member the rules refuse (already moving, ...)
            log(f"transfer refused: {exc}")

    measured: dict[str, Any] = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        log(f"{name}: / ...")
        role, org, scope = places[name]
        measured[name] = {
            "role": role,
            "scope": scope,
            "org": {"code": org.code, "name": org.name, "depth": org.depth},
            "workbench": timed_get(client, "/", requests),
            "notices_page": timed_get(client, "/notices/", requests),
            "notices_api_unread": timed_get(client, "/api/v1/notices?unread=true", requests),
        }
    from massline.notices.models import Notice

    out = {
        "vendor": connection.vendor,
        "members": Member.objects.count(),
        "organizations": Organization.objects.count(),
        "notices": Notice.objects.count(),
        "notices_send_s": send_s,
        "open_transfers": made,
        "requests_per_page": requests,
        "users": measured,
        "loadavg_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
    }
    print(json.dumps(out, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, help=f"members (default {FULL_COUNT})")
    parser.add_argument("--requests", type=int, help="timed requests per page (default 100)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT} members, 30 requests")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--measure", action="store_true", help="measure the current database")
    args = parser.parse_args()
    if args.measure:
        measure(args.requests or 100)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
