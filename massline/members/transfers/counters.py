"""The transfer figures kept in the organization counters, each declared once (orgs.metrics),
for each side: transfers in progress, overdue, and done this year, counted at the sending
organization (`transfers.out_*`) and at the receiving one (`transfers.in_*`) and their
ancestors. "Overdue" and "this year" follow the clock: the steps keep the flags behind them
and the daily sweep (`services.transfers_sweep`) moves them as time passes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext_lazy as _

from massline.orgs import counters
from massline.orgs.metrics import Counted, difference
from massline.orgs.metrics import counts as counts_of

from ..models import OPEN_TRANSFER_STATUSES

_OPEN = tuple(str(s) for s in OPEN_TRANSFER_STATUSES)

SENDING_METRICS: tuple[Counted, ...] = (
    Counted("transfers.out_open", _("outgoing transfers in progress"), {"status": _OPEN}),
    Counted("transfers.out_overdue", _("outgoing transfers overdue"), {"flagged_overdue": True}),
    Counted(
        "transfers.out_done_year", _("outgoing transfers done this year"), {"done_this_year": True}
    ),
)
RECEIVING_METRICS: tuple[Counted, ...] = (
    Counted("transfers.in_open", _("incoming transfers in progress"), {"status": _OPEN}),
    Counted("transfers.in_overdue", _("incoming transfers overdue"), {"flagged_overdue": True}),
    Counted(
        "transfers.in_done_year", _("incoming transfers done this year"), {"done_this_year": True}
    ),
)


def register() -> None:
    from ..models import Transfer

    counters.register_counted(Transfer, SENDING_METRICS, org_field="from_org_id")
    counters.register_counted(Transfer, RECEIVING_METRICS, org_field="to_org_id")


def figures(transfer: Any) -> dict[str, dict[str, int]]:
    """What one transfer counts towards, by side: {"from": {...}, "to": {...}}."""
    return {
        "from": counts_of(SENDING_METRICS, transfer),
        "to": counts_of(RECEIVING_METRICS, transfer),
    }


def changes(
    changed: list[tuple[str, str, dict[str, dict[str, int]], dict[str, dict[str, int]]]],
) -> dict[str, dict[str, int]]:
    """Counter changes per organization path from transfers' figures before and after:
    (from_path, to_path, before, after) each."""
    by_path: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for from_path, to_path, before, after in changed:
        for side, path in (("from", from_path), ("to", to_path)):
            for metric, delta in difference(before[side], after[side]).items():
                if delta:
                    by_path[path][metric] += delta
    return {path: dict(d) for path, d in by_path.items() if any(d.values())}


def bump_change(*, from_path: str, to_path: str, before: Any, after: Any) -> None:
    """Bump the counters for one transfer's change (before/after: its figures)."""
    counters.bump_many(changes([(from_path, to_path, before, after)]))
