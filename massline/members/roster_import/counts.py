"""The member counters (`members.counters`) as the import figures them: per block of
checked rows in the checking processes (columns), or per organization from the staged rows
(SQL). The two tables below say the same thing in those two languages; they are to be
derived from the metrics' declarations (`members.counters.METRICS`)."""

from __future__ import annotations

from typing import Any

import polars as pl

from .staging import MEMBERS, STAGE

#: The member counters as column conditions over checked rows: whether a row counts for
#: each metric when it is a new member. `_METRIC_SQL` says the same in SQL.
_METRIC_EXPR = {
    "members.total": pl.col("row_no").is_not_null(),  # every row
    "members.probationary": pl.col("status") == "probationary",
    "members.outflow": pl.col("mobility") == "outflow",
    "members.inflow": pl.col("mobility") == "inflow",
    "members.lost_contact": pl.col("lost_contact"),
}

#: The member counters in SQL over a row of the staging or the member table (alias `t`).
_METRIC_SQL = {
    "members.total": "1",
    "members.probationary": "CASE WHEN {t}.status = 'probationary' THEN 1 ELSE 0 END",
    "members.outflow": "CASE WHEN {t}.mobility = 'outflow' THEN 1 ELSE 0 END",
    "members.inflow": "CASE WHEN {t}.mobility = 'inflow' THEN 1 ELSE 0 END",
    "members.lost_contact": "CASE WHEN {t}.lost_contact THEN 1 ELSE 0 END",
}


def block_counts(checked: pl.DataFrame) -> pl.DataFrame:
    """Checked rows' counter figures per organization path, summed in the worker: when all
    of a file's rows are new members, their sum over the blocks is the import's counter
    change, with no query over the staged rows."""
    return checked.group_by("org_path").agg(
        *(expr.cast(pl.Int64).sum().alias(metric) for metric, expr in _METRIC_EXPR.items())
    )


def sum_counts(counts: list[pl.DataFrame]) -> dict[str, dict[str, int]]:
    """The blocks' figures (`block_counts`) added up, per organization path."""
    if not counts:
        return {}
    total = pl.concat(counts).group_by("org_path").agg(pl.exclude("org_path").sum())
    return {
        row["org_path"]: {k: v for k, v in row.items() if k != "org_path" and v}
        for row in total.iter_rows(named=True)
    }


def staged_changes(cursor: Any) -> dict[str, dict[str, int]]:
    """Counter changes per organization path from the staged rows, compared with the roster:
    a new member counts in full; a changed member counts its new flags less its old ones
    (in the same organization: a move is refused)."""
    metrics = list(_METRIC_SQL)
    sums = ", ".join(
        f"sum({_METRIC_SQL[k].format(t='s')} - "
        f"CASE WHEN m.id IS NULL THEN 0 ELSE {_METRIC_SQL[k].format(t='m')} END)"
        for k in metrics
    )
    cursor.execute(
        f"SELECT s.org_path, {sums} FROM {STAGE} s "
        f"LEFT JOIN {MEMBERS} m ON m.id_number_hash = s.id_number_hash "
        f"GROUP BY s.org_path"
    )
    return {
        path: {k: v for k, v in zip(metrics, values, strict=True) if v}
        for path, *values in cursor.fetchall()
    }
