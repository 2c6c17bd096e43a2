"""The task queue's benchmark: 1,000 small jobs queued and run by real consumers, on the
embedded default (the queue in a SQLite file, the database SQLite) and in production's shape
(the queue in Redis, the database PostgreSQL).

Each job is `core.queue_check`, which does nothing but finish: what is measured is the
queue. Two rounds per setting:
- burst: all jobs queued at once; throughput (jobs finished per second);
- paced: jobs queued at a steady rate the consumers can keep up with (--rate a second);
  queue-to-start latency (a job's started_at minus its created_at): p50, p95, max.

Two consumers run, each with two worker threads (`massline consumer -w 2`), as on a
two-core machine. Prints one JSON object per setting.

    .venv/bin/python bench/jobqueue.py [--jobs 1000] [--rate 50] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import MASSLINE, NOT_OURS, PG_SERVER, ROOT, emit, environment, log, pg_connect, run

REDIS = os.environ.get("MASSLINE_BENCH_REDIS", "redis://127.0.0.1:6379/15")
PG_DATABASE = "massline_bench_queue"
TARGET_REDIS_P95_S = 1.0

DRIVER = """
import json, sys, time
import django
django.setup()
from massline.core import jobs
from massline.core.models import Job, JobStatus

count, rate, label = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
ids = []
start = time.perf_counter()
for i in range(count):
    if rate:
        wait = start + i / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    ids.append(jobs.enqueue(jobs.QUEUE_CHECK, actor=None).pk)
queued = time.perf_counter() - start
deadline = time.monotonic() + 600
while Job.objects.filter(pk__in=ids).exclude(status=JobStatus.DONE).exists():
    if time.monotonic() > deadline:
        sys.exit("jobs did not finish in 10 minutes")
    time.sleep(0.1)
rows = list(Job.objects.filter(pk__in=ids).values_list("created_at", "started_at", "finished_at"))
waits = sorted((s - c).total_seconds() for c, s, f in rows)
first = min(c for c, s, f in rows)
last = max(f for c, s, f in rows)
def pct(p):
    return round(waits[min(len(waits) - 1, int(p * len(waits)))], 3)
print(json.dumps({
    "round": label, "jobs": count, "rate_per_s": rate or None,
    "queue_s": round(queued, 2), "all_done_s": round((last - first).total_seconds(), 2),
    "throughput_per_s": round(count / (last - first).total_seconds(), 1),
    "wait_p50_s": pct(0.50), "wait_p95_s": pct(0.95), "wait_max_s": round(waits[-1], 3),
}))
"""


def measure(env: dict[str, str], jobs: int, rate: float) -> dict[str, Any]:
    consumers = [
        subprocess.Popen(
            [*MASSLINE, "consumer", "-w", "2"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        time.sleep(3)  # the consumers start
        rounds = {}
        for label, pace in (("burst", 0.0), ("paced", rate)):
            log(f"  {label}: {jobs} jobs ...")
            done = subprocess.run(
                [sys.executable, "-c", DRIVER, str(jobs), str(pace), label],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            )
            import json

            rounds[label] = json.loads(done.stdout.strip().splitlines()[-1])
        return rounds
    finally:
        for c in consumers:
            c.terminate()
        for c in consumers:
            c.wait(20)


def embedded(jobs: int, rate: float) -> dict[str, Any]:
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-queue-"))
    try:
        env = environment(var_dir, "")
        env.update({"MASSLINE_JOBS_MODE": "queue", "MASSLINE_QUEUE_URL": "", "REDIS_URL": ""})
        run([*MASSLINE, "migrate", "--no-input", "-v", "0"], env)
        log("queue on the embedded default (SQLite queue, SQLite database) ...")
        return {"bench": "queue_embedded", **measure(env, jobs, rate)}
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def production(jobs: int, rate: float) -> dict[str, Any]:
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    assert PG_DATABASE not in NOT_OURS
    with pg_connect("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    var_dir = Path(tempfile.mkdtemp(prefix="massline-bench-queue-"))
    try:
        url = PG_SERVER.rstrip("/") + "/" + PG_DATABASE
        env = environment(var_dir, url)
        env.update({"MASSLINE_JOBS_MODE": "queue", "MASSLINE_QUEUE_URL": REDIS, "REDIS_URL": REDIS})
        run([*MASSLINE, "migrate", "--no-input", "-v", "0"], env)
        log("queue in production's shape (Redis queue, PostgreSQL database) ...")
        result = {"bench": "queue_redis", **measure(env, jobs, rate)}
        p95 = result["paced"]["wait_p95_s"]
        result["checks"] = {"paced_wait_p95_s": p95, "pass": p95 <= TARGET_REDIS_P95_S}
        return result
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        redis.Redis.from_url(REDIS).flushdb()
        with pg_connect("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    emit(embedded(args.jobs, args.rate))
    if not args.no_postgres:
        emit(production(args.jobs, args.rate))


if __name__ == "__main__":
    main()
