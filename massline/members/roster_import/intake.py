"""The file through the checking processes into the staging table: the reading process cuts
the file into tasks, the workers check them (`checking`), and the results come back in
order, to be tallied in the report and, on PostgreSQL, copied into the staging table (or,
for a first load, the member table) while the workers check the next blocks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection
from django.utils.translation import gettext as _

from massline.core.db import chunked

from .checking import ChunkResult, check_task
from .context import Context
from .counts import sum_counts
from .reading import Roster
from .report import ImportReport, file_error
from .staging import MEMBER_COLUMNS, MEMBERS, STAGE, STAGE_COLUMNS
from .workers import results, worker_count

#: Files smaller than this (about 30,000 rows) are checked without worker processes.
SMALL_FILE = 4 * 2**20
#: Rows handed to a worker at a time.
CHUNK_ROWS = 4000

Progress = Callable[..., None]


@dataclass
class Gathered:
    """What the importer gathers from the checked blocks besides the rows."""

    may_repeat: bool  # two rows may hold the same ID number (checking.repeat_keys)
    counts: dict[str, dict[str, int]]  # counter changes per path, were every row a new member


def stage_rows(
    roster: Roster,
    ctx: Context,
    report: ImportReport,
    progress: Progress | None,
    workers: int | None,
) -> Gathered:
    """Read and check the rows, staging the good ones; whether two of them may hold the same
    ID number (`may_repeat`), and their counter figures."""
    if not ctx.postgres and not ctx.scratch:
        n_workers = 0  # SQLite inside a caller's transaction (staging.create_stage)
    elif workers is not None:
        n_workers = workers
    elif roster.size < SMALL_FILE:
        n_workers = 0  # checked here: starting workers would take longer than the checking
    else:
        n_workers = worker_count()
    if roster.tasks is not None:
        tasks: Iterator[tuple[Any, ...]] = roster.tasks
    else:
        tasks = (("rows", chunk) for chunk in chunked(roster.rows, CHUNK_ROWS))
    total = roster.total_rows if roster.kind == "xlsx" else roster.size
    table, columns = (STAGE, STAGE_COLUMNS) if ctx.target == "stage" else (MEMBERS, MEMBER_COLUMNS)
    copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    keys: list[pl.Series] = []
    counts: list[pl.DataFrame] = []
    with connection.cursor() as cursor, results(tasks, n_workers, ctx, check_task) as checked:
        if ctx.postgres:
            raw = cursor.cursor
            with raw.copy(copy_sql) as copy:
                for result in checked:
                    _tally(report, result, keys, counts)
                    if result.valid:
                        copy.write(result.staged)
                    if progress is not None:
                        progress(roster.position(), total, phase="reading")
        else:
            for result in checked:  # the rows are in the staging files
                _tally(report, result, keys, counts)
                if progress is not None:
                    progress(roster.position(), total, phase="reading")
    if report.rows == report.blank_rows and not report.problem_count:
        raise file_error(
            _("%(name)s has the template's header but no members below it.")
            % {"name": report.file_name},
            "no_rows",
        )
    return Gathered(may_repeat(keys), sum_counts(counts))


def _tally(
    report: ImportReport,
    result: ChunkResult,
    keys: list[pl.Series],
    counts: list[pl.DataFrame],
) -> None:
    if result.file_problem is not None:
        message, code = result.file_problem
        raise file_error(message, code)
    if result.keys is not None:
        keys.append(result.keys)
    if result.counts is not None:
        counts.append(result.counts)
    report.valid_rows += result.valid
    report.blank_rows += len(result.blank)
    bad_rows = len({p.row for p in result.problems})
    report.problem_rows += bad_rows
    report.rows += result.valid + len(result.blank) + bad_rows
    for p in result.problems:
        report.add(p)


def may_repeat(keys: list[pl.Series]) -> bool:
    """Whether two of the file's rows may hold the same ID number (see checking.repeat_keys)."""
    return bool(keys) and bool(pl.concat(keys).is_duplicated().any())
