"""Per-value cost of what a roster import does to each row's sensitive fields: validate the ID
number and the phone, encrypt both, hash both; and of decrypting them again for an export.

Runs over 1.3 million generated values (a province's members; `make_id` builds valid ID
numbers), in one process, in batches as an import would. Sets Django up itself (the key comes
from the settings) and prints one JSON object on stdout; progress goes to stderr.

    .venv/bin/python bench/crypto.py [--count 1300000] [--batch 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import cryptography  # noqa: E402
from cryptography.hazmat.backends.openssl.backend import backend as openssl  # noqa: E402

from massline.core import crypto  # noqa: E402
from massline.members.idnumber import make_id, validate_id, validate_phone  # noqa: E402

# A few county codes of Inner Mongolia (province 15).
REGIONS = ["150102", "150103", "150104", "150105", "150121", "150202", "150203", "152502"]
# The budget the roster import has for all its work: 1.3 million rows in 20 s.
IMPORT_BUDGET_US = 20e6 / 1_300_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(count: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    first = dt.date(1930, 1, 1).toordinal()
    last = dt.date(2006, 12, 31).toordinal()
    ids = [
        make_id(
            rng.choice(REGIONS), dt.date.fromordinal(rng.randint(first, last)), rng.randrange(1000)
        )
        for _ in range(count)
    ]
    phones = [f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" for _ in range(count)]
    return ids, phones


def batches(values: Sequence[str], size: int) -> list[Sequence[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def timed(
    label: str, work: Sequence[Sequence[str]], run: Callable[[Sequence[str]], object]
) -> dict[str, float]:
    """Runs `run` on each batch in turn, keeping only the current batch's result (as an
    import that validates, encrypts and writes batch by batch would)."""
    count = sum(map(len, work))
    start = time.perf_counter()
    for batch in work:
        run(batch)
    seconds = time.perf_counter() - start
    us = seconds / count * 1e6
    log(f"{label}: {us:.2f} µs per value, {seconds:.2f} s")
    return {"us_per_value": round(us, 3), "seconds": round(seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_300_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = args.count

    log(f"generating {n} ID numbers and phones")
    start = time.perf_counter()
    ids, phones = generate(n, args.seed)
    generate_s = time.perf_counter() - start
    id_batches = batches(ids, args.batch)
    phone_batches = batches(phones, args.batch)
    today = dt.date.today()

    results: dict[str, dict[str, float]] = {}
    results["make_id_and_phone"] = {
        "us_per_value": round(generate_s / n * 1e6, 3),
        "seconds": round(generate_s, 3),
    }
    results["validate_id"] = timed("validate_id", id_batches, lambda b: [validate_id(v) for v in b])
    results["validate_id_given_today"] = timed(
        "validate_id(today=...)", id_batches, lambda b: [validate_id(v, today=today) for v in b]
    )
    gc.disable()
    results["validate_id_given_today_gc_off"] = timed(
        "validate_id(today=...), gc disabled",
        id_batches,
        lambda b: [validate_id(v, today=today) for v in b],
    )
    gc.enable()
    results["validate_phone"] = timed(
        "validate_phone", phone_batches, lambda b: [validate_phone(v) for v in b]
    )
    tokens: list[str] = []
    results["encrypt_many"] = timed(
        "encrypt_many", id_batches, lambda b: tokens.extend(crypto.encrypt_many(b))
    )
    results["encrypt"] = timed(
        "encrypt (one by one)", id_batches, lambda b: [crypto.encrypt(v) for v in b]
    )
    results["lookup_hash_many"] = timed("lookup_hash_many", id_batches, crypto.lookup_hash_many)
    results["lookup_hash"] = timed(
        "lookup_hash (one by one)", id_batches, lambda b: [crypto.lookup_hash(v) for v in b]
    )
    token_batches = batches(tokens, args.batch)
    results["decrypt"] = timed(
        "decrypt (one by one)", token_batches, lambda b: [crypto.decrypt(t) for t in b]
    )
    results["decrypt_many"] = timed("decrypt_many", token_batches, crypto.decrypt_many)
    assert crypto.decrypt_many(tokens[:1000]) == ids[:1000]

    # One imported row: validate both numbers, encrypt both, hash both, in batches.
    row_us = (
        results["validate_id_given_today"]["us_per_value"]
        + results["validate_phone"]["us_per_value"]
        + 2 * results["encrypt_many"]["us_per_value"]
        + 2 * results["lookup_hash_many"]["us_per_value"]
    )
    print(
        json.dumps(
            {
                "benchmark": "crypto",
                "values": n,
                "batch": args.batch,
                "results": results,
                "import_row_us": round(row_us, 3),
                "import_rows_seconds": round(row_us * 1_300_000 / 1e6, 2),
                "import_budget_us_per_row": round(IMPORT_BUDGET_US, 3),
                "machine": {
                    "python": platform.python_version(),
                    "cryptography": cryptography.__version__,
                    "openssl": openssl.openssl_version_text(),
                    "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(),
                },
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
