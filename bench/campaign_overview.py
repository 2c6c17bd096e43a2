"""The campaign overview (decision 0018) over a whole province: the overview page, the list of
organizations not started and `GET /api/v1/campaigns/{id}/overview` (and the workbench with its campaign-progress block)
at the province's root, at
the biggest county and at a village, on SQLite and on PostgreSQL.

For each database, a fresh one in a temporary directory (PostgreSQL: massline_bench_overview,
created and dropped here; skipped when no server answers at MASSLINE_BENCH_PG): `migrate`,
`load-divisions --province 15` and `generate-orgs --province 15 --seed 1` (no members). Then
this script again in a process of its own (`--measure`): the demo's campaign (massline/demo/
campaign.py: the 2019 theme education in its second batch as of today, three batches, its
schedule applied, timed, and the rollups' rewrite alone, timed), then each page `--requests`
times with a signed-in client (server time, p95; queries of one request). Target: p95 ≤
100 ms at each place, flat across levels.

    .venv/bin/python bench/campaign_overview.py [--requests 100] [--quick] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from campaign_schedule import load
from common import PYTHON, ROOT, emit, log, on_fresh_databases, run

PG_DATABASE = "massline_bench_overview"
TARGET_MS = 100.0


def measure(requests: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Sum
    from django.test import Client
    from member_lists import bench_user
    from pages import timed_get

    from massline.access.models import DataScope
    from massline.access.services import roles_ensure_builtin
    from massline.campaigns import rollups
    from massline.campaigns.models import Participation, SubtreeWave
    from massline.demo.campaign import demo_campaign
    from massline.orgs.models import Organization

    roles_ensure_builtin(actor=None)
    root = Organization.objects.get(parent__isnull=True)
    started = time.perf_counter()
    campaign = demo_campaign(actor=None, province_code=root.code)
    assert campaign is not None, "the database already holds the campaign"
    created_s = time.perf_counter() - started
    refresh = []
    for _ in range(3):
        started = time.perf_counter()
        with transaction.atomic():
            rows = rollups.refresh(campaign)
        refresh.append(time.perf_counter() - started)

    def biggest_county() -> Organization:
        """The county committee with the most organizations in the campaign, by its rollups."""
        counties = Organization.objects.filter(kind="committee", division__level=3)
        top = (
            SubtreeWave.objects.filter(campaign=campaign, org_id__in=counties.values("pk"))
            .values("org_id")
            .annotate(n=Sum("count"))
            .order_by("-n", "org_id")
            .first()
        )
        assert top is not None
        return Organization.objects.get(pk=top["org_id"])

    village = Organization.objects.filter(kind="branch", division__level=5).order_by("code").first()
    places = {
        "root": ("campaign_office", root, DataScope.SUBTREE),
        "county": ("campaign_office", biggest_county(), DataScope.SUBTREE),
        "village": ("org_admin", village, DataScope.THIS_ORG),
    }
    measured: dict[str, Any] = {}
    for name, (role, org, scope) in places.items():
        client = Client()
        client.force_login(bench_user(f"bench-overview-{name}", role, org, scope))
        log(f"{name} ...")
        base = f"/campaigns/{campaign.pk}/overview/"
        measured[name] = {
            "org": {"code": org.code, "name": org.name, "depth": org.depth},
            "subtree": Participation.objects.filter(
                campaign=campaign, org_path__startswith=org.path
            ).count(),
            "overview_page": timed_get(client, f"{base}?org={org.pk}", requests),
            "not_started_list": timed_get(client, f"{base}not_started/?org={org.pk}", requests),
            "overview_api": timed_get(
                client, f"/api/v1/campaigns/{campaign.pk}/overview?org={org.pk}", requests
            ),
            # with the campaign-progress block (no members or notices here: bench/workbench.py)
            "workbench": timed_get(client, "/", requests),
        }
    p95s = [
        v["p95_ms"]
        for place in measured.values()
        for v in place.values()
        if isinstance(v, dict) and "p95_ms" in v
    ]
    return {
        "vendor": connection.vendor,
        "organizations": Organization.objects.count(),
        "participation_rows": Participation.objects.filter(campaign=campaign).count(),
        "rollup_rows": SubtreeWave.objects.filter(campaign=campaign).count() or rows,
        "demo_campaign_s": round(created_s, 3),
        "rollups_refresh_s": round(min(refresh), 3),
        "requests_per_page": requests,
        "places": measured,
        "target_ms": TARGET_MS,
        "pass": max(p95s) <= TARGET_MS,
    }


def measured(env: dict[str, str], requests: int) -> dict[str, Any]:
    log("overview ...")
    script = str(ROOT / "bench" / "campaign_overview.py")
    out = run([PYTHON, script, "--measure", "--requests", str(requests)], env)[1]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="30 requests per page")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    requests = 30 if args.quick else args.requests
    if args.measure:
        print(json.dumps(measure(requests), ensure_ascii=False))
        return
    records = on_fresh_databases(
        "campaign_overview",
        PG_DATABASE,
        load,
        lambda env: measured(env, requests),
        sqlite=not args.no_sqlite,
        postgres=not args.no_postgres,
    )
    for record in records:
        emit(record)
    checks = {
        f"{r['benchmark']}: overview, list and API p95 <= {TARGET_MS:g} ms": r["pass"]
        for r in records
        if "pass" in r
    }
    emit({"benchmark": "campaign_overview_summary", "target_ms": TARGET_MS, "checks": checks})


if __name__ == "__main__":
    main()
