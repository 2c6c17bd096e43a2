"""Opinion statistics (decision 0021, "Statistics") over a whole generated province: the
statistics page, `GET /api/v1/opinions/stats` and, for comparison, the inbox's first page, at
the province's root, at the county with the most opinions and at a village branch, on SQLite
and on PostgreSQL. Target (issue 11): p95 <= 100 ms, flat across levels.

For each database, a fresh one in a temporary directory (PostgreSQL: massline_bench_opstats,
created and dropped here; skipped when no server answers at MASSLINE_BENCH_PG): `migrate`,
`load-divisions --province 15`, `generate-orgs --province 15 --seed 1`. Then this script again
in a process of its own (`--measure`): `--opinions` opinions created in bulk at random
organizations (every channel and status, some overdue, most categorized, about 70 %
anonymous), their counters by `bump_many` from `counters.counts` and checked against a
recount, then each address `--requests` times with a signed-in client (server time, as
bench/pages.py measures it).

    .venv/bin/python bench/opinions_stats.py [--opinions 5000] [--requests 100]
                                             [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections import defaultdict
from typing import Any

from common import (
    MASSLINE,
    PYTHON,
    ROOT,
    arguments,
    emit,
    log,
    on_fresh_databases,
    run,
    three_places,
)

PG_DATABASE = "massline_bench_opstats"
TARGET_MS = 100.0
PROVINCE, SEED = "15", "1"


def build(env: dict[str, str]) -> dict[str, float]:
    steps = {
        "migrate": [*MASSLINE, "migrate", "--no-input", "-v", "0"],
        "load_divisions": [*MASSLINE, "load-divisions", "--province", PROVINCE],
        "generate_orgs": [*MASSLINE, "generate-orgs", "--province", PROVINCE, "--seed", SEED],
    }
    seconds = {}
    for name, args in steps.items():
        log(f"{name} ...")
        seconds[f"{name}_s"] = round(run(args, env)[0], 1)
    return seconds


def _opinions_in_bulk(n: int) -> float:
    """`n` opinions at random organizations, rows and counters in bulk; the seconds taken."""
    from django.db import transaction
    from django.utils import timezone

    from massline.opinions.counters import counts
    from massline.opinions.models import Channel, Opinion, OpinionCategory, OpinionStatus
    from massline.opinions.similar import fold
    from massline.orgs import counters
    from massline.orgs.models import Organization

    rng = random.Random(1)
    orgs = list(Organization.objects.values_list("pk", "path"))
    categories = list(OpinionCategory.objects.values_list("pk", flat=True))
    today = timezone.localdate()
    texts = [
        "村里路灯坏了三个月没人修",
        "会议太多，文件太多",
        "低保评定不公开",
        "小区门口垃圾没人清理",
    ]
    started = time.perf_counter()
    rows = []
    for i in range(n):
        org_id, path = rng.choice(orgs)
        status = rng.choice(OpinionStatus.values)
        dispatched = status in ("dispatched", "handling", "replied", "closed", "returned")
        text = f"{rng.choice(texts)}{i}"
        rows.append(
            Opinion(
                org_id=org_id,
                org_path=path,
                channel=rng.choice(Channel.values),
                submitter_category="public",
                anonymous=rng.random() < 0.7,
                text=text,
                text_folded=fold(text),
                category_id=rng.choice(categories) if rng.random() < 0.8 else None,
                status=status,
                received_on=today,
                lead_org_id=org_id if dispatched else None,
                lead_path=path if dispatched else "",
                overdue=dispatched and rng.random() < 0.2,
            )
        )
    changes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in rows:
        for code, v in counts(o).items():
            if v:
                changes[o.org_path][code] += v
    with transaction.atomic():
        Opinion.objects.bulk_create(rows, batch_size=2000)
        counters.bump_many(changes)
    return time.perf_counter() - started


def measure(n: int, requests: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from member_lists import bench_user
    from pages import timed_get

    from massline.access.services import roles_ensure_builtin
    from massline.opinions.models import Opinion
    from massline.orgs import counters
    from massline.orgs.models import Organization

    roles_ensure_builtin(actor=None)
    log(f"{n} opinions in bulk ...")
    bulk_s = _opinions_in_bulk(n)
    log("recount ...")
    drift = counters.rebuild(check_only=True)
    assert not drift, drift[:5]
    places = three_places("opinions.total")
    measured: dict[str, Any] = {}
    for name, (role, org, scope) in places.items():
        client = Client()
        client.force_login(bench_user(f"bench-opstats-{name}", role, org, scope))
        log(f"{name} ...")
        measured[name] = {
            "org": {"code": org.code, "name": org.name, "depth": org.depth},
            "children": Organization.objects.filter(parent=org).count(),
            "opinions": Opinion.objects.filter(org_path__startswith=org.path).count(),
            "stats_page": timed_get(client, f"/opinions/orgs/{org.pk}/stats/", requests),
            "stats_api": timed_get(client, f"/api/v1/opinions/stats?org={org.pk}", requests),
            "inbox_page": timed_get(client, f"/opinions/orgs/{org.pk}/", requests),
        }
    p95s = [
        v["p95_ms"]
        for place in measured.values()
        for key, v in place.items()
        if key.startswith("stats_")
    ]
    return {
        "vendor": connection.vendor,
        "organizations": Organization.objects.count(),
        "opinions": Opinion.objects.count(),
        "bulk_opinions_s": round(bulk_s, 2),
        "requests_per_page": requests,
        "places": measured,
        "target_ms": TARGET_MS,
        "pass": max(p95s) <= TARGET_MS,
    }


def measured(env: dict[str, str], n: int, requests: int) -> dict[str, Any]:
    script = str(ROOT / "bench" / "opinions_stats.py")
    args = [PYTHON, script, "--measure", "--opinions", str(n), "--requests", str(requests)]
    out = run(args, env)[1]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--opinions", type=int, default=5000)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.opinions, args.requests), ensure_ascii=False))
        return
    built: dict[str, Any] = {}

    def prepare(env: dict[str, str]) -> None:
        built.clear()
        built.update(build(env))

    records = on_fresh_databases(
        "opinions_stats",
        PG_DATABASE,
        prepare,
        lambda env: {**built, **measured(env, args.opinions, args.requests)},
        sqlite=not args.no_sqlite,
        postgres=not args.no_postgres,
    )
    for record in records:
        emit(record)
    checks = {
        f"{r['benchmark']}: statistics page and API p95 <= {TARGET_MS:g} ms": r["pass"]
        for r in records
        if "pass" in r
    }
    emit({"benchmark": "opinions_stats_summary", "target_ms": TARGET_MS, "checks": checks})


if __name__ == "__main__":
    main()
