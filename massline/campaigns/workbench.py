"""What the campaigns add to the workbench (registered from apps.py): the chart of campaign
progress by level at the workbench's organization (organizations started and not started
per level, for the campaigns running over it), read from the overview's rollups in two
queries whatever the subtree."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import CAMPAIGNS_VIEW
from massline.access.policy import can
from massline.notices.workbench.registry import Scope, register_workbench_block
from massline.orgs.paths import KEY_WIDTH

from .models import Campaign, SubtreeWave
from .overview import level_label

MAX_CAMPAIGNS = 2


def _bars(title: str, levels: list[int], started: list[int], waiting: list[int]) -> dict:
    """An ECharts stacked bar chart, as static/js/charts.js draws it."""
    return {
        "title": {"text": title, "left": "center", "top": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 8, "right": 8, "top": 32, "bottom": 36, "containLabel": True},
        "color": ["#b3181f", "#9aa5b1"],
        "xAxis": {"type": "category", "data": [level_label(lv) for lv in levels]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": _("started"), "type": "bar", "stack": "all", "data": started},
            {"name": _("not started"), "type": "bar", "stack": "all", "data": waiting},
        ],
    }


def progress_block(scope: Scope) -> dict[str, Any] | None:
    org = scope.org
    if org is None or not can(scope.user, CAMPAIGNS_VIEW, org):
        return None
    today = timezone.localdate()
    above = [org.path[:end] for end in range(KEY_WIDTH, len(org.path) + 1, KEY_WIDTH)]
    campaigns = list(
        Campaign.objects.filter(
            org_path__in=above, ends_on__gte=today, scheduled_at__isnull=False
        ).order_by("-starts_on", "id")[:MAX_CAMPAIGNS]
    )
    if not campaigns:
        return None
    figures: dict[int, dict[int, list[int]]] = {c.pk: {} for c in campaigns}
    for w in SubtreeWave.objects.filter(campaign_id__in=list(figures), org_id=org.pk).values_list(
        "campaign_id", "level", "starts_on", "count"
    ):
        cell = figures[w[0]].setdefault(w[1], [0, 0])
        cell[0 if w[2] <= today else 1] += w[3]
    charts = []
    for c in campaigns:
        levels = sorted(figures[c.pk])
        charts.append(
            {
                "id": f"campaign-progress-{c.pk}",
                "campaign": c,
                "url": f"{reverse('campaigns:overview', args=[c.pk])}?org={org.pk}",
                "option": _bars(
                    c.title,
                    levels,
                    [figures[c.pk][lv][0] for lv in levels],
                    [figures[c.pk][lv][1] for lv in levels],
                ),
            }
        )
    return {"charts": charts}


def register() -> None:
    register_workbench_block(
        "campaigns.progress", "campaigns/workbench_progress.html", progress_block, order=25
    )
