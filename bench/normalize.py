"""Time the cell readers of the roster import (massline.core.normalize and reference) over
1.3 million mixed values, the size of the largest import; print one JSON object.

    .venv/bin/python bench/normalize.py [--rows 1300000] [--repeat 3] [--seed 1]

Each function is called once per value in a plain loop (the loop is part of the figure);
`us_per_call` is the best of --repeat runs. The values are drawn with a fixed seed from the
forms a roster holds, in rough proportions: for dates, mostly ISO text and openpyxl dates,
then the other written forms, Excel day numbers, full width; `parse_date_invalid` times the
error path (gettext and the message) on values that are not dates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from massline.core.normalize import (  # noqa: E402
    clean_cell,
    fold_for_search,
    parse_date,
    parse_month,
    to_halfwidth,
)
from massline.core.reference import ETHNIC_GROUPS, parse_ethnicity, parse_gender  # noqa: E402

FULL = str.maketrans("0123456789-/.", "０１２３４５６７８９－／．")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐許韓馮鄧曹彭曾蕭田董袁潘于蔣蔡余杜葉程蘇魏呂丁任沈姚盧姜崔鐘譚陸汪范金石廖賈夏韋付方白鄒孟熊秦邱江尹薛閆段雷侯龍史陶黎賀顧毛郝龔邵萬錢嚴覃武戴莫孔向湯"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英華國慶紅軍建東學誠輝蘭鳳玲鵬飛"


def date_values(rng: random.Random, n: int) -> list[Any]:
    first = dt.date(1930, 1, 1).toordinal()
    last = dt.date(2024, 12, 31).toordinal()
    forms: list[tuple[float, Callable[[dt.date], Any]]] = [
        (0.35, lambda d: d.isoformat()),
        (0.20, lambda d: dt.datetime(d.year, d.month, d.day)),  # openpyxl, date cells
        (0.08, lambda d: f"{d.year}/{d.month}/{d.day}"),
        (0.08, lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}"),
        (0.08, lambda d: f"{d.year}年{d.month}月{d.day}日"),
        (0.06, lambda d: f"{d.year}{d.month:02d}{d.day:02d}"),
        (0.05, lambda d: d.toordinal() - dt.date(1899, 12, 30).toordinal()),  # Excel day
        (0.04, lambda d: str(d.toordinal() - dt.date(1899, 12, 30).toordinal())),
        (0.03, lambda d: d.isoformat().translate(FULL)),
        (0.03, lambda d: f"{d.year}年{d.month}月{d.day}日".translate(FULL)),
    ]
    weights = [w for w, _ in forms]
    makers = [m for _, m in forms]
    chosen = rng.choices(makers, weights=weights, k=n)
    return [make(dt.date.fromordinal(rng.randint(first, last))) for make in chosen]


def month_values(rng: random.Random, n: int) -> list[Any]:
    forms: list[Callable[[int, int], Any]] = [
        lambda y, m: f"{y}年{m}月",
        lambda y, m: f"{y}.{m:02d}",
        lambda y, m: f"{y}-{m}",
        lambda y, m: f"{y}/{m:02d}",
        lambda y, m: dt.datetime(y, m, 1),
        lambda y, m: f"{y}-{m:02d}-01",
    ]
    return [rng.choice(forms)(rng.randint(1950, 2024), rng.randint(1, 12)) for _ in range(n)]


def name_values(rng: random.Random, n: int) -> list[str]:
    """Names (some in traditional characters), ID numbers and phones, some in full width."""
    values = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.6:
            values.append(rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))))
        elif kind < 0.8:
            values.append(f"1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}")
        elif kind < 0.9:
            values.append(f"{rng.randint(110_000, 659_999)}19{rng.randint(0, 10**10 - 1):010d}")
        else:
            values.append(f"{rng.randint(110_000, 659_999)}19900307123Ｘ".translate(FULL))
    return values


def cell_values(rng: random.Random, n: int) -> list[Any]:
    cells: list[Any] = name_values(rng, n)
    for i in range(0, n, 7):
        cells[i] = f" {cells[i]}\u3000"
    for i in range(3, n, 11):
        cells[i] = None
    return cells


def time_calls(function: Callable[[Any], Any], values: Sequence[Any], repeat: int) -> float:
    """Best seconds of `repeat` runs of function over values."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for value in values:
            function(value)
        best = min(best, time.perf_counter() - start)
    return best


def parse_date_refused(value: Any) -> ValueError | None:
    """parse_date where it raises: the error is caught and returned (and should be)."""
    try:
        parse_date(value)
    except ValueError as error:
        return error
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    n = args.rows

    names = name_values(rng, n)
    ethnic = rng.choices([name for _, name in ETHNIC_GROUPS] + ["汉族"] * 40 + ["01", 1], k=n)
    cases: dict[str, tuple[Callable[[Any], Any], Sequence[Any]]] = {
        "parse_date": (parse_date, date_values(rng, n)),
        "parse_date_invalid": (
            parse_date_refused,
            rng.choices(["abc", "2019-02-30", "2019年13月1日", "", "1899-01-01", 60], k=n // 10),
        ),
        "parse_month": (parse_month, month_values(rng, n)),
        "to_halfwidth": (to_halfwidth, names),
        "fold_for_search": (fold_for_search, names),
        "clean_cell": (clean_cell, cell_values(rng, n)),
        "parse_ethnicity": (parse_ethnicity, ethnic),
        "parse_gender": (parse_gender, rng.choices(["男", "女", "男性", "1", 2, "F"], k=n)),
    }
    results = {}
    for label, (function, values) in cases.items():
        print(f"[bench] {label}: {len(values):,} values", file=sys.stderr, flush=True)
        seconds = time_calls(function, values, args.repeat)
        results[label] = {
            "calls": len(values),
            "seconds": round(seconds, 3),
            "us_per_call": round(seconds / len(values) * 1e6, 3),
        }
    record = {
        "benchmark": "normalize",
        "date": dt.date.today().isoformat(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "rows": n,
        "repeat": args.repeat,
        "seed": args.seed,
        "results": results,
    }
    print(json.dumps(record, ensure_ascii=False))


if __name__ == "__main__":
    main()
