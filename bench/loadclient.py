"""An open-loop HTTP/1.1 load generator on loopback, for the load tests in bench/ (public
submission now; public evaluation and check-in bursts use the same shape).

Open loop: request k is due at start + k / rate whatever happened to the ones before, and
its latency counts from when it was due, so a server that falls behind shows it in the
figures (no coordinated omission). Each request comes from the source address its caller
gives it in 127.0.0.0/8, over a connection of its own (`Connection: close`), as phones behind
a proxy would: the server's per-address rate limits see many people, not one client.
Written on asyncio streams: a few tens of microseconds of CPU per request, so the client
takes little of the two cores from the server it measures."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # a faster event loop where installed (the dev extras): less of the cores for the client
    from uvloop import run as _run
except ImportError:  # pragma: no cover
    _run = asyncio.run

#: How long one request may take before it counts as failed.
TIMEOUT = 10.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    source: str = "127.0.0.1"


@dataclass
class Outcome:
    status: int  # 0: no answer (refused, reset, timed out)
    latency: float  # seconds from when it was due to the end of the answer
    body: bytes = b""


@dataclass
class Run:
    """What a run measured: outcomes in request order and the wall time."""

    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        ok = sorted(o.latency for o in self.outcomes if 200 <= o.status < 300)
        statuses = Counter(o.status for o in self.outcomes)
        return {
            "requests": len(self.outcomes),
            "seconds": round(self.seconds, 2),
            "achieved_per_s": round(len(self.outcomes) / self.seconds, 1) if self.seconds else 0,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            **percentiles(ok),
        }


def percentiles(latencies: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of sorted latencies in seconds, as milliseconds."""
    if not latencies:
        return {}

    def at(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0)}


def encode(request: Request, host: str) -> bytes:
    lines = [
        f"{request.method} {request.path} HTTP/1.1",
        f"Host: {host}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in request.headers),
    ]
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(request.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body


def _parse(raw: bytes) -> tuple[int, bytes]:
    head, _sep, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size_line, _sep, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2 :]
        body = out
    return status, body


async def send(host: str, port: int, request: Request) -> tuple[int, bytes]:
    """One request on a connection of its own from `request.source`; (status, body)."""
    reader, writer = await asyncio.open_connection(host, port, local_addr=(request.source, 0))
    try:
        writer.write(encode(request, host))
        await writer.drain()
        raw = await reader.read()  # the server closes after the answer
    finally:
        writer.close()
    return _parse(raw)


async def _one(host: str, port: int, request: Request, due: float) -> Outcome:
    # `due` on the performance clock: uvloop's own clock counts whole milliseconds
    delay = due - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
    try:
        status, body = await asyncio.wait_for(send(host, port, request), TIMEOUT)
    except (TimeoutError, OSError, ValueError, IndexError):
        status, body = 0, b""
    return Outcome(status, time.perf_counter() - due, body)


async def _open_loop(
    host: str, port: int, requests: list[Request], rate: float
) -> tuple[list[Outcome], float]:
    start = time.perf_counter() + 0.1
    tasks = [
        asyncio.create_task(_one(host, port, r, start + k / rate)) for k, r in enumerate(requests)
    ]
    outcomes = await asyncio.gather(*tasks)
    return list(outcomes), time.perf_counter() - start


def open_loop(host: str, port: int, requests: list[Request], rate: float) -> Run:
    """Send `requests` at `rate` per second, open loop; what came back, in request order."""
    outcomes, seconds = _run(_open_loop(host, port, requests, rate))
    return Run(outcomes, seconds)


def one_by_one(host: str, port: int, requests: list[Request]) -> Run:
    """Send `requests` one after the other (each when the one before has its answer)."""

    async def go() -> list[Outcome]:
        return [await _one(host, port, r, time.perf_counter()) for r in requests]

    started = time.perf_counter()
    outcomes = _run(go())
    return Run(outcomes, time.perf_counter() - started)


def sources(first: int, n: int) -> list[str]:
    """`n` loopback addresses from 127.<first>.0.1 on, 250 per /24."""
    return [f"127.{first + i // 62500}.{i // 250 % 250}.{i % 250 + 1}" for i in range(n)]


def json_of(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def wait_ready(host: str, port: int, probe: Request, seconds: float = 30.0) -> None:
    """Wait until the server answers `probe` at all (any status)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _run(send(host, port, probe))
            return
        except (OSError, ValueError, IndexError):
            time.sleep(0.2)
    raise SystemExit(f"no server answered on {host}:{port} within {seconds:g} s")


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by process `pid` and its children alive now
    (a gunicorn master and its workers), from /proc; 0 where /proc is not there."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for child in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total
