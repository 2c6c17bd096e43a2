"""What the benchmark scripts share: running `massline` in a throwaway environment, timing it,
and reaching a PostgreSQL server for databases of their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def on_fresh_databases(
    name: str,
    pg_database: str,
    prepare: Callable[[dict[str, str]], None],
    measure: Callable[[dict[str, str]], dict[str, Any]],
    *,
    sqlite: bool = True,
    postgres: bool = True,
) -> list[dict[str, Any]]:
    """`prepare` then `measure` in a throwaway var directory on SQLite and on a PostgreSQL
    database `pg_database` created and dropped here (skipped when no server answers); one
    record per database, named `{name}_sqlite` / `{name}_postgresql`."""
    import shutil

    records = []
    for vendor in ("sqlite", "postgresql"):
        if not (sqlite if vendor == "sqlite" else postgres):
            continue
        benchmark = f"{name}_{vendor}"
        url = ""
        if vendor == "postgresql":
            assert pg_database not in NOT_OURS
            if postgres_version() is None:
                log(f"no PostgreSQL answers at {PG_SERVER}: skipped")
                records.append({"benchmark": benchmark, "skipped": f"no server at {PG_SERVER}"})
                continue
            with pg_connect("postgres") as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {pg_database} WITH (FORCE)")
                admin.execute(f"CREATE DATABASE {pg_database}")
            url = PG_SERVER.rstrip("/") + "/" + pg_database
        var_dir = Path(tempfile.mkdtemp(prefix=f"massline-bench-{name}-"))
        try:
            env = environment(var_dir, url)
            prepare(env)
            records.append({"benchmark": benchmark, **measure(env)})
        finally:
            shutil.rmtree(var_dir, ignore_errors=True)
            if url:
                with pg_connect("postgres") as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {pg_database} WITH (FORCE)")
    return records


def three_places(metric: str) -> dict[str, tuple[str, Any, str]]:
    """Where a page is measured, with the role and scope of its user: the province's root (a
    campaign office), the county with the largest `metric` below it (likewise) and the village
    branch with the largest own `metric` (its administrator). Django must be set up."""
    from massline.access.models import DataScope
    from massline.orgs.models import Organization, OrgCounter

    root = Organization.objects.get(parent__isnull=True)
    county = (
        OrgCounter.objects.filter(metric=metric, org__kind="committee", org__division__level=3)
        .order_by("-subtree")
        .values_list("org_id", flat=True)
        .first()
    )
    village = (
        OrgCounter.objects.filter(metric=metric, org__kind="branch", org__division__level=5)
        .order_by("-own")
        .values_list("org_id", flat=True)
        .first()
    )
    return {
        "root": ("campaign_office", root, DataScope.SUBTREE),
        "county": ("campaign_office", Organization.objects.get(pk=county), DataScope.SUBTREE),
        "village": ("org_admin", Organization.objects.get(pk=village), DataScope.THIS_ORG),
    }


def arguments(doc: str | None, requests: int = 100) -> Any:
    """The parser of a benchmark run on both databases: its own options are added by the
    caller; `--requests`, `--no-sqlite`, `--no-postgres` and the hidden `--measure` (the
    script again in a process of its own) are common."""
    import argparse

    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    return parser
