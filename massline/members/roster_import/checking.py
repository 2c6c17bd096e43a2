"""A block of the file in a checking process: decoded and split, checked as columns
(`columns`), the rows the column engine does not accept read one by one (`rows.check_row`),
the accepted rows finished (numbers encrypted, hashed and masked, names folded) and staged:
COPY data returned to the importing process (PostgreSQL), or rows written into this
process's staging file (SQLite)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from massline.core.collation import name_sort_keys
from massline.core.crypto import encrypt_column, lookup_hash_many
from massline.core.normalize import fold_for_search

from . import columns
from .context import Context, current
from .counts import block_counts
from .reading import encoding_problem
from .report import Problem
from .rows import check_row
from .staging import MEMBER_COLUMNS, STAGE_COLUMNS, scratch_write


@dataclass
class ChunkResult:
    staged: bytes  # COPY data (PostgreSQL); SQLite's rows are in the staging files
    valid: int
    blank: list[int]
    problems: list[Problem]
    file_problem: tuple[str, str] | None = None
    keys: pl.Series | None = None  # repeat_keys of the accepted rows
    counts: pl.DataFrame | None = None  # the accepted rows' counter figures (block_counts)


def check_task(task: tuple[Any, ...]) -> ChunkResult:
    """A piece of work for a checking process: ("rows", rows) of (row number, cells), or
    ("csv", block number, row number before the block, bytes, encoding, file name, declared
    encoding), a block of whole CSV records."""
    if task[0] == "rows":
        return check_rows(task[1])
    _kind, _block_no, base, data, body, name, declared = task
    try:
        text = data.decode(body)
    except UnicodeDecodeError as exc:
        row = base + 1 + data.count(b"\n", 0, max(exc.start, 0))
        return ChunkResult(
            b"",
            0,
            [],
            [],
            encoding_problem(name, row, body if body != "utf-8" else "utf-8-sig", declared),
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if '"' not in text and "\r" not in text and "\x00" not in text:
        # No quoting: a record is a line, a cell what lies between commas.
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()  # the block ends with a line break
        return check_lines(lines, base + 1)
    try:
        rows = [
            (base + i, cells)
            for i, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        ]
    except csv.Error as exc:
        return ChunkResult(
            b"", 0, [], [],
            (_("Rows after row %(row)s of %(name)s cannot be read as CSV: %(reason)s")
             % {"row": base, "name": name, "reason": exc}, "bad_file"),
        )  # fmt: skip
    return check_rows(rows)


def check_lines(lines: list[str], first_row: int) -> ChunkResult:
    """Check lines of CSV that hold no quotes, the first being row `first_row`."""
    ctx = current()
    accepted, rejected = columns.check(columns.frame_from_lines(lines, first_row), ctx)
    return _careful(accepted, [(first_row + i, lines[i].split(",")) for i in rejected], ctx)


def check_rows(rows: list[tuple[int, list[Any]]]) -> ChunkResult:
    """Check rows of cells (in a worker): staging rows for the good ones, problems for the
    others, the numbers of the blank rows."""
    ctx = current()
    frame = columns.frame_from_rows(rows, ctx.columns)
    accepted, rejected = columns.check(frame, ctx)
    rejected += sorted(set(range(len(rows))) - set(frame["i"].to_list()))
    return _careful(accepted, [rows[i] for i in sorted(rejected)], ctx)


def _careful(
    accepted: pl.DataFrame, rows: list[tuple[int, list[Any]]], ctx: Context
) -> ChunkResult:
    """The rows the fast path left, read one by one (`check_row`), and the block's result."""
    problems: list[Problem] = []
    blank: list[int] = []
    checked: list[tuple[Any, ...]] = []
    for row_no, cells in rows:
        if not any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
            blank.append(row_no)
            continue
        values, row_problems = check_row(row_no, cells, ctx)
        if values is not None:
            checked.append(values)
        else:
            problems.extend(row_problems)
    if checked:
        accepted = pl.concat([accepted, columns.checked_frame(checked)])
    result = ChunkResult(b"", accepted.height, blank, problems)
    if accepted.height:
        result.counts = block_counts(accepted)
        finished, result.keys = finish(accepted, ctx.postgres, ctx.target)
        if isinstance(finished, bytes):
            result.staged = finished
        else:
            scratch_write(finished, ctx)
    return result


_fold_cache: dict[str, str] = {}
_CACHE_LIMIT = 400_000


def finish(
    frame: pl.DataFrame, postgres: bool, target: str = "stage"
) -> tuple[bytes | list[tuple[Any, ...]], pl.Series]:
    """Checked rows as staging rows (or, for a first load, member rows: see Context):
    numbers encrypted, hashed and masked, names folded. CSV for PostgreSQL's COPY, tuples
    for SQLite; and the rows' `repeat_keys`."""
    ids = frame["id_number"].to_list()
    phones = frame["phone"].to_list()
    with_phone = [p for p in phones if p]
    phone_enc = iter(encrypt_column(with_phone).to_list())
    phone_hash = iter(lookup_hash_many(with_phone))
    names = frame["name"]
    fold = names.filter(names.str.contains(columns.fold_pattern())).unique().to_list()
    folded = _fold_cache
    if len(folded) > _CACHE_LIMIT:
        folded.clear()
    for name in fold:
        if name not in folded:
            folded[name] = fold_for_search(name)
    ident = pl.col("id_number")
    phone = pl.col("phone")
    name_folded = names.replace({n: folded[n] for n in fold}).alias("name_folded")
    staged = frame.with_columns(
        name_folded,
        name_sort_keys(name_folded),
        encrypt_column(ids).alias("id_number_enc"),
        pl.Series("id_number_hash", lookup_hash_many(ids), dtype=pl.String),
        (ident.str.slice(0, 6) + "********" + ident.str.slice(14)).alias("id_masked"),
        ident.str.slice(14).alias("id_tail"),
        pl.Series("phone_enc", [next(phone_enc) if p else "" for p in phones], dtype=pl.String),
        pl.Series("phone_hash", [next(phone_hash) if p else "" for p in phones], dtype=pl.String),
        pl.when(phone == "")
        .then(pl.lit(""))
        .otherwise(phone.str.slice(0, 3) + "****" + phone.str.slice(7))
        .alias("phone_masked"),
    )
    if target == "member":
        staged = staged.with_columns(
            pl.col("row_no").alias("id"),
            pl.when(pl.col("mobility") == "inflow").then(pl.col("org_id")).alias("attached_org_id"),
        ).select(MEMBER_COLUMNS)
    else:
        staged = staged.select(STAGE_COLUMNS)
    keys = repeat_keys(staged["id_number_hash"])
    if postgres:
        # COPY's CSV: a null is an empty field, an empty string is "" (as polars writes them)
        return staged.write_csv(include_header=False).encode(), keys
    return staged.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d")).rows(), keys


def repeat_keys(hashes: pl.Series) -> pl.Series:
    """The first 60 bits of each ID number's lookup hash, as integers: rows with the same
    number have the same key, and two different numbers among a province's have one chance
    in about a million of sharing one. The importer gathers every row's key (8 bytes a row)
    and looks for the same number twice in the database only when two keys are equal
    (`intake.may_repeat`), instead of grouping the whole file there."""
    return hashes.str.slice(0, 15).str.to_integer(base=16)
