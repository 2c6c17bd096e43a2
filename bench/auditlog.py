"""Audit log benchmark: a province's tree with 1,000,000 audit rows spread over its
organizations, people and actions, then the audit log page at the root (a system
administrator) filtered by action, by an organization subtree and by both, first and 100th
page, p95 server time. On SQLite and PostgreSQL, each in a throwaway database.

    python bench/auditlog.py [--rows 1000000] [--requests 50] [--no-postgres]

Issue target: p95 ≤ 100 ms for each of these pages. The 100th page is reached as a reader
reaches it, by the `before` cursor of the 99th; only that page's request is timed.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import NOT_OURS, PG_SERVER, PYTHON, emit, environment, log, pg_connect, postgres_version
from members import prepare

PG_DATABASE = "massline_bench_audit"
TARGET_P95_MS = 100.0
PAGE_100 = 100
OLDER = re.compile(r'href="(\?[^"]*)" data-testid="older"')
# (action, weight): what a province's log holds most of.
ACTIONS = [
    ("members.status", 30),
    ("members.create", 20),
    ("members.mobility", 10),
    ("members.reveal", 10),
    ("members.export", 3),
    ("members.transfer_request", 5),
    ("members.transfer_send", 4),
    ("members.transfer_receive", 4),
    ("orgs.update", 5),
    ("access.assign", 5),
    ("access.end", 2),
    ("members.lost", 2),
]


def inner(rows: int, requests: int) -> None:
    """In a process whose environment names the prepared database: fill, then time."""
    import random
    import time

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import datetime as dt

    from django.db import connection
    from django.utils import timezone
    from pages import logged_in, timed  # type: ignore[import-not-found]

    from massline.access.auditlog.selectors import PAGE
    from massline.access.services import roles_ensure_builtin
    from massline.accounts.models import User
    from massline.core.models import AuditEvent
    from massline.orgs.models import Organization

    roles_ensure_builtin(actor=None)
    rng = random.Random(7)
    orgs = list(Organization.objects.values_list("pk", "path", "kind", "name"))
    branches = [o for o in orgs if o[2] == "branch"] or orgs
    actions = [a for a, _w in ACTIONS]
    weights = [w for _a, w in ACTIONS]
    root_org = Organization.objects.get(parent__isnull=True)
    client = logged_in("system_admin", root_org)
    people = [None, *User.objects.all()]
    existing = AuditEvent.objects.count()
    if existing >= rows:  # a kept database (--keep), measured again
        log(f"reusing the {existing:,} audit rows already there ...")
        fill_s = 0.0
    else:
        log(f"writing {rows:,} audit rows over {len(orgs):,} organizations ...")
        start = time.perf_counter()
        now = timezone.now()
        batch: list[AuditEvent] = []
        for i in range(rows):
            action = rng.choices(actions, weights)[0]
            pk, path, _kind, name = rng.choice(
                orgs if action.startswith(("orgs", "access")) else branches
            )
            batch.append(
                AuditEvent(
                    actor=people[i % len(people)],
                    action=action,
                    org_id=pk,
                    org_path=path,
                    target_type="members.member"
                    if action.startswith("members")
                    else "orgs.organization",
                    target_id=str(i),
                    target_label=f"成员{i}" if action.startswith("members") else name,
                    before={"status": "probationary"} if action == "members.status" else None,
                    after={"status": "full"} if action == "members.status" else {"name": name},
                )
            )
            if len(batch) == 5_000:
                AuditEvent.objects.bulk_create(batch)
                batch = []
        if batch:
            AuditEvent.objects.bulk_create(batch)
        # a year of history, older rows first, as a real log grows
        first = AuditEvent.objects.order_by("pk").values_list("pk", flat=True).first() or 0
        with connection.cursor() as cursor:
            seconds = 365 * 86400
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE core_auditevent SET created_at = %s + make_interval(secs => (id - %s) * %s)",
                    [now - dt.timedelta(days=365), first, seconds / rows],
                )
                cursor.execute("VACUUM ANALYZE core_auditevent")  # as autovacuum would
            else:
                start_ts = (now - dt.timedelta(days=365)).timestamp()
                cursor.execute(
                    "UPDATE core_auditevent SET created_at = "
                    "strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s + (id - %s) * %s, 'unixepoch')",
                    [start_ts, first, seconds / rows],
                )
                cursor.execute("ANALYZE")
        fill_s = time.perf_counter() - start

    # 呼和浩特市 (a prefecture of about a twelfth of the tree) and a county under it
    prefecture = (
        Organization.objects.filter(code="150100000000").first()
        or Organization.objects.filter(depth=1).order_by("code").first()
    )
    county = (
        Organization.objects.filter(code="150102000000").first()  # 新城区
        or Organization.objects.filter(depth=2, path__startswith=prefecture.path)
        .order_by("code")
        .first()
    )
    # a small subtree: the region's working committee for its own organs (about 0.5% of rows)
    small = Organization.objects.filter(code="150000000000-WA").first() or county
    filters = {
        "action": {"action": "members.create"},
        "subtree_prefecture": {"org": prefecture.pk},
        "subtree_county": {"org": county.pk},
        "action_and_subtree": {"action": "members.status", "org": prefecture.pk},
        "action_and_small_subtree": {"action": "members.status", "org": small.pk},
        "none": {},
    }
    results: dict[str, Any] = {}
    for name, params in filters.items():
        query = "&".join(f"{k}={v}" for k, v in params.items())
        url = f"/access/audit/?{query}"
        cursor_url = url
        for _ in range(PAGE_100 - 1):  # walk to the 100th page as a reader does
            page = client.get(cursor_url).content.decode()
            older = OLDER.search(page)
            if older is None:
                break
            cursor_url = "/access/audit/" + html.unescape(older.group(1))
        shown = client.get(cursor_url).content.decode().count("data-event=")

        def call(u: str) -> Any:
            def go() -> None:
                r = client.get(u)
                if r.status_code != 200:
                    raise SystemExit(f"GET {u}: {r.status_code}")

            return go

        results[name] = {
            "first": timed(call(url), requests),
            "page_100": {**timed(call(cursor_url), requests), "rows_on_it": shown},
        }
    worst = max(r[p]["p95_ms"] for r in results.values() for p in ("first", "page_100"))
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "rows": AuditEvent.objects.count(),
                "organizations": len(orgs),
                "page_size": PAGE,
                "fill_s": round(fill_s, 1),
                "requests": requests,
                "places": {
                    "prefecture": prefecture.name,
                    "county": county.name,
                    "small": small.name,
                },
                "pages": results,
                "worst_p95_ms": worst,
                "target_p95_ms": TARGET_P95_MS,
                "pass": worst <= TARGET_P95_MS,
            },
            ensure_ascii=False,
        )
    )


def outer(env: dict[str, str], rows: int, requests: int) -> dict[str, Any]:
    setup = prepare(env)
    command = [PYTHON, __file__, "--inner", "--rows", str(rows), "--requests", str(requests)]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "setup": setup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.rows, args.requests)
        return
    if not args.no_sqlite:
        var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-audit-"))
        try:
            emit(
                {
                    "benchmark": "audit_log_sqlite",
                    **outer(environment(var_dir, ""), args.rows, args.requests),
                }
            )
        finally:
            shutil.rmtree(var_dir, ignore_errors=True)
    if args.no_postgres:
        return
    assert PG_DATABASE not in NOT_OURS
    if postgres_version() is None:
        emit({"benchmark": "audit_log_postgresql", "skipped": f"no server at {PG_SERVER}"})
        return
    with pg_connect("postgres") as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DATABASE}")
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-audit-"))
    try:
        env = environment(var_dir, PG_SERVER.rstrip("/") + "/" + PG_DATABASE)
        emit({"benchmark": "audit_log_postgresql", **outer(env, args.rows, args.requests)})
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        if not args.keep:
            with pg_connect("postgres") as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
