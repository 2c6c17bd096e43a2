"""Public submission under load (issue 11): `POST /api/v1/public/orgs/{id}/opinions` against
the production server setup on loopback, on SQLite (the embedded cache on disk) and on
PostgreSQL (with Redis as the cache, as in production). Targets: >= 400 submissions/s with
p99 <= 100 ms (goal 800), and nothing lost: the accepted submissions counted by the client
equal the opinions and receipts stored. Then the inbox and the statistics, signed in, at
the province's root, a county and a village, through the same server: p95 <= 100 ms.

For each database, a fresh one (PostgreSQL: massline_bench_opload, created and dropped here):
`migrate`, `load-divisions --province 15`, `generate-orgs --province 15 --seed 1`. Then this
script again in a process of its own (`--measure`), which starts the web server exactly as
`massline serve` does (`massline.core.server.web_command`: gunicorn, 2 workers of 4 threads,
the portal's private access log) in production mode (`MASSLINE_PRODUCTION=1`, the client
sending `X-Forwarded-Proto: https` as the proxy would), and sends, open loop
(bench/loadclient.py):

1. a warm-up (`--rate` / 2 per second for 5 s, not reported);
2. `--rate` submissions per second for `--seconds` (default 400/s for 20 s);
3. `--goal` submissions per second for `--seconds` (default 800/s);
4. a flood: one address sending the submission limit and 5 more, one after the other: the
   last 5 get HTTP 429 with the translated message, and the ones before were stored.

Each submission comes from its own loopback address among many (each address well under
the portal's limit of 20 in 10 minutes, left at its default), to a random village branch,
with a realistic text; one in ten is named (a mobile number, encrypted at rest). After the
server has stopped, every receipt code the client was given is looked up in the database:
each must exist, once. The access log is read too: it must hold no client address and no
receipt code for a public request.

    .venv/bin/python bench/opinions_load.py [--rate 400] [--goal 800] [--seconds 20]
                                            [--requests 100] [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from typing import Any

from common import arguments, emit, log, three_places
from loadclient import (
    Request,
    cpu_seconds,
    json_of,
    one_by_one,
    open_loop,
    percentiles,
    sources,
    wait_ready,
)
from loadserver import HOST, PROXY, django_ready, on_fresh_provinces, start
from opinions_stats import build

PG_DATABASE = "massline_bench_opload"
PORT = int(os.environ.get("MASSLINE_BENCH_PORT", "8765"))
TARGET_RATE, TARGET_P99_MS, PAGE_P95_MS = 400, 100.0, 100.0
#: Submissions per source address, well under the portal's default limit (20 in 10 minutes).
PER_ADDRESS = 10
TEXTS = [
    "村口的路灯坏了三个月了，晚上老人出门很不方便，希望尽快修好。",
    "低保评定的名单没有公示，群众有意见，建议公开评定过程。",
    "村里开会太多，通知下来总是要求当天报材料，基层负担重。",
    "小区门口的垃圾没人清理，夏天味道很大，请社区协调物业。",
    "镇上办事大厅中午没人，跑了两次都没办成，希望延长服务时间。",
    "希望党员干部多到我们村走走，听听老百姓的想法。",
    "合作社分红账目不清楚，<b>请公开</b>每一笔收入和支出。",
    "冬天取暖补贴什么时候发放？去年的还没有到账😟",
]


def _submission(rng: random.Random, org_id: int, source: str) -> Request:
    body: dict[str, Any] = {"text": f"{rng.choice(TEXTS)}（{rng.randrange(10**6)}）"}
    if rng.random() < 0.1:
        body.update(anonymous=False, contact=f"138{rng.randrange(10**8):08d}", name="王女士")
    return Request(
        "POST",
        f"/api/v1/public/orgs/{org_id}/opinions",
        json.dumps(body, ensure_ascii=False).encode(),
        (("Content-Type", "application/json"), *PROXY),
        source,
    )


def _phase(name: str, orgs: list[int], rate: float, seconds: float, first: int, seed: int) -> Any:
    rng = random.Random(seed)
    n = int(rate * seconds)
    addresses = sources(first, -(-n // PER_ADDRESS))
    requests = [_submission(rng, rng.choice(orgs), addresses[k % len(addresses)]) for k in range(n)]
    log(f"{name}: {n} submissions at {rate:g}/s from {len(addresses)} addresses ...")
    return open_loop(HOST, PORT, requests, rate)


def _drained() -> None:
    """Wait until the server answers at once again (after an overload its queue still holds
    requests whose clients gave up)."""
    probe = Request("GET", "/p/r/", b"", PROXY)
    for _ in range(120):
        if one_by_one(HOST, PORT, [probe]).outcomes[0].latency < 0.2:
            return
    log("the server is still busy")


def _receipts(outcomes: list[Any]) -> list[str]:
    found = [json_of(o.body) for o in outcomes if o.status == 201]
    return [r["receipt"] for r in found if isinstance(r, dict) and "receipt" in r]


def _pages(session: dict[str, str], requests: int) -> dict[str, Any]:
    """The inbox and statistics through the server, one request at a time, signed in."""
    measured: dict[str, Any] = {}
    for name, (org, cookie) in session.items():
        headers = (*PROXY, ("Cookie", cookie))
        urls = {
            "inbox_page": f"/opinions/orgs/{org}/",
            "stats_page": f"/opinions/orgs/{org}/stats/",
            "stats_api": f"/api/v1/opinions/stats?org={org}",
        }
        measured[name] = {}
        for key, url in urls.items():
            result = one_by_one(HOST, PORT, [Request("GET", url, b"", headers)] * requests)
            statuses = {o.status for o in result.outcomes}
            assert statuses == {200}, (url, statuses)
            measured[name][key] = {
                "url": url,
                **percentiles(sorted(o.latency for o in result.outcomes)),
            }
    return measured


def _signed_in() -> dict[str, tuple[int, str]]:
    """A session cookie for each place's user (`three_places`)."""
    from django.conf import settings
    from django.test import Client
    from member_lists import bench_user

    from massline.access.services import roles_ensure_builtin

    roles_ensure_builtin(actor=None)
    cookies = {}
    for name, (role, org, scope) in three_places("opinions.total").items():
        client = Client()
        client.force_login(bench_user(f"bench-opload-{name}", role, org, scope))
        value = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies[name] = (org.pk, f"{settings.SESSION_COOKIE_NAME}={value}")
    return cookies


