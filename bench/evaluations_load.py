"""Public evaluation under load (issue 12): `POST /api/v1/public/evaluations` with one-time
evaluation codes against the production server setup on loopback, on SQLite (the embedded
cache on disk) and on PostgreSQL (with Redis as the cache, as in production). Target:
>= 300 evaluations/s with p99 <= 100 ms, and nothing lost: the evaluations the client saw
accepted equal the evaluations stored, each code used once, the counters equal a recount.

For each database, a fresh one (PostgreSQL: massline_bench_evload, created and dropped here):
`migrate`, `load-divisions --province 15`, `generate-orgs --province 15 --seed 1`. Then this
script again in a process of its own (`--measure`): closed-out fixes at random village
branches, `PER_FIX` evaluation codes each, problems, fixes and codes written in bulk with their
counters (as `tokens_issue` would hash them); the web server started exactly as
`massline serve` does (gunicorn, 2 workers of 4 threads, the portal's private access log) in
production mode, and, open loop (bench/loadclient.py):

1. a warm-up (`--rate` / 2 per second for 5 s, not reported);
2. `--rate` evaluations per second for `--seconds` (default 300/s for 20 s);
3. `--goal` evaluations per second for `--seconds` (default 600/s);
4. a flood: one address sending the evaluation limit and 5 more, one after the other: the
   last 5 get HTTP 429;
5. the rework: a fix of its own judged by 5 codes one by one, 3 of them unsatisfied: the 5th
   sends it back (round 2), and a 6th code of round 1 is refused (`token_round`).

Each fix's codes are sent in order with one unsatisfied verdict (with its reason) in ten, so no
fix of the load reaches the rework threshold; each evaluation comes from its own loopback
address among many (10 per address, under the portal's limit).

    .venv/bin/python bench/evaluations_load.py [--rate 300] [--goal 600] [--seconds 20]
                                               [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from typing import Any

from common import arguments, emit, log
from loadclient import Request, cpu_seconds, json_of, one_by_one, open_loop, sources, wait_ready
from loadserver import HOST, PROXY, django_ready, on_fresh_provinces, start
from opinions_stats import build

PG_DATABASE = "massline_bench_evload"
PORT = int(os.environ.get("MASSLINE_BENCH_EVAL_PORT", "8766"))
TARGET_RATE, TARGET_P99_MS = 300, 100.0
PER_ADDRESS = 10
PER_FIX = 20
URL = "/api/v1/public/evaluations"
VERDICTS = ["satisfied"] * 6 + ["basically_satisfied"] * 3
REASONS = ["公开栏还是没有按时更新", "账目公开不够细", "问题反复出现"]


def closed_fixes(n: int, per_fix: int, rng: random.Random) -> list[tuple[int, list[str]]]:
    """`n` closed-out fixes at random village branches with `per_fix` codes each, written in
    bulk with their counters; (fix id, its codes in the order they are sent)."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from massline.core import crypto
    from massline.orgs import counters
    from massline.orgs.models import Organization
    from massline.rectification.counters import fix_counts, problem_counts
    from massline.rectification.evaluation_services import new_token_code, token_text
    from massline.rectification.models import (
        EvaluationToken,
        Fix,
        FixKind,
        FixState,
        Problem,
        ProblemSource,
    )

    villages = list(
        Organization.objects.filter(kind="branch", division__level=5).values_list("pk", "path")
    )
    now, today = timezone.now(), timezone.localdate()
    chosen = [rng.choice(villages) for _ in range(n)]
    with transaction.atomic():
        problems = Problem.objects.bulk_create(
            Problem(
                org_id=pk,
                org_path=path,
                origin_org_id=pk,
                origin_path=path,
                source=ProblemSource.SUPERVISION,
                description="村务公开栏长期不更新",
                responsible_person="王书记",
                created_at=now,
            )
            for pk, path in chosen
        )
        fixes = Fix.objects.bulk_create(
            Fix(
                problem=p,
                org_id=p.org_id,
                org_path=p.org_path,
                origin_org_id=p.org_id,
                origin_path=p.org_path,
                measure="每月 5 日前更新公开栏，村监委会签字确认",
                kind=FixKind.TIME_LIMITED,
                deadline=today + dt.timedelta(days=30),
                responsible_person="王书记",
                state=FixState.CLOSED,
                closed_on=today,
                created_at=now,
            )
            for p in problems
        )
        changes: dict[str, dict[str, int]] = {}
        for p, f in zip(problems, fixes, strict=True):
            for figures in (problem_counts(p), fix_counts(f)):
                row = changes.setdefault(p.org_path, {})
                for k, v in figures.items():
                    row[k] = row.get(k, 0) + v
        counters.bump_many(changes)
        codes = [[new_token_code() for _ in range(per_fix)] for _ in fixes]
        flat = [c for batch in codes for c in batch]
        hashes = crypto.lookup_hash_many([token_text(c) for c in flat])
        owners = [f.pk for f in fixes for _ in range(per_fix)]
        EvaluationToken.objects.bulk_create(
            (
                EvaluationToken(fix_id=fix_id, round=1, code_hash=h, issued_at=now)
                for fix_id, h in zip(owners, hashes, strict=True)
            ),
            batch_size=5000,
        )
    return [(f.pk, batch) for f, batch in zip(fixes, codes, strict=True)]


