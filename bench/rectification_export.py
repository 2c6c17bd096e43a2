"""The rectification ledger export (decision 0022, "The ledger export") of a whole province:
`--fixes` fixes (100,000) written to .xlsx by the `rectification.ledger_export` job, run in
immediate mode for a campaign office at the province's root, on SQLite and on PostgreSQL.
Target (issue 12): <= 60 s as a background job, peak memory <= 500 MiB.

For each database, a fresh one in a temporary directory (PostgreSQL: massline_bench_rectexport,
or --pg-database, created and dropped here; skipped when no server answers at
MASSLINE_BENCH_PG): `migrate`, `load-divisions --province 15`, `generate-orgs --province 15
--seed 1`. Then this script in a process of its own (`--build`) makes the fixes in bulk at
random organizations (one problem each, every kind and state, some overdue, reworked, with
co-organizations and evaluation figures; the counters are not written: the export does not
read them), and in another process (`--measure`) runs the job: the job's seconds, the rows,
the file's size and that process's peak RSS (Django's start-up included, read with wait4).

    .venv/bin/python bench/rectification_export.py [--fixes 100000] [--no-sqlite]
                                                   [--no-postgres] [--pg-database NAME]
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from typing import Any

from common import MASSLINE, PYTHON, ROOT, arguments, emit, log, on_fresh_databases, run

PG_DATABASE = "massline_bench_rectexport"
TARGET_S = 60.0
TARGET_RSS_MIB = 500
PROVINCE, SEED = "15", "1"
BULK = 5_000


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


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


MEASURES = (
    "每月 5 日前更新村务公开栏，村监委会签字确认，群众代表现场查看",
    "建立路灯巡查台账，损坏 48 小时内修复，修复情况在微信群公示",
    "精简会议文件，同一数据只报一次，基层减负清单每季度通报",
    "低保评定全程公示，评议会邀请群众代表参加，结果张榜公布",
)
PROBLEMS = (
    "村务公开栏长期不更新，群众不了解村里的收支情况",
    "路灯坏了好几个月无人维修，晚上出行不安全",
    "会议多文件多，基层干部忙于填表报数",
    "低保评定不公开，群众对评定结果有意见",
)


def bulk_fixes(n: int) -> float:
    """`n` fixes (one problem each) at random organizations, in bulk; the seconds taken."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from massline.orgs.models import Organization
    from massline.rectification.models import (
        CoOrganization,
        Fix,
        FixKind,
        FixState,
        Problem,
        ProblemSource,
    )

    rng = random.Random(1)
    orgs = list(Organization.objects.values_list("pk", "path"))
    now = timezone.now()
    today = timezone.localdate()
    started = time.perf_counter()
    for start in range(0, n, BULK):
        size = min(BULK, n - start)
        with transaction.atomic():
            placed = [rng.choice(orgs) for _ in range(size)]
            problems = Problem.objects.bulk_create(
                [
                    Problem(
                        org_id=pk,
                        org_path=path,
                        origin_org_id=pk,
                        origin_path=path,
                        source=rng.choice(ProblemSource.values),
                        description=f"{rng.choice(PROBLEMS)}（{start + i}）",
                        responsible_person="王书记",
                        created_at=now,
                    )
                    for i, (pk, path) in enumerate(placed)
                ]
            )
            fixes = []
            for p in problems:
                kind = rng.choice(FixKind.values)
                state = rng.choice(FixState.values)
                n_eval = rng.choice((0, 0, 3, 8)) if state == FixState.CLOSED else 0
                a = rng.randrange(n_eval + 1)
                b = rng.randrange(n_eval - a + 1)
                fixes.append(
                    Fix(
                        problem=p,
                        org_id=p.org_id,
                        org_path=p.org_path,
                        origin_org_id=p.org_id,
                        origin_path=p.org_path,
                        measure=rng.choice(MEASURES),
                        kind=kind,
                        deadline=None
                        if kind == FixKind.ONGOING
                        else today + dt.timedelta(days=rng.randrange(-30, 90)),
                        responsible_person="王书记",
                        state=state,
                        round=2 if rng.random() < 0.05 else 1,
                        overdue=state != FixState.CLOSED and rng.random() < 0.1,
                        closed_on=today if state == FixState.CLOSED else None,
                        satisfied=a,
                        basically_satisfied=b,
                        unsatisfied=n_eval - a - b,
                        created_at=now,
                    )
                )
            Fix.objects.bulk_create(fixes)
            CoOrganization.objects.bulk_create(
                [
                    CoOrganization(fix=f, org_id=pk, org_path=path)
                    for f in fixes
                    if rng.random() < 0.1
                    for pk, path in [rng.choice(orgs)]
                    if pk != f.org_id
                ]
            )
        log(f"  {start + size} fixes")
    return time.perf_counter() - started


