"""The daily campaign notices (issue 10, item 7; decision 0017): to the administrators of an
organization (users whose role assignment at it holds campaigns.record) when its window opens
today, when an action it has not done falls due in 3 days, and when one has gone late. Each
notice is keyed by its event, so running twice sends nothing twice; a day missed is caught up
for `CATCH_UP` days. The organizations come from SQL over the participation rows (by window
start for actions due some days after it, by campaign for actions due on a date), never from a
walk over the tree in Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from massline.access.permissions import CAMPAIGNS_RECORD
from massline.access.users import holders_at
from massline.core.outcome import Outcome
from massline.notices.kinds import register_notice_kind
from massline.notices.services import send

from .models import ActionDefinition, Campaign, Completion, Participation

OPENS = "campaigns.window_opens"
DUE_SOON = "campaigns.action_due_soon"
LATE = "campaigns.action_late"
DUE_IN_DAYS = 3
CATCH_UP = 2
CHUNK = 2000


def register() -> None:
    register_notice_kind(
        OPENS,
        _("Campaign window opens"),
        title=_("%(org)s starts “%(campaign)s” today"),
        body=_("Its window runs from %(starts_on)s to %(ends_on)s. Open its checklist."),
    )
    register_notice_kind(
        DUE_SOON,
        _("Campaign action falls due"),
        title=_("“%(action)s” falls due on %(due_on)s at %(org)s"),
        body=_("Record it with its evidence on the organization's checklist."),
    )
    register_notice_kind(
        LATE,
        _("Campaign action late"),
        title=_("“%(action)s” is late at %(org)s"),
        body=_("It was due on %(due_on)s and has not been recorded as done."),
    )


def _link(campaign_id: int, org_id: int) -> str:
    return reverse("campaigns:checklist", args=[campaign_id, org_id])


def _send_rows(rows: Iterator[tuple[int, str]], make: Any) -> int:
    """For each chunk of (org_id, org_name): look up their administrators once, then send."""
    sent = 0
    chunk: list[tuple[int, str]] = []

    def flush() -> int:
        holders = holders_at([o for o, _n in chunk], CAMPAIGNS_RECORD)
        n = 0
        for org_id, name in chunk:
            users = holders.get(org_id)
            if users:
                kind, key, params, link = make(org_id, name)
                send(users, kind, key, params=params, link=link, organization=org_id)
                n += 1
        chunk.clear()
        return n

    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            sent += flush()
    if chunk:
        sent += flush()
    return sent


def _orgs(qs: QuerySet[Participation]) -> Iterator[tuple[int, str]]:
    return qs.values_list("org_id", "org__name").order_by("org_id").iterator(CHUNK)


def _windows_opening(campaign: Campaign, today: dt.date) -> int:
    rows = Participation.objects.filter(
        campaign=campaign, starts_on__gte=today - dt.timedelta(days=CATCH_UP), starts_on__lte=today
    )
    ends = dict(rows.values_list("org_id", "ends_on"))
    starts = dict(rows.values_list("org_id", "starts_on"))

    def make(org_id: int, name: str) -> tuple[str, str, dict[str, Any], str]:
        return (
            OPENS,
            f"campaign:{campaign.pk}:org:{org_id}:opens",
            {
                "org": name,
                "campaign": campaign.title,
                "starts_on": starts[org_id].isoformat(),
                "ends_on": ends[org_id].isoformat(),
            },
            _link(campaign.pk, org_id),
        )

    return _send_rows(_orgs(rows), make)


def _due_between(a: ActionDefinition, first: dt.date, last: dt.date) -> QuerySet[Participation]:
    """Participations for which `a` applies, is not done, and falls due in [first, last]."""
    qs = Participation.objects.filter(
        campaign_id=a.campaign_id, org_path__startswith=a.org_path
    ).exclude(Exists(Completion.objects.filter(action=a, org_id=OuterRef("org_id"))))
    if a.levels:
        qs = qs.filter(level__in=a.levels)
    if a.kinds:
        qs = qs.filter(org__kind__in=a.kinds)
    if a.unit_types:
        qs = qs.filter(org__unit_type__in=a.unit_types)
    if a.due_on is not None:
        return qs if first <= a.due_on <= last else qs.none()
    offset = dt.timedelta(days=a.offset_days or 0)
    return qs.filter(starts_on__gte=first - offset, starts_on__lte=last - offset)


def _actions(a: ActionDefinition, today: dt.date) -> int:
    offset = dt.timedelta(days=a.offset_days or 0)
    soon = today + dt.timedelta(days=DUE_IN_DAYS)
    sent = 0
    for kind, first, last, tag in (
        (DUE_SOON, soon - dt.timedelta(days=CATCH_UP), soon, "due"),
        (LATE, today - dt.timedelta(days=1 + CATCH_UP), today - dt.timedelta(days=1), "late"),
    ):
        qs = _due_between(a, first, last)
        starts = dict(qs.values_list("org_id", "starts_on")) if a.due_on is None else {}

        def make(
            org_id: int, name: str, kind: str = kind, tag: str = tag, starts: Any = starts
        ) -> Any:
            due = a.due_on or (starts[org_id] + offset)
            return (
                kind,
                f"campaign:{a.campaign_id}:action:{a.pk}:org:{org_id}:{tag}",
                {"org": name, "action": a.title, "due_on": due.isoformat()},
                _link(a.campaign_id, org_id),
            )

        sent += _send_rows(_orgs(qs), make)
    return sent


def send_campaign_notices(today: dt.date | None = None) -> dict[str, int]:
    """One day's notices; returns how many organizations were told of what."""
    today = today or timezone.localdate()
    running = Campaign.objects.filter(
        starts_on__lte=today + dt.timedelta(days=DUE_IN_DAYS),
        ends_on__gte=today - dt.timedelta(days=1 + CATCH_UP),
    )
    out = {"opens": 0, "actions": 0}
    for campaign in running:
        out["opens"] += _windows_opening(campaign, today)
    for a in ActionDefinition.objects.filter(campaign__in=running).filter(
        Q(due_on__isnull=False) | Q(offset_days__isnull=False)
    ):
        out["actions"] += _actions(a, today)
    return out


def campaign_notices_task() -> Outcome:
    counts = send_campaign_notices()
    return Outcome(
        message=f"windows opening: {counts['opens']}, actions due or late: {counts['actions']}"
    )
