"""Small helpers for the two databases we run on (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def chunked(rows: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Bulk-load rows: PostgreSQL COPY, SQLite executemany, inside the caller's transaction."""
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if is_postgres():
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
            for batch in chunked(rows, 5000):
                cursor.executemany(sql, batch)


def bulk_load_into_empty(tables: Sequence[str]) -> _BulkLoad:
    """Inside a transaction, for loading many rows into empty tables: drops their indexes
    (not the primary key) and, on PostgreSQL, their foreign keys and unique constraints;
    `restore()` puts them back: each index built once over the loaded rows, each foreign
    key and unique constraint checked with one set-based scan instead of work for every row
    (SQLite cannot drop constraints: they stay and work row by row). A violation fails the
    transaction at `restore()`. Readers of these tables wait until the transaction ends (the
    drop locks them), which is why this is only for tables that hold nothing yet. `active`
    is false, and nothing is dropped, when a table has rows."""
    return _BulkLoad(tables)


class _BulkLoad:
    def __init__(self, tables: Sequence[str]) -> None:
        self.indexes: list[tuple[str, str]] = []  # (table, CREATE INDEX statement)
        self.foreign_keys: list[tuple[str, str, str]] = []  # and unique constraints
        self.active = False
        with connection.cursor() as cursor:
            # Nobody else writes to them from here to the end of the transaction, so that
            # they are still empty when the load begins (SQLite: the write transaction's
            # lock does that).
            if is_postgres():
                cursor.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE")
            for table in tables:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                if cursor.fetchone()[0]:
                    return
            self.active = True
            if not is_postgres():
                for table in tables:
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = %s AND sql IS NOT NULL",  # (no SQL: a constraint's)
                        [table],
                    )
                    for name, sql in cursor.fetchall():
                        cursor.execute(f'DROP INDEX "{name}"')
                        self.indexes.append((table, sql))
                return
            for table in tables:
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') "
                    "ORDER BY contype DESC",  # unique ones first: they are built, not checked
                    [table],
                )
                self.foreign_keys += [(table, name, sql) for name, sql in cursor.fetchall()]
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                    "WHERE i.schemaname = current_schema() AND i.tablename = %s "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                    "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
                    "quote_ident(i.indexname))::regclass)",
                    [table],
                )
                self.indexes += [(table, sql) for _name, sql in cursor.fetchall()]
            # Checks still pending in this transaction (rows written before, say, by the
            # caller) forbid altering the tables they concern: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table, name, _sql in self.foreign_keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexdef = ANY(%s)",
                [[sql for _table, sql in self.indexes]],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')

    def restore(self, table: str | None = None) -> None:
        """Build the indexes and check the constraints again: of `table`, or of all."""
        indexes = [sql for t, sql in self.indexes if table in (None, t)]
        constraints = [(t, n, sql) for t, n, sql in self.foreign_keys if table in (None, t)]
        if not indexes and not constraints:
            return
        with connection.cursor() as cursor:
            if is_postgres():
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # unique constraints and indexes first: a duplicate fails before anything else
            # is built
            for t, name, sql in constraints:
                if sql.startswith("UNIQUE"):
                    cursor.execute(f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {sql}')
            for sql in sorted(indexes, key=lambda sql: not sql.startswith("CREATE UNIQUE")):
                cursor.execute(sql)
            for t, name, sql in constraints:
                if not sql.startswith("UNIQUE"):
                    cursor.execute(f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {sql}')
        self.indexes = [(t, sql) for t, sql in self.indexes if table not in (None, t)]
        self.foreign_keys = [c for c in self.foreign_keys if table not in (None, c[0])]
