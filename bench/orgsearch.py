"""Time the receiving-organization search (members/transfers/orgsearch.py) over 70,000
branches in a PostgreSQL database of its own; print one JSON object.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch> .venv/bin/python bench/orgsearch.py [--orgs 70000]

The database is migrated and filled with synthetic village and unit branches under one
committee (names like 中共古路板村支部委员会 from random common characters), unless it already
holds that many. Figures: building the initials (the first search after a change), then the
best of 5 runs of a name search with a synonym (党支部), of an initials search that finds few,
and of one that finds many (the limit of 20 reached early).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from massline.members.rules import MEMBER_ORG_KINDS  # noqa: E402
from massline.members.transfers import orgsearch  # noqa: E402
from massline.orgs.models import Organization, OrgKind  # noqa: E402
from massline.orgs.paths import child_path  # noqa: E402

CHARS = "古路板村讨思浩东河区财政局回民新城保合少镇包头市呼和浩特乌兰察布赤峰巴彦淖尔锡林郭勒阿拉善兴安通辽鄂尔多斯海拉尔满洲里二连浩特达茂旗固阳土右前后中西南北山水田林草沙湖泉沟"


def fill(n: int, seed: int) -> None:
    if Organization.objects.filter(kind=OrgKind.BRANCH).count() >= n:
        return
    rng = random.Random(seed)
    root = Organization.objects.create(
        code="159900000000",
        name="中共测试委员会",
        kind=OrgKind.COMMITTEE,
        unit_type="agency",
        path="x",
    )
    Organization.objects.filter(pk=root.pk).update(path=child_path("", root.pk))
    root.refresh_from_db()
    batch = []
    for i in range(n):
        place = "".join(rng.choice(CHARS) for _ in range(rng.randint(2, 4)))
        kind = rng.choice(["村支部委员会", "社区支部委员会", "局支部委员会", "党支部"])
        batch.append(
            Organization(
                code=f"1599{i:08d}-B",
                name=f"中共{place}{kind}",
                kind=OrgKind.BRANCH,
                unit_type="rural",
                parent=root,
                depth=1,
                path=f"{root.path}{i:06d}",
            )
        )
    Organization.objects.bulk_create(batch, batch_size=5000)


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=70000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a scratch PostgreSQL database")
    call_command("migrate", verbosity=0)
    fill(args.orgs, args.seed)
    qs = Organization.objects.filter(kind__in=MEMBER_ORG_KINDS)

    def search(text: str) -> list[Organization]:
        return orgsearch.org_search(query=text, candidates=qs, kinds=MEMBER_ORG_KINDS, limit=20)

    orgsearch._index = None
    start = time.perf_counter()
    orgsearch.initials_index(MEMBER_ORG_KINDS)
    build = time.perf_counter() - start
    few = "".join(orgsearch.initials(qs.order_by("code").first().name)[0][2:6])  # type: ignore[union-attr]
    result = {
        "bench": "orgsearch",
        "orgs": qs.count(),
        "build_initials_s": round(build, 3),
        "name_with_synonym_ms": round(best(lambda: search("古路党支部")) * 1000, 1),
        "initials_few_ms": round(best(lambda: search(few)) * 1000, 1),
        "initials_found": len(search(few)),
        "initials_many_ms": round(best(lambda: search("zg")) * 1000, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "python": platform.python_version(),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
