"""The opinion statistics page of an organization (decision 0021, "Statistics"): totals, by
status, channel and category, each an ECharts chart (static/js/charts.js draws the options the
page carries as JSON) over a plain table, and each child's totals, a click going down a level.
Reads: stats.py (counters only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from massline.access.permissions import OPINIONS_VIEW
from massline.access.policy import access_org, can
from massline.accounts.requests import request_user

from .stats import Part, stats

COLORS = ["#b3181f", "#e8a33d", "#5b7db1", "#8aa26b", "#9b6bb3", "#4fa3a5", "#7a7a7a"]


def bars(title: str, parts: list[Part], *, horizontal: bool = False) -> dict[str, Any]:
    """An ECharts bar chart of `parts` (long labels: `horizontal`, the largest on top)."""
    names = [p.label for p in parts]
    # a zero bar has no label (it would sit on the axis)
    values: list[Any] = [
        p.count if p.count else {"value": 0, "label": {"show": False}} for p in parts
    ]
    categories: dict[str, Any] = {"type": "category", "data": names, "axisTick": {"show": False}}
    numbers: dict[str, Any] = {"type": "value", "minInterval": 1}
    if horizontal:
        names.reverse()
        values.reverse()
        categories["axisLabel"] = {"width": 110, "overflow": "truncate", "fontSize": 11}
    else:
        categories["axisLabel"] = {
            "interval": 0,
            "rotate": 30,
            "fontSize": 11,
            "width": 72,
            "overflow": "truncate",
        }
    return {
        "title": {"text": title, "left": "center", "top": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "color": COLORS,
        # a slanted first label reaches left of its bar: room for it
        "grid": {
            "left": 8 if horizontal else 48,
            "right": 24,
            "top": 32,
            "bottom": 8,
            "containLabel": True,
        },
        "xAxis": numbers if horizontal else categories,
        "yAxis": categories if horizontal else numbers,
        "series": [{"type": "bar", "data": values, "label": {"show": True, "fontSize": 11}}],
    }


def _height(bars: int) -> str:
    """The class giving a horizontal chart room for its bars (no inline style under the CSP)."""
    if bars > 14:
        return "ml-chart-taller"
    return "ml-chart-tall" if bars > 6 else ""


@login_required
def stats_page(request: HttpRequest, org_id: int) -> HttpResponse:
    user = request_user(request)
    org = access_org(user, org_id, OPINIONS_VIEW)
    s = stats(org)
    sections = [
        ("status", pgettext("opinion", "By status"), s.by_status, False),
        ("channel", _("By channel"), s.by_channel, False),
        ("category", pgettext("opinion", "By category"), s.by_category, True),
    ]
    charts = [
        {
            "key": key,
            "id": f"chart-{key}",
            "title": title,
            "parts": parts,
            "option": bars(title, parts, horizontal=horizontal) if parts else None,
            "size": _height(len(parts)) if horizontal else "",
        }
        for key, title, parts, horizontal in sections
    ]
    for child in s.children:
        child.linked = can(user, OPINIONS_VIEW, child.org)  # type: ignore[attr-defined]
    parent = org.parent
    return render(
        request,
        "opinions/stats.html",
        {
            "nav": "opinions",
            "org": org,
            "s": s,
            "charts": charts,
            "parent": parent if parent is not None and can(user, OPINIONS_VIEW, parent) else None,
        },
    )
