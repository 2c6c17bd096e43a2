"""The workbench to-do "campaign actions due or late at my organizations" (decision 0017): the
organizations where the user's own assignments hold campaigns.record (at most `MAX_ORGS`),
their windows in running campaigns, the actions along their paths and what they have done:
three queries whatever the tree's size, counted in Python."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from massline.access.permissions import CAMPAIGNS_RECORD
from massline.access.policy import grants
from massline.notices.workbench.registry import register_todo

from . import checklist
from .models import ActionDefinition, Completion, Participation

MAX_ORGS = 5
CAP = 100


def _windows(user: Any) -> list[Participation]:
    org_ids = sorted({g.org_id for g in grants(user) if CAMPAIGNS_RECORD in g.permissions})
    if not org_ids:
        return []
    today = timezone.localdate()
    return list(
        Participation.objects.filter(
            org_id__in=org_ids[:MAX_ORGS],
            starts_on__lte=today,
            campaign__ends_on__gte=today,
        )
        .select_related("org")
        .order_by("campaign_id", "org_id")
    )


def open_items(user: Any) -> list[tuple[Participation, int]]:
    """(window, actions due or late there), for the user's own organizations."""
    windows = _windows(user)
    if not windows:
        return []
    today = timezone.localdate()
    paths = {p for w in windows for p in checklist.ancestors_paths(w.org_path)}
    actions = list(
        ActionDefinition.objects.filter(
            campaign_id__in={w.campaign_id for w in windows}, org_path__in=sorted(paths)
        )
    )
    done = set(
        Completion.objects.filter(
            Q(campaign_id__in={w.campaign_id for w in windows}),
            org_id__in={w.org_id for w in windows},
        ).values_list("campaign_id", "org_id", "action_id")
    )
    out = []
    for w in windows:
        n = 0
        for a in actions:
            if a.campaign_id != w.campaign_id or not checklist.applies(a, w.org, w.level):
                continue
            if (w.campaign_id, w.org_id, a.pk) in done:
                continue
            st, _why = checklist.status(a, w, checklist.due_day(a, w), today)
            n += st in (checklist.DUE, checklist.LATE)
        if n:
            out.append((w, n))
    return out


def due_count(user: Any) -> int:
    return min(CAP, sum(n for _w, n in open_items(user)))


def due_url(user: Any) -> str:
    items = open_items(user)
    if not items:
        return reverse("campaigns:list")
    w = items[0][0]
    return reverse("campaigns:checklist", args=[w.campaign_id, w.org_id])


def register() -> None:
    register_todo(
        "campaigns.actions_due",
        gettext_lazy("Campaign actions due or late at my organizations"),
        due_count,
        due_url,
        order=30,
    )
