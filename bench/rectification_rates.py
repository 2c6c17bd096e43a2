"""The three-rates dashboard (decision 0022, "The three rates") over a whole generated
province: the dashboard page, `GET /api/v1/orgs/{id}/rates` and the children's ranking
`GET /api/v1/orgs/{id}/rates/children`, at the province's root, at the county with the most
evaluations and at a village branch, on SQLite and on PostgreSQL. Target (issue 12): p95 <=
100 ms, flat across levels (every figure from the counters).

For each database, a fresh one in a temporary directory (PostgreSQL: massline_bench_rates,
created and dropped here; skipped when no server answers at MASSLINE_BENCH_PG): `migrate`,
`load-divisions --province 15`, `generate-orgs --province 15 --seed 1` (as
bench/opinions_stats.py builds it). Then this script again in a process of its own
(`--measure`): `--fixes` problems with one fix each at random organizations (some overdue),
0 to 12 evaluations each, and `--fixes` opinions whose response is settled (in time or late),
all in bulk with their counters by `bump_many` from the declared metrics and checked against
a recount; then each address `--requests` times with a signed-in client (server time, as
bench/pages.py measures it).

    .venv/bin/python bench/rectification_rates.py [--fixes 5000] [--requests 100]
                                                  [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import time
from collections import defaultdict
from typing import Any

from common import PYTHON, ROOT, arguments, emit, log, on_fresh_databases, run, three_places
from opinions_stats import build

PG_DATABASE = "massline_bench_rates"
TARGET_MS = 100.0


def _fill(n: int) -> float:
    """`n` problems, fixes and opinions and their evaluations, rows and counters in bulk."""
    from django.db import transaction
    from django.utils import timezone

    from massline.opinions.counters import counts as opinion_counts
    from massline.opinions.models import Opinion
    from massline.orgs import counters
    from massline.orgs.models import Organization
    from massline.rectification.counters import evaluation_counts, fix_counts, problem_counts
    from massline.rectification.models import Evaluation, Fix, Problem, Verdict

    rng = random.Random(1)
    orgs = list(Organization.objects.values_list("pk", "path"))
    now = timezone.now()
    today = timezone.localdate()
    started = time.perf_counter()
    changes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(path: str, figures: dict[str, int]) -> None:
        for code, v in figures.items():
            if v:
                changes[path][code] += v

    with transaction.atomic():
        places = [rng.choice(orgs) for _ in range(n)]
        problems = Problem.objects.bulk_create(
            [
                Problem(
                    org_id=pk,
                    org_path=path,
                    origin_org_id=pk,
                    origin_path=path,
                    source="opinion",
                    description=f"问题{i}",
                    responsible_person="王书记",
                    created_at=now,
                )
                for i, (pk, path) in enumerate(places)
            ],
            batch_size=2000,
        )
        fixes = Fix.objects.bulk_create(
            [
                Fix(
                    problem=p,
                    org_id=p.org_id,
                    org_path=p.org_path,
                    origin_org_id=p.org_id,
                    origin_path=p.org_path,
                    measure="整改措施",
                    kind="time_limited",
                    deadline=today + dt.timedelta(days=rng.randint(-10, 30)),
                    responsible_person="王书记",
                    state="closed" if rng.random() < 0.6 else "in_progress",
                    overdue=rng.random() < 0.1,
                    created_at=now,
                )
                for p in problems
            ],
            batch_size=2000,
        )
        evaluations = []
        for f in fixes:
            if f.state != "closed":
                continue
            for _ in range(rng.randint(0, 12)):
                verdict = rng.choices(Verdict.values, weights=[6, 3, 1])[0]
                evaluations.append(
                    Evaluation(
                        fix=f,
                        org_id=f.org_id,
                        org_path=f.org_path,
                        verdict=verdict,
                        reason="没有变化" if verdict == "unsatisfied" else "",
                        given_on=today,
                    )
                )
        Evaluation.objects.bulk_create(evaluations, batch_size=5000)
        opinions = Opinion.objects.bulk_create(
            [
                Opinion(
                    org_id=pk,
                    org_path=path,
                    channel="box",
                    submitter_category="public",
                    text=f"意见{i}",
                    status="handling",
                    received_on=today,
                    lead_org_id=pk,
                    lead_path=path,
                    response="in_time" if rng.random() < 0.8 else "late",
                )
                for i, (pk, path) in enumerate(rng.choice(orgs) for _ in range(n))
            ],
            batch_size=2000,
        )
        for p in problems:
            add(p.org_path, problem_counts(p))
        for f in fixes:
            add(f.org_path, fix_counts(f))
        for e in evaluations:
            add(e.org_path, evaluation_counts(e))
        for o in opinions:
            add(o.org_path, opinion_counts(o))
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
    from massline.orgs import counters
    from massline.orgs.models import Organization
    from massline.rectification.models import Evaluation

    roles_ensure_builtin(actor=None)
    log(f"{n} fixes and opinions in bulk ...")
    bulk_s = _fill(n)
    log("recount ...")
    drift = counters.rebuild(check_only=True)
    assert not drift, drift[:5]
    measured: dict[str, Any] = {}
    for name, (role, org, scope) in three_places("evaluations.total").items():
        client = Client()
        client.force_login(bench_user(f"bench-rates-{name}", role, org, scope))
        log(f"{name} ...")
        measured[name] = {
            "org": {"code": org.code, "name": org.name, "depth": org.depth},
            "children": Organization.objects.filter(parent=org).count(),
            "evaluations": Evaluation.objects.filter(org_path__startswith=org.path).count(),
            "rates_page": timed_get(client, f"/rectification/orgs/{org.pk}/rates/", requests),
            "rates_api": timed_get(client, f"/api/v1/orgs/{org.pk}/rates", requests),
            "ranking_api": timed_get(client, f"/api/v1/orgs/{org.pk}/rates/children", requests),
        }
    p95s = [
        v["p95_ms"]
        for place in measured.values()
        for k, v in place.items()
        if k.endswith(("_page", "_api"))
    ]
    return {
        "vendor": connection.vendor,
        "organizations": Organization.objects.count(),
        "evaluations": Evaluation.objects.count(),
        "bulk_s": round(bulk_s, 2),
        "requests_per_page": requests,
        "places": measured,
        "target_ms": TARGET_MS,
        "pass": max(p95s) <= TARGET_MS,
    }


def measured(env: dict[str, str], n: int, requests: int) -> dict[str, Any]:
    script = str(ROOT / "bench" / "rectification_rates.py")
    args = [PYTHON, script, "--measure", "--fixes", str(n), "--requests", str(requests)]
    out = run(args, env)[1]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--fixes", type=int, default=5000)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.fixes, args.requests), ensure_ascii=False))
        return
    built: dict[str, Any] = {}

    def prepare(env: dict[str, str]) -> None:
        built.clear()
        built.update(build(env))

    records = on_fresh_databases(
        "rectification_rates",
        PG_DATABASE,
        prepare,
        lambda env: {**built, **measured(env, args.fixes, args.requests)},
        sqlite=not args.no_sqlite,
        postgres=not args.no_postgres,
    )
    for record in records:
        emit(record)
    checks = {
        f"{r['benchmark']}: three-rates page and API p95 <= {TARGET_MS:g} ms": r["pass"]
        for r in records
        if "pass" in r
    }
    emit({"benchmark": "rectification_rates_summary", "target_ms": TARGET_MS, "checks": checks})


if __name__ == "__main__":
    main()
