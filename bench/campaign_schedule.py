"""The rollout schedule of a whole province: computing and storing the window of each of Inner
Mongolia's ~70,000 organizations, on SQLite and on PostgreSQL.

For each database, a fresh one in a temporary directory (PostgreSQL: massline_bench_campaigns,
created and dropped here; skipped when no server answers at MASSLINE_BENCH_PG): `migrate`,
`load-divisions --province 15` and `generate-orgs --province 15 --seed 1`, each in its own
process (members are not needed). Then this script again, in a process of its own
(`--measure`), which creates the 2019 theme education campaign at the province's root (batch
1: the committees of counties and above; batch 2: everything else) and times, best of
`--runs`:

1. preview_first: the preview of the first schedule (the read of the tree in path order, the
   computation, the comparison with the empty table);
2. first: `schedule_apply` into an empty participation table, as the apply button runs it
   (the same computation again, to check the preview's token, then COPY / executemany and
   the commit with its deferred foreign-key checks), committed; emptied again between runs;
3. again: a preview when nothing changed;
4. moved: the level offset changed so that almost every organization moves: `schedule_apply`
   writing every moved row (PostgreSQL: COPY into a temporary table and one UPDATE … FROM;
   SQLite: executemany), committed.

Prints one JSON object per database, then a summary with the target (5 s, goal 2 s).

    .venv/bin/python bench/campaign_schedule.py [--runs 3] [--no-sqlite] [--no-postgres]
    # on a database that already holds the tree (DATABASE_URL / MASSLINE_VAR_DIR):
    .venv/bin/python bench/campaign_schedule.py --measure [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from typing import Any

from common import MASSLINE, PYTHON, ROOT, emit, log, on_fresh_databases, run

PROVINCE = "15"
SEED = "1"
PG_DATABASE = "massline_bench_campaigns"
TARGET_S = 5.0
GOAL_S = 2.0


def measure(runs: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from massline.campaigns import schedule, schedule_services, services
    from massline.campaigns.models import Campaign, CampaignTemplate, Participation
    from massline.orgs.models import Organization

    root = Organization.objects.filter(parent__isnull=True).order_by("path").first()
    assert root is not None, "no organizations: load the tree first"
    Campaign.objects.filter(title="bench").delete()
    campaign = services.campaign_create(
        actor=None,
        template=CampaignTemplate.objects.get(code="theme-education-2019"),
        org=root,
        title="bench",
        starts_on=datetime.date(2031, 6, 1),
        ends_on=datetime.date(2032, 3, 31),
    )

    Participation.objects.filter(campaign=campaign).delete()
    started = time.perf_counter()
    schedule.plan(campaign)
    preview_first = time.perf_counter() - started

    def first() -> tuple[float, float, int]:
        """Apply into an empty table, as the service runs it (its own computation, the bulk
        write, the commit with its deferred foreign-key checks); then empty it again."""
        Participation.objects.filter(campaign=campaign).delete()
        Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=None)
        token = schedule.plan(campaign).token
        started = time.perf_counter()
        with transaction.atomic():
            schedule_services.schedule_apply(actor=None, campaign=campaign, token=token)
            before_commit = time.perf_counter()
        done = time.perf_counter()
        return done - started, done - before_commit, len(token)

    timings = [first() for _ in range(runs)]
    rows = Participation.objects.filter(campaign=campaign).count()
    best = min(timings)
    again = []
    for _ in range(runs):
        started = time.perf_counter()
        unchanged = schedule.plan(campaign)
        again.append(time.perf_counter() - started)
    assert unchanged.changes == [], "a second preview found changes"

    def moved(offset: int) -> tuple[float, int]:
        Campaign.objects.filter(pk=campaign.pk).update(level_offset_days=offset)
        campaign.refresh_from_db()
        p = schedule.plan(campaign)
        started = time.perf_counter()
        with transaction.atomic():
            schedule_services.schedule_apply(actor=None, campaign=campaign, token=p.token)
        return time.perf_counter() - started, p.counts[schedule.MOVED]

    moves = [moved(11 + i) for i in range(runs)]
    levels = dict(
        Participation.objects.filter(campaign=campaign)
        .values_list("level")
        .annotate(n=django.db.models.Count("id"))
    )
    return {
        "vendor": connection.vendor,
        "organizations": Organization.objects.count(),
        "participation_rows": rows,
        "rows_by_level": {str(k): v for k, v in sorted(levels.items())},
        "first_s": round(best[0], 3),
        "first_commit_s": round(best[1], 3),
        "preview_first_s": round(preview_first, 3),
        "first_runs_s": [round(t[0], 3) for t in timings],
        "preview_unchanged_s": round(min(again), 3),
        "moved_all_s": round(min(m[0] for m in moves), 3),
        "moved_rows": moves[-1][1],
        "target_s": TARGET_S,
        "goal_s": GOAL_S,
        "pass": best[0] <= TARGET_S and min(m[0] for m in moves) <= TARGET_S,
        "goal_met": best[0] <= GOAL_S and min(m[0] for m in moves) <= GOAL_S,
    }


def load(env: dict[str, str]) -> None:
    for name, args in {
        "migrate": [*MASSLINE, "migrate", "--no-input", "-v", "0"],
        "load_divisions": [*MASSLINE, "load-divisions", "--province", PROVINCE],
        "generate_orgs": [*MASSLINE, "generate-orgs", "--province", PROVINCE, "--seed", SEED],
    }.items():
        log(f"{name} ...")
        run(args, env)


def measured(env: dict[str, str], runs: int) -> dict[str, Any]:
    log("schedule ...")
    out = run(
        [PYTHON, str(ROOT / "bench" / "campaign_schedule.py"), "--measure", "--runs", str(runs)],
        env,
    )[1]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure", action="store_true", help="time on the current database")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if args.measure:
        emit(measure(args.runs))
        return
    records = on_fresh_databases(
        "campaign_schedule",
        PG_DATABASE,
        load,
        lambda env: measured(env, args.runs),
        sqlite=not args.no_sqlite,
        postgres=not args.no_postgres,
    )
    for record in records:
        emit(record)
    emit(
        {
            "benchmark": "campaign_schedule_summary",
            "checks": {
                f"{r['benchmark']}: first and moved <= {TARGET_S:g} s": r["pass"]
                for r in records
                if "pass" in r
            },
        }
    )


if __name__ == "__main__":
    main()
