"""What the member registry adds to the workbench (registered from apps.py): the to-do of
transfers waiting for the user's side (the transfer list's "waiting for me" box, counted up
to 100), the member and transfer key figures, and the chart of the roster's make-up at the
workbench's organization, from its counters (no member row is read)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from massline.access.permissions import MEMBERS_TRANSFER, MEMBERS_VIEW
from massline.access.policy import can_anywhere, scoped
from massline.notices.selectors import capped_count
from massline.notices.workbench.registry import (
    Scope,
    register_figure,
    register_todo,
    register_workbench_block,
)

from .models import Transfer
from .transfers.selectors import transfers_waiting_for


def transfers_waiting_count(user: Any) -> int:
    if not can_anywhere(user, MEMBERS_TRANSFER):
        return 0
    return capped_count(
        transfers_waiting_for(scoped(Transfer.objects.all(), user, MEMBERS_VIEW), user)
    )


def _pie(title: str, parts: list[tuple[str, int]]) -> dict[str, Any]:
    """An ECharts donut of `parts` (name, value), as static/js/charts.js draws it."""
    return {
        "title": {"text": title, "left": "center", "top": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "color": ["#b3181f", "#e8a33d", "#5b7db1", "#8aa26b"],
        "series": [
            {
                "type": "pie",
                "radius": ["38%", "62%"],
                "center": ["50%", "56%"],
                "avoidLabelOverlap": True,
                "label": {"formatter": "{b}\n{c}", "fontSize": 11},
                # an empty slice would only add a label to the ring
                "data": [{"name": name, "value": value} for name, value in parts if value],
            }
        ],
    }


def roster_block(scope: Scope) -> dict[str, Any] | None:
    figures = scope.figures
    if figures is None:
        return None
    total = figures.get("members.total")
    if total <= 0:
        return {"charts": [], "total": 0}
    probationary = figures.get("members.probationary")
    outflow, inflow = figures.get("members.outflow"), figures.get("members.inflow")
    lost = figures.get("members.lost_contact")
    charts = [
        _pie(
            _("By status"),
            [(_("full members"), total - probationary), (_("probationary members"), probationary)],
        ),
        _pie(
            _("By mobility"),
            [
                (_("not mobile"), total - outflow - inflow),
                (_("outflow members"), outflow),
                (_("inflow members"), inflow),
            ],
        ),
        _pie(
            _("By contact"),
            [(_("in contact"), total - lost), (_("members who lost contact"), lost)],
        ),
    ]
    return {
        "total": total,
        "charts": [
            {"id": f"roster-chart-{i}", "option": option} for i, option in enumerate(charts)
        ],
    }


def register() -> None:
    register_todo(
        "members.transfers_waiting",
        gettext_lazy("Transfers waiting for your approval"),
        transfers_waiting_count,
        lambda user: f"{reverse('members:transfers')}?box=waiting",
        order=20,
    )
    register_figure("members.total", gettext_lazy("members"), "members.total", order=20)
    register_figure(
        "members.mobile",
        gettext_lazy("mobile members"),
        ("members.outflow", "members.inflow"),
        order=30,
    )
    register_figure(
        "members.lost_contact",
        gettext_lazy("members who lost contact"),
        "members.lost_contact",
        order=40,
    )
    for order, metric, label in (
        (50, "transfers.out_open", gettext_lazy("outgoing transfers in progress")),
        (60, "transfers.in_open", gettext_lazy("incoming transfers in progress")),
        (70, "transfers.out_overdue", gettext_lazy("outgoing transfers overdue")),
        (80, "transfers.in_overdue", gettext_lazy("incoming transfers overdue")),
    ):
        register_figure(metric, label, metric, order=order)
    register_workbench_block(
        "members.roster", "members/workbench_roster.html", roster_block, order=30
    )