def measure(rate: float, goal: float, seconds: float, requests: int) -> dict[str, Any]:
    vendor = django_ready()
    from django.conf import settings

    from massline.opinions.models import Opinion, Receipt
    from massline.opinions.receipts import code_hash
    from massline.orgs.models import Organization

    rng = random.Random(7)
    branches = list(
        Organization.objects.filter(kind="branch", division__level=5).values_list("pk", flat=True)
    )
    orgs = rng.sample(branches, min(2000, len(branches)))
    before = (Opinion.objects.count(), Receipt.objects.count())
    server, access_log = start(PORT, "massline-bench-opload-")
    results: dict[str, Any] = {}
    receipts: list[str] = []
    unanswered = 0  # timed out or cut off: stored or not, the client cannot tell
    try:
        wait_ready(HOST, PORT, Request("GET", "/p/r/", b"", PROXY))
        # every thread's connections to the database and the cache opened, the code paths
        # run: a server that has been up a while
        warm = _phase("warm-up", orgs, rate / 2, 5, 100, 1)
        receipts += _receipts(warm.outcomes)
        unanswered += sum(o.status == 0 for o in warm.outcomes)
        for name, r, first in (("target", rate, 110), ("goal", goal, 120)):
            cpu, own = cpu_seconds(server.pid), time.process_time()
            done = _phase(name, orgs, r, seconds, first, first)
            n = len(done.outcomes)
            results[name] = {
                "rate": r,
                **done.summary(),
                # CPU per request, of the server (all its processes) and of this client
                "server_cpu_ms": round((cpu_seconds(server.pid) - cpu) / n * 1000, 2),
                "client_cpu_ms": round((time.process_time() - own) / n * 1000, 2),
            }
            receipts += _receipts(done.outcomes)
            unanswered += sum(o.status == 0 for o in done.outcomes)
        _drained()
        limit = settings.PORTAL_RATE_LIMITS["submit"][0]
        flood_rng = random.Random(3)
        flood = one_by_one(
            HOST,
            PORT,
            [_submission(flood_rng, orgs[0], "127.200.0.1") for _ in range(limit + 5)],
        )
        refused = [json_of(o.body) for o in flood.outcomes if o.status == 429]
        results["flood"] = {
            "limit": limit,
            "statuses": [o.status for o in flood.outcomes],
            "message": (refused[0] or {}).get("message") if refused else None,
        }
        receipts += _receipts(flood.outcomes)
        unanswered += sum(o.status == 0 for o in flood.outcomes)
        results["pages"] = _pages(_signed_in(), requests)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    # every accepted submission (the warm-up's too) stored, once
    stored = (Opinion.objects.count() - before[0], Receipt.objects.count() - before[1])
    hashes = [code_hash(code) for code in receipts]
    found = sum(
        Receipt.objects.filter(code_hash__in=hashes[i : i + 5000]).count()
        for i in range(0, len(hashes), 5000)
    )
    log_text = access_log.read_text(errors="replace")
    public_lines = [line for line in log_text.splitlines() if "/api/v1/public/" in line]
    flood_ok = results["flood"]["statuses"] == [201] * limit + [429] * 5
    page_p95s = [v["p95_ms"] for place in results["pages"].values() for v in place.values()]
    return {
        "vendor": vendor,
        "cache": "redis" if vendor == "postgresql" else "embedded (disk)",
        "server": "gunicorn, 2 workers x 4 threads, MASSLINE_PRODUCTION=1",
        **results,
        "accepted_by_client": len(receipts),
        "unanswered": unanswered,
        "receipts_found_in_database": found,
        "receipts_distinct": len(set(receipts)),
        "stored_opinions": stored[0],
        "stored_receipts": stored[1],
        "access_log_public_lines": len(public_lines),
        "access_log_has_client_address": any("127." in line for line in public_lines),
        # every receipt given was stored, once; anything else stored was sent but its answer
        # never came (the client gave up on it)
        "nothing_lost": found == len(receipts) == len(set(receipts))
        and stored[0] == stored[1]
        and len(receipts) <= stored[0] <= len(receipts) + unanswered,
        "flood_ok": flood_ok,
        "pass": (
            results["target"]["achieved_per_s"] >= TARGET_RATE * 0.98
            and results["target"]["statuses"] == {"201": int(rate * seconds)}
            and results["target"].get("p99_ms", float("inf")) <= TARGET_P99_MS
            and max(page_p95s) <= PAGE_P95_MS
        ),
        "goal_pass": results["goal"]["statuses"] == {"201": int(goal * seconds)}
        and results["goal"].get("p99_ms", float("inf")) <= TARGET_P99_MS,
    }


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--goal", type=float, default=800)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    if args.measure:
        record = measure(args.rate, args.goal, args.seconds, args.requests)
        print(json.dumps(record, ensure_ascii=False))
        return
    options = ["--rate", str(args.rate), "--goal", str(args.goal)]
    options += ["--seconds", str(args.seconds), "--requests", str(args.requests)]
    records = on_fresh_provinces(
        "opinions_load",
        PG_DATABASE,
        "opinions_load.py",
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
            checks[f"{name}: {TARGET_RATE}/s, p99 <= {TARGET_P99_MS:g} ms, pages p95"] = r["pass"]
            checks[f"{name}: nothing lost, flood refused"] = r["nothing_lost"] and r["flood_ok"]
            checks[f"{name}: no client address in the access log"] = not r[
                "access_log_has_client_address"
            ]
    emit({"benchmark": "opinions_load_summary", "checks": checks})


if __name__ == "__main__":
    main()
