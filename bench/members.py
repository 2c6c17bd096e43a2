"""Benchmark of the member generator: `generate-members --count 1300000` (a province's members)
into a fresh database, as bench/run.py sets one up: `migrate`, `load-divisions --province 15`
and `generate-orgs --province 15 --seed 1`, each in its own process with DATABASE_URL and
MASSLINE_VAR_DIR pointing at a temporary directory.

1. members_sqlite: a fresh SQLite database in a temporary directory.
2. members_csv: on that database, the same members written to a CSV roster (`--output`).
3. members_postgresql: a fresh PostgreSQL database of its own (massline_bench_members),
   created and dropped here; skipped when no server answers at MASSLINE_BENCH_PG (a server
   URL without a database name; by default postgres://postgres@127.0.0.1:5432/).

Each record gives the wall time of the command (Django start-up included), the time and rate
the generator reports itself, and the peak RSS of the generating process (getrusage of that
child, read with os.wait4). `--verify` then recounts every counter (`rebuild-counters
--check`) and times it. Prints one JSON object per benchmark, one per line, then a summary;
progress goes to stderr.

    .venv/bin/python bench/members.py [--count 1300000] [--seed 1] [--no-postgres] [--no-csv]
                                      [--verify]
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from common import (
    MASSLINE,
    NOT_OURS,
    PG_SERVER,
    ROOT,
    emit,
    environment,
    log,
    pg_connect,
    postgres_version,
    run,
)

PROVINCE = "15"
PG_DATABASE = "massline_bench_members"
# What the command prints ends with a line like "1300000 members generated in 68001 branches
# in 95.3 s (13641 rows/s)." in any language: the first four figures, in that order, are read.
_FIGURES = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def prepare(env: dict[str, str]) -> dict[str, float]:
    """migrate, load-divisions, generate-orgs: the organizations the members go into."""
    steps = {
        "migrate": [*MASSLINE, "migrate", "--no-input", "-v", "0"],
        "load_divisions": [*MASSLINE, "load-divisions", "--province", PROVINCE],
        "generate_orgs": [*MASSLINE, "generate-orgs", "--province", PROVINCE, "--seed", "1"],
    }
    seconds = {}
    for name, args in steps.items():
        log(f"{name} ...")
        seconds[f"{name}_s"] = round(run(args, env)[0], 2)
    return seconds


def generate(env: dict[str, str], count: int, seed: int, output: Path | None) -> dict[str, Any]:
    args = [*MASSLINE, "generate-members", "--count", str(count), "--seed", str(seed)]
    args += ["--no-progress"]
    if output is not None:
        args += ["--output", str(output)]
    log(f"generate-members --count {count}{' --output' if output else ''} ...")
    wall, out, rss = run(args, env)
    figures = _FIGURES.findall(out.strip().splitlines()[-1]) if out.strip() else []
    if len(figures) < 4:
        raise SystemExit(f"unexpected output: {out!r}")
    created, branches, seconds = int(figures[0]), int(figures[1]), float(figures[2])
    return {
        "rows": created,
        "branches": branches,
        "seconds": round(seconds, 1),
        "rows_per_s": round(created / seconds) if seconds else None,
        "wall_s": round(wall, 1),
        "wall_rows_per_s": round(created / wall),
        "peak_rss_mb": round(rss),
    }


def verify(env: dict[str, str]) -> dict[str, Any]:
    log("rebuild-counters --check ...")
    start = time.perf_counter()
    done = subprocess.run(
        [*MASSLINE, "rebuild-counters", "--check"], env=env, cwd=ROOT, capture_output=True
    )
    seconds = time.perf_counter() - start
    return {"counters_check_s": round(seconds, 1), "counters_match": done.returncode == 0}


def bench_sqlite(count: int, seed: int, csv: bool, check: bool) -> list[dict[str, Any]]:
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-members-"))
    records = []
    try:
        env = environment(var_dir, "")
        setup = prepare(env)
        record = {"benchmark": "members_sqlite", **generate(env, count, seed, None)}
        db = var_dir / "massline.sqlite3"
        with closing(sqlite3.connect(db)) as conn:
            record["rows_in_table"] = conn.execute(
                "SELECT count(*) FROM members_member"
            ).fetchone()[0]
        record["database_mb"] = round(
            sum(p.stat().st_size for p in var_dir.glob("massline.sqlite3*")) / 2**20
        )
        if check:
            record.update(verify(env))
        record["setup"] = setup
        records.append(record)
        if csv:
            path = var_dir / "roster.csv"
            written = generate(env, count, seed + 1, path)
            written["file_mb"] = round(path.stat().st_size / 2**20)
            records.append({"benchmark": "members_csv", **written})
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return records


def bench_postgres(count: int, seed: int, check: bool) -> list[dict[str, Any]]:
    assert PG_DATABASE not in NOT_OURS | {"massline_bench"}
    if postgres_version() is None:
        log(f"no PostgreSQL answers at {PG_SERVER}: skipped")
        return [{"benchmark": "members_postgresql", "skipped": f"no server at {PG_SERVER}"}]
    with pg_connect("postgres") as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DATABASE}")
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-members-"))
    try:
        env = environment(var_dir, PG_SERVER.rstrip("/") + "/" + PG_DATABASE)
        setup = prepare(env)
        record = {"benchmark": "members_postgresql", **generate(env, count, seed, None)}
        with pg_connect(PG_DATABASE) as conn:
            record["rows_in_table"] = conn.execute(
                "SELECT count(*) FROM members_member"
            ).fetchone()[0]
            record["table_mb"] = round(
                conn.execute("SELECT pg_total_relation_size('members_member')").fetchone()[0]
                / 2**20
            )
        if check:
            record.update(verify(env))
        record["setup"] = setup
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        with pg_connect("postgres") as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    return [record]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_300_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-csv", action="store_true", help="skip the CSV output run")
    parser.add_argument("--verify", action="store_true", help="recount the counters after")
    args = parser.parse_args()
    start = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    if load_at_start >= (os.cpu_count() or 1):
        log(f"the machine is busy (1-minute load {load_at_start:.2f}): wall times will suffer")
    records = bench_sqlite(args.count, args.seed, not args.no_csv, args.verify)
    for record in records:
        emit(record)
    if not args.no_postgres:
        for record in bench_postgres(args.count, args.seed, args.verify):
            emit(record)
    emit(
        {
            "benchmark": "summary",
            "date": datetime.date.today().isoformat(),
            "cores": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version,
            "postgresql": postgres_version(),
            "loadavg_1min": {"start": round(load_at_start, 2), "end": round(os.getloadavg()[0], 2)},
            "wall_s": round(time.perf_counter() - start, 1),
        }
    )


if __name__ == "__main__":
    main()
