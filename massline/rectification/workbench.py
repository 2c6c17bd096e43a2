"""What rectification adds to the workbench (registered from apps.py): the to-do of what waits
for the user's decision one level up (extensions and close-outs asked for below, problems
escalated from below) and the key figures of fixes open and overdue, all from the counters of
the organizations where the user's own assignments hold `rectification.approve` (no fix or
problem row is read)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy

from massline.access.permissions import RECTIFICATION_APPROVE
from massline.access.policy import grants
from massline.notices.workbench.registry import register_figure, register_todo
from massline.orgs.selectors import org_figures

MAX_ORGS = 5
CAP = 100
ASKED = ("fixes.state.extension_requested", "fixes.state.close_requested")
CODES = (*ASKED, "problems.escalated")


def _orgs(user: Any) -> list[int]:
    return sorted({g.org_id for g in grants(user) if RECTIFICATION_APPROVE in g.permissions})[
        :MAX_ORGS
    ]


def _below(user: Any) -> dict[str, tuple[int, int | None]]:
    """Per code, how many the organizations below the user's own hold (their subtree less
    their own) and the first organization where there are some: one counter read per request
    (kept on the user object, as the grants are)."""
    cached = getattr(user, "_massline_rectification_below", None)
    if cached is not None:
        return cached
    out: dict[str, tuple[int, int | None]] = {}
    for org_id, figures in sorted(org_figures(org_ids=_orgs(user)).items()):
        for code in CODES:
            n = max(figures.get(code) - figures.own.get(code, 0), 0)
            total, first = out.get(code, (0, None))
            out[code] = (total + n, first if first is not None or not n else org_id)
    user._massline_rectification_below = out
    return out


def _from_below(user: Any, codes: tuple[str, ...]) -> tuple[int, int | None]:
    found = [_below(user).get(c, (0, None)) for c in codes]
    first = next((org for n, org in found if n and org is not None), None)
    return min(sum(n for n, _org in found), CAP), first


def _ledger(user: Any, codes: tuple[str, ...], query: str) -> str:
    _n, org_id = _from_below(user, codes)
    if org_id is None:
        return reverse("rectification:home")
    return f"{reverse('rectification:ledger', args=[org_id])}{query}"


def _asked_query(user: Any) -> str:
    closing = _from_below(user, ("fixes.state.close_requested",))[0]
    return "?state=close_requested" if closing else "?state=extension_requested"


def register() -> None:
    register_todo(
        "rectification.asked",
        gettext_lazy("Extensions and close-outs asked for below, awaiting your decision"),
        lambda user: _from_below(user, ASKED)[0],
        lambda user: _ledger(user, ASKED, _asked_query(user)),
        order=40,
    )
    register_todo(
        "rectification.escalated",
        gettext_lazy("Problems escalated from below, awaiting your claim"),
        lambda user: _from_below(user, ("problems.escalated",))[0],
        lambda user: _ledger(user, ("problems.escalated",), ""),
        order=41,
    )
    register_figure("fixes.open", gettext_lazy("open fixes"), "fixes.open", order=90)
    register_figure(
        "fixes.overdue", gettext_lazy("fixes past their deadline"), "fixes.overdue", order=91
    )
