"""What the benchmark scripts share: running `massline` in a throwaway environment, timing it,
and reaching a PostgreSQL server for databases of their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The `massline` command of this interpreter's environment (it is manage.py).
_COMMAND = Path(PYTHON).parent / "massline"
MASSLINE = [str(_COMMAND)] if _COMMAND.exists() else [PYTHON, str(ROOT / "manage.py")]
PG_SERVER = os.environ.get("MASSLINE_BENCH_PG", "postgres://postgres@127.0.0.1:5432/")
# Databases a benchmark must never create or drop.
NOT_OURS = {"test", "test_test", "postgres", "template0", "template1"}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def environment(var_dir: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["MASSLINE_VAR_DIR"] = str(var_dir)
    env["DATABASE_URL"] = database_url  # empty: the SQLite file under MASSLINE_VAR_DIR
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    return env


def run(args: list[str], env: dict[str, str]) -> tuple[float, str, float]:
    """Run a command; its wall time in seconds, its stdout and its peak RSS in MiB."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        sys.stderr.write(stdout + stderr)
        raise SystemExit(f"failed ({child.returncode}): {' '.join(args)}")
    return seconds, stdout, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def pg_connect(dbname: str) -> Any:
    import psycopg

    url = PG_SERVER.rstrip("/").replace("postgres://", "postgresql://", 1) + "/" + dbname
    return psycopg.connect(url, connect_timeout=3, autocommit=True)


def postgres_version() -> str | None:
    try:
        with pg_connect("postgres") as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])
    except Exception:
        return None