def _evaluation(code: str, k: int, source: str, rng: random.Random) -> Request:
    if k % 10 == 9:
        body = {"token": code, "verdict": "unsatisfied", "reason": rng.choice(REASONS)}
    else:
        body = {"token": code, "verdict": rng.choice(VERDICTS)}
    return Request(
        "POST",
        URL,
        json.dumps(body, ensure_ascii=False).encode(),
        (("Content-Type", "application/json"), *PROXY),
        source,
    )


def _interleaved(fixes: list[tuple[int, list[str]]], rng: random.Random) -> list[tuple[str, int]]:
    """Every code with its place among its fix's codes, the fixes interleaved at random and
    each fix's codes kept in order."""
    order = [i for i, (_fix, codes) in enumerate(fixes) for _ in codes]
    rng.shuffle(order)
    seen = [0] * len(fixes)
    out = []
    for i in order:
        out.append((fixes[i][1][seen[i]], seen[i]))
        seen[i] += 1
    return out


def _phase(name: str, codes: list[tuple[str, int]], rate: float, first: int) -> Any:
    rng = random.Random(first)
    addresses = sources(first, -(-len(codes) // PER_ADDRESS))
    requests = [
        _evaluation(code, k, addresses[i % len(addresses)], rng)
        for i, (code, k) in enumerate(codes)
    ]
    log(f"{name}: {len(requests)} evaluations at {rate:g}/s from {len(addresses)} addresses ...")
    return open_loop(HOST, PORT, requests, rate)


def measure(rate: float, goal: float, seconds: float) -> dict[str, Any]:
    vendor = django_ready()
    from django.conf import settings

    from massline.orgs import counters
    from massline.rectification.models import Evaluation, EvaluationToken, Fix

    rng = random.Random(7)
    sizes = {"warm-up": int(rate / 2 * 5), "target": int(rate * seconds)}
    sizes["goal"] = int(goal * seconds)
    limit = settings.PORTAL_RATE_LIMITS["evaluate"][0]
    total = sum(sizes.values()) + limit + 5
    started = time.perf_counter()
    fixes = closed_fixes(-(-total // PER_FIX), PER_FIX, rng)
    rework = closed_fixes(1, 6, rng)[0]
    prepared_s = round(time.perf_counter() - started, 1)
    log(f"{len(fixes) + 1} closed fixes with their codes in {prepared_s} s")
    stream = _interleaved(fixes, rng)
    parts, at = {}, 0
    for name, n in (*sizes.items(), ("flood", limit + 5)):
        parts[name], at = stream[at : at + n], at + n
    server, access_log = start(PORT, "massline-bench-evload-")
    results: dict[str, Any] = {}
    accepted = unanswered = 0
    refused: dict[str, int] = {}

    def tally(outcomes: list[Any]) -> None:
        nonlocal accepted, unanswered
        for o in outcomes:
            if o.status == 201:
                accepted += 1
            elif o.status == 0:
                unanswered += 1
            elif o.status != 429:
                code = (json_of(o.body) or {}).get("code", str(o.status))
                refused[code] = refused.get(code, 0) + 1

    try:
        wait_ready(HOST, PORT, Request("GET", "/p/e/", b"", PROXY))
        tally(_phase("warm-up", parts["warm-up"], rate / 2, 100).outcomes)
        for name, r, first in (("target", rate, 110), ("goal", goal, 120)):
            if not parts[name]:
                continue
            cpu, own = cpu_seconds(server.pid), time.process_time()
            done = _phase(name, parts[name], r, first)
            n = len(done.outcomes)
            results[name] = {
                "rate": r,
                **done.summary(),
                "server_cpu_ms": round((cpu_seconds(server.pid) - cpu) / n * 1000, 2),
                "client_cpu_ms": round((time.process_time() - own) / n * 1000, 2),
            }
            tally(done.outcomes)
        time.sleep(1)
        flood_rng = random.Random(3)
        flood = one_by_one(
            HOST,
            PORT,
            [_evaluation(c, k, "127.200.0.1", flood_rng) for c, k in parts["flood"]],
        )
        statuses = [o.status for o in flood.outcomes]
        results["flood"] = {"limit": limit, "statuses": statuses}
        tally(flood.outcomes)
        # the rework: 3 of 5 unsatisfied sends the fix back; its 6th code (round 1) is refused
        _fix_id, codes = rework
        judged = one_by_one(
            HOST,
            PORT,
            [
                _evaluation(c, 9 if k < 3 else 0, "127.201.0.1", random.Random(k))
                for k, c in enumerate(codes)
            ],
        )
        results["rework"] = {
            "statuses": [o.status for o in judged.outcomes],
            "last": (json_of(judged.outcomes[-1].body) or {}).get("code"),
        }
        accepted += sum(o.status == 201 for o in judged.outcomes)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    stored = Evaluation.objects.count()
    used = EvaluationToken.objects.filter(used=True).count()
    reworked = Fix.objects.get(pk=rework[0])
    drift = counters.rebuild(check_only=True)
    public_lines = [
        line
        for line in access_log.read_text(errors="replace").splitlines()
        if "/api/v1/public/" in line
    ]
    flood_ok = results["flood"]["statuses"] == [201] * limit + [429] * 5
    rework_ok = (
        results["rework"]["statuses"] == [201] * 5 + [400]
        and results["rework"]["last"] == "token_round"
        and reworked.round == 2
    )
    target = results.get("target", {})
    return {
        "vendor": vendor,
        "cache": "redis" if vendor == "postgresql" else "embedded (disk)",
        "server": "gunicorn, 2 workers x 4 threads, MASSLINE_PRODUCTION=1",
        "fixes": len(fixes) + 1,
        "codes_per_fix": PER_FIX,
        "prepared_s": prepared_s,
        **results,
        "accepted_by_client": accepted,
        "unanswered": unanswered,
        "refused_by_code": refused,
        "stored_evaluations": stored,
        "codes_used": used,
        "counters_drift": len(drift),
        "access_log_has_client_address": any("127." in line for line in public_lines),
        # every accepted evaluation stored once, with its code used; anything more stored was
        # sent but its answer never came
        "nothing_lost": stored == used
        and accepted <= stored <= accepted + unanswered
        and not refused
        and not drift,
        "flood_ok": flood_ok,
        "rework_ok": rework_ok,
        "pass": (
            target.get("achieved_per_s", 0) >= rate * 0.98
            and target.get("statuses") == {"201": sizes["target"]}
            and target.get("p99_ms", float("inf")) <= TARGET_P99_MS
        ),
        "goal_pass": results.get("goal", {}).get("statuses") == {"201": sizes["goal"]}
        and results.get("goal", {}).get("p99_ms", float("inf")) <= TARGET_P99_MS,
    }


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--goal", type=float, default=600)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.rate, args.goal, args.seconds), ensure_ascii=False))
        return
    options = ["--rate", str(args.rate), "--goal", str(args.goal), "--seconds", str(args.seconds)]
    records = on_fresh_provinces(
        "evaluations_load",
        PG_DATABASE,
        "evaluations_load.py",
        options,
        build,
        sqlite=not args.no_sqlite,
        postgres=not args.no_postgres,
    )
    for record in records:
        emit(record)
    checks = {}
    for r in records:
        if "pass" in r:
            name = r["benchmark"]
            checks[f"{name}: {args.rate:g}/s, p99 <= {TARGET_P99_MS:g} ms"] = r["pass"]
            checks[f"{name}: nothing lost, flood refused, rework at the threshold"] = (
                r["nothing_lost"] and r["flood_ok"] and r["rework_ok"]
            )
            checks[f"{name}: no client address in the access log"] = not r[
                "access_log_has_client_address"
            ]
    emit({"benchmark": "evaluations_load_summary", "checks": checks})


if __name__ == "__main__":
    main()