def child_build(n: int) -> None:
    _setup()
    print(json.dumps({"bulk_fixes_s": round(bulk_fixes(n), 1)}))


def child_measure() -> None:
    """In the measured process: the export job of the root's ledger, in immediate mode."""
    _setup()
    from member_lists import bench_user

    from massline.access.models import DataScope
    from massline.access.services import roles_ensure_builtin
    from massline.core import jobs
    from massline.orgs.models import Organization
    from massline.rectification import ledger_export

    roles_ensure_builtin(actor=None)
    root = Organization.objects.get(parent__isnull=True)
    user = bench_user("bench-rectexport", "campaign_office", root, DataScope.SUBTREE)
    started = time.perf_counter()
    job = jobs.enqueue(
        ledger_export.JOB_KIND,
        actor=user,
        params={"org": root.pk, "filters": {}},
        mode="immediate",
    )
    seconds = time.perf_counter() - started
    path = jobs.folder(job) / ledger_export.FILENAME
    print(
        json.dumps(
            {
                "status": job.status,
                "error": job.error,
                "rows": (job.result or {}).get("count"),
                "job_s": round(seconds, 1),
                "file_mib": round(path.stat().st_size / 2**20, 1) if path.exists() else None,
            }
        )
    )


def measured(env: dict[str, str], n: int) -> dict[str, Any]:
    script = str(ROOT / "bench" / "rectification_export.py")
    log(f"{n} fixes in bulk ...")
    built = json.loads(run([PYTHON, script, "--build", "--fixes", str(n)], env)[1].splitlines()[-1])
    log("the export job ...")
    wall, out, rss = run([PYTHON, script, "--measure"], env)
    job = json.loads(out.strip().splitlines()[-1])
    return {
        **built,
        "fixes": n,
        **job,
        "process_wall_s": round(wall, 1),
        "peak_rss_mib": round(rss),
        "target_s": TARGET_S,
        "target_rss_mib": TARGET_RSS_MIB,
        "pass": job["status"] == "done"
        and job["rows"] == n
        and job["job_s"] <= TARGET_S
        and rss <= TARGET_RSS_MIB,
    }


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--fixes", type=int, default=100_000)
    parser.add_argument("--pg-database", default=PG_DATABASE)
    parser.add_argument("--build", action="store_true", help="==SUPPRESS==")
    args = parser.parse_args()
    if args.build:
        child_build(args.fixes)
        return
    if args.measure:
        child_measure()
        return
    built: dict[str, Any] = {}

    def prepare(env: dict[str, str]) -> None:
        built.clear()
        built.update(build(env))

    records = on_fresh_databases(
        "rectification_export",
        args.pg_database,
        prepare,
        lambda env: {**built, **measured(env, args.fixes)},
        sqlite=not args.no_sqlite,
        postgres=not args.no_postgres,
    )
    for record in records:
        emit(record)
    checks = {
        f"{r['benchmark']}: {r['fixes']} fixes <= {TARGET_S:g} s, <= {TARGET_RSS_MIB} MiB": r[
            "pass"
        ]
        for r in records
        if "pass" in r
    }
    emit({"benchmark": "rectification_export_summary", "checks": checks})


if __name__ == "__main__":
    main()
