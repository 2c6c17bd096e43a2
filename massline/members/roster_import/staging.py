"""The staging table, where the checked rows wait for the whole-file checks and the writing.
PostgreSQL: a temporary table, filled by COPY (`intake`). SQLite: each checking process
writes its rows into a file of its own (`scratch_write`), in parallel, and the importing
connection attaches them all (`attach_stage`): a view over them is the staging table.
A first load on PostgreSQL copies its rows straight into the member table instead
(`MEMBER_COLUMNS`)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from massline.members.models import BULK_PERSON_COLUMNS

from .context import Context

STAGE = "members_import_stage"
MEMBERS = "members_member"

# Staging columns: the row number, then the member's columns as the table has them.
STAGE_COLUMNS = (
    "row_no",
    *BULK_PERSON_COLUMNS,
    "mobility",
    "mobility_place",
    "lost_contact",
    "party_group",
    "position",
)
# A first load's columns (Context.target "member"): the member table's, the row number as id;
# the others take their database defaults (blank, and the time of the COPY).
MEMBER_COLUMNS = ("id", *STAGE_COLUMNS[1:], "attached_org_id")


_STAGE_TYPES = {
    "row_no": "integer",
    "org_id": "bigint",
    "birth_date": "date",
    "join_date": "date",
    "full_date": "date",
    "lost_contact": "boolean",
}
_STAGE_COLS = ", ".join(f"{c} {_STAGE_TYPES.get(c, 'text')}" for c in STAGE_COLUMNS)


def create_stage(ctx: Context) -> None:
    """PostgreSQL: a temporary staging table, filled by COPY. SQLite: each checking process
    writes its rows to a file of its own in a scratch folder (`scratch_write`), in
    parallel, and the staging table is a view over them all (`attach_stage`)."""
    if ctx.postgres:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {STAGE} ({_STAGE_COLS}) ON COMMIT DROP")
    elif connection.in_atomic_block:
        # Inside a caller's transaction, where SQLite can attach but not detach files: the
        # rows are checked in this process, into a temporary table (`scratch_write`).
        drop_stage(ctx)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {STAGE} ({_STAGE_COLS})")
    else:
        drop_stage(ctx)
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        ctx.scratch = tempfile.mkdtemp(prefix="import-stage-", dir=settings.VAR_DIR)


def scratch_write(rows: list[tuple[Any, ...]], ctx: Context) -> None:
    """SQLite: checked rows into this process's staging file (one transaction a block), or
    without a staging folder into the temporary staging table."""
    global _scratch
    marks = ", ".join(["?"] * len(STAGE_COLUMNS))
    if not ctx.scratch:
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {STAGE} VALUES ({marks.replace('?', '%s')})", rows)
        return
    if _scratch is None or _scratch[0] != ctx.scratch:
        if _scratch is not None:
            _scratch[1].close()
        conn = sqlite3.connect(Path(ctx.scratch) / f"stage-{os.getpid()}.sqlite3")
        conn.execute("PRAGMA page_size = 16384")  # as the database's (settings.DATABASES)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(f"CREATE TABLE {STAGE} ({_STAGE_COLS})")
        _scratch = (ctx.scratch, conn)
    conn = _scratch[1]
    with conn:
        conn.executemany(f"INSERT INTO {STAGE} VALUES ({marks})", rows)


def scratch_close() -> None:
    global _scratch
    if _scratch is not None:
        _scratch[1].close()
        _scratch = None


_scratch: tuple[str, sqlite3.Connection] | None = None


def attach_stage(ctx: Context) -> None:
    """SQLite: the staging files attached to the database connection, and a temporary view
    over them named as the staging table."""
    if not ctx.scratch:
        return  # the rows are in the temporary table
    scratch_close()
    files = sorted(Path(ctx.scratch).glob("stage-*.sqlite3"))
    with connection.cursor() as cursor:
        parts = []
        for i, path in enumerate(files):
            cursor.execute("ATTACH DATABASE %s AS %s", [str(path), f"stage{i}"])
            parts.append(f"SELECT * FROM stage{i}.{STAGE}")
        if parts:
            cursor.execute(f"CREATE TEMP VIEW {STAGE} AS {' UNION ALL '.join(parts)}")
        else:
            cursor.execute(f"CREATE TEMP TABLE {STAGE} ({_STAGE_COLS})")
    ctx.attached = len(files)


def drop_stage(ctx: Context) -> None:
    with connection.cursor() as cursor:
        if ctx.postgres:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            return
        cursor.execute("SELECT type FROM sqlite_temp_master WHERE name = %s", [STAGE])
        for (kind,) in cursor.fetchall():  # a view over the staging files, or a table
            cursor.execute(f"DROP {'VIEW' if kind == 'view' else 'TABLE'} temp.{STAGE}")
        cursor.execute("DROP TABLE IF EXISTS temp.members_import_changed")
        for i in range(ctx.attached):
            cursor.execute("DETACH DATABASE %s", [f"stage{i}"])
    ctx.attached = 0
    scratch_close()
    if ctx.scratch:
        shutil.rmtree(ctx.scratch, ignore_errors=True)
        ctx.scratch = ""
