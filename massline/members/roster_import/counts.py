"""The member counters as the import figures them, derived from the metrics' declarations
(`members.counters.METRICS`): per block of checked rows in the checking processes (their
column form), or per organization from the staged rows (their SQL form)."""

from __future__ import annotations

from typing import Any

import polars as pl

from massline.members.counters import AWAY, HOSTED, METRICS
from massline.orgs.placement import Move

from .staging import MEMBERS, STAGE


def block_counts(checked: pl.DataFrame) -> pl.DataFrame:
    """Checked rows' counter figures per organization path, summed in the worker: when all
    of a file's rows are new members, their sum over the blocks is the import's counter
    change, with no query over the staged rows."""
    return checked.group_by("org_path").agg(*(metric.polars_count() for metric in METRICS))


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
    metrics = [metric.code for metric in METRICS]
    sums = ", ".join(
        f"sum({metric.sql('s')} - CASE WHEN m.id IS NULL THEN 0 ELSE {metric.sql('m')} END)"
        for metric in METRICS
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


def staged_detachments(cursor: Any, changed: str) -> tuple[dict[str, dict[str, int]], list[Move]]:
    """Inflow members attached to another organization whom the file makes no longer inflow:
    they take part at their branch again (`members.counters.AWAY`/`HOSTED` go down at both
    ends). Every other change of the file keeps an inflow member where they were attached."""
    cursor.execute(
        f"SELECT m.id, m.org_id, m.org_path, o.id, o.path FROM {changed} c "
        f"JOIN {MEMBERS} m ON m.id = c.id JOIN {STAGE} s ON s.row_no = c.row_no "
        f"JOIN orgs_organization o ON o.id = m.attached_org_id "
        f"WHERE m.attached_org_id <> m.org_id AND s.mobility <> 'inflow'"
    )
    changes: dict[str, dict[str, int]] = {}
    moves = []
    for member_id, org_id, org_path, attached_id, attached_path in cursor.fetchall():
        for path, code in ((org_path, AWAY), (attached_path, HOSTED)):
            deltas = changes.setdefault(path, {})
            deltas[code] = deltas.get(code, 0) - 1
        moves.append(Move(member_id, attached_id, org_id, org_path))
    return changes, moves
