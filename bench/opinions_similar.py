"""What possible duplicates and the poster cost in one process, without a database: `fold` of a
new text, comparing it with a subtree's `RECENT` (500) open opinions as `opinions.similar`
does after its query (grams of every row, rapidfuzz's extract), and making the poster as PDF
and as PNG. The rows are the paraphrased complaints of the similarity tests, numbered so no
two are the same. Prints one JSON object on stdout (milliseconds: median and 90th percentile).

    .venv/bin/python bench/opinions_similar.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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

from django.utils import translation  # noqa: E402
from rapidfuzz import process  # noqa: E402
from rapidfuzz.distance import Indel  # noqa: E402

from massline.opinions import poster, similar  # noqa: E402
from massline.opinions.tests.test_similar import LONG, TEXTS  # noqa: E402
from massline.orgs.models import Organization  # noqa: E402

QUERY = "幸福小区门口路灯坏了好几个月了，没人修"


def timed(work: Callable[[], object], repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[int(len(times) * 0.9) - 1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    texts = [t for _g, _x, t in TEXTS] + LONG
    rows = [similar.fold(texts[i % len(texts)] + str(i)) for i in range(similar.RECENT)]
    query = similar.grams(similar.fold(QUERY))

    def compare() -> object:
        return process.extract(
            query,
            [similar.grams(r) for r in rows],
            scorer=Indel.normalized_similarity,
            score_cutoff=similar.DEFAULT_THRESHOLD,
            limit=5,
        )

    org = Organization(pk=1234, name="中共保合少镇古路板村支部委员会", code="150102101201")
    url = "https://yijian.example.gov.cn/p/o/1234/"
    with translation.override("zh-hans"):
        poster.poster_pdf(org, url)  # the fonts are read once per process
        result = {
            "python": platform.python_version(),
            "rows": len(rows),
            "mean_row_chars": round(sum(map(len, rows)) / len(rows), 1),
            "fold": timed(lambda: similar.fold(QUERY), args.repeat),
            "compare_500": timed(compare, args.repeat),
            "poster_pdf": timed(lambda: poster.poster_pdf(org, url), max(args.repeat // 5, 3)),
            "poster_png": timed(lambda: poster.poster_png(org, url), max(args.repeat // 5, 3)),
            "pdf_bytes": len(poster.poster_pdf(org, url)),
            "png_bytes": len(poster.poster_png(org, url)),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
