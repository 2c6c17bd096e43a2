"""What the load tests through the production server share (bench/opinions_load.py,
bench/evaluations_load.py): the server's environment (production mode, a fresh secret key,
Redis as the cache with PostgreSQL), the server started exactly as `massline serve` starts it
(gunicorn, 2 workers of 4 threads, the portal's private access log), and the run on fresh
databases of the province with the script again in a process of its own (`--measure`)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import PYTHON, ROOT, on_fresh_databases, run

REDIS_URL = os.environ.get("MASSLINE_BENCH_REDIS", "redis://127.0.0.1:6379/13")
HOST = "127.0.0.1"
#: What a phone's request carries through the proxy.
PROXY = (("X-Forwarded-Proto", "https"), ("Accept-Language", "zh-hans"))


def server_env(vendor: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MASSLINE_PRODUCTION="1",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS=HOST,
        LOG_LEVEL="WARNING",
    )
    if vendor == "postgresql":
        env["REDIS_URL"] = REDIS_URL
    return env


def flush_cache(vendor: str) -> None:
    """Empty the rate limits' cache of an earlier run (Redis, with PostgreSQL)."""
    if vendor == "postgresql":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()


def start(port: int, prefix: str) -> tuple[subprocess.Popen[bytes], Path]:
    """The production server on HOST:`port` in this process's environment; it and the path of
    its access log (in a temporary folder of its own, with the server's own log)."""
    from massline.core.server import web_command

    log_dir = Path(tempfile.mkdtemp(prefix=prefix))
    access_log = log_dir / "access.log"
    server = subprocess.Popen(
        web_command(f"{HOST}:{port}", 2, access_log=str(access_log)),
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=open(log_dir / "server.log", "wb"),  # noqa: SIM115 (closed with the process)
    )
    return server, access_log


def on_fresh_provinces(
    name: str,
    pg_database: str,
    script: str,
    options: list[str],
    build: Callable[[dict[str, str]], dict[str, Any]],
    *,
    sqlite: bool,
    postgres: bool,
) -> list[dict[str, Any]]:
    """`build` the province on fresh databases, then run `bench/<script> --measure <options>`
    in the server's environment; one record per database, with the build's times."""
    built: dict[str, Any] = {}

    def prepare(env: dict[str, str]) -> None:
        built.clear()
        built.update(build(env))

    def measured(env: dict[str, str]) -> dict[str, Any]:
        vendor = "postgresql" if env.get("DATABASE_URL") else "sqlite"
        path = str(ROOT / "bench" / script)
        out = run([PYTHON, path, "--measure", *options], {**env, **server_env(vendor)})[1]
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return {**built, **result}

    return on_fresh_databases(
        name, pg_database, prepare, measured, sqlite=sqlite, postgres=postgres
    )


def django_ready() -> str:
    """Django set up in this (`--measure`) process, the rate limits' cache of an earlier run
    emptied; the database's vendor."""
    import sys

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    flush_cache(connection.vendor)
    return str(connection.vendor)
