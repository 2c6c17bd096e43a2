"""Campaign reads, scoped: which campaigns a user sees (those whose subtree holds an
organization in view: a county's administrator sees the province's campaign), one campaign
for a permission, an organization's window, and a preview's page of changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from massline.access.permissions import CAMPAIGNS_MANAGE, CAMPAIGNS_VIEW
from massline.access.policy import can, scope_q, scope_roots, scoped
from massline.core.errors import Forbidden, NotFound
from massline.orgs.models import Organization
from massline.orgs.paths import KEY_WIDTH

from . import phases
from .models import Batch, Campaign, CampaignTemplate, Participation
from .schedule import Change, Plan

PREVIEW_PAGE = 50


def _prefixes(path: str) -> list[str]:
    return [path[:end] for end in range(KEY_WIDTH, len(path) + 1, KEY_WIDTH)]


def campaigns_visible(user: Any) -> QuerySet[Campaign]:
    """Campaigns at or under the user's view, and those above it that cover it."""
    cond = scope_q(user, CAMPAIGNS_VIEW, Campaign)
    qs = Campaign.objects.select_related("org", "template").order_by("-starts_on", "id")
    if cond is None:
        return qs
    above = {p for root in scope_roots(user, CAMPAIGNS_VIEW) for p in _prefixes(root.path)}
    return qs.filter(cond | Q(org_path__in=sorted(above)))


def campaign_for(user: Any, campaign_id: int | str, perm: str = CAMPAIGNS_VIEW) -> Campaign:
    """One campaign: NotFound unless the user sees it, Forbidden unless they may `perm` at
    its organization (managing a campaign is its own organization's campaign office's)."""
    try:
        key = int(campaign_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    campaign = Campaign.objects.select_related("org", "template").filter(pk=key).first()
    if campaign is None:
        raise NotFound()
    if not can(user, CAMPAIGNS_VIEW, campaign.org):
        under = Organization.objects.filter(
            path__gte=campaign.org_path, path__lt=campaign.org_path + "~"
        )
        above = any(
            campaign.org_path in _prefixes(r.path) for r in scope_roots(user, CAMPAIGNS_VIEW)
        )
        if not above and not scoped(under, user, CAMPAIGNS_VIEW).exists():
            raise NotFound()
    if perm != CAMPAIGNS_VIEW and not can(user, perm, campaign.org):
        raise Forbidden()
    return campaign


def templates_for(user: Any) -> QuerySet[CampaignTemplate]:
    """Built-in templates and the templates of organizations the user may manage campaigns at."""
    own = scoped(Organization.objects.all(), user, CAMPAIGNS_MANAGE).values("pk")
    return CampaignTemplate.objects.filter(Q(builtin=True) | Q(owner__in=own)).order_by(
        "-builtin", "code"
    )


def batches_of(campaign: Campaign) -> list[Batch]:
    return list(Batch.objects.filter(campaign=campaign).prefetch_related("picks__org"))


@dataclass(frozen=True)
class OrgWindow:
    org: Organization
    row: Participation | None
    parent_row: Participation | None
    batch: Batch | None
    started: bool
    phase_label: str
    next_phase: str | None


def org_window(campaign: Campaign, org: Organization, today: dt.date) -> OrgWindow:
    rows = {
        r.org_id: r
        for r in Participation.objects.filter(
            campaign=campaign, org_id__in=[org.pk, org.parent_id or 0]
        ).select_related("batch")
    }
    row = rows.get(org.pk)
    step = phases.allowed(row.phase, phases.ADVANCE) if row and campaign.phased else None
    return OrgWindow(
        org=org,
        row=row,
        parent_row=rows.get(org.parent_id) if org.parent_id else None,
        batch=row.batch if row else None,
        started=bool(row and row.starts_on <= today),
        phase_label=phases.phase_label(row.phase) if row else "",
        next_phase=step.target if step else None,
    )


@dataclass(frozen=True)
class ChangeRow:
    change: Change
    org: Organization | None


def preview_page(p: Plan, page: int) -> tuple[list[ChangeRow], int]:
    """One page of a preview's changes with their organizations (one query), and the number
    of pages."""
    pages = max(1, -(-len(p.changes) // PREVIEW_PAGE))
    page = min(max(page, 1), pages)
    chunk = p.changes[(page - 1) * PREVIEW_PAGE : page * PREVIEW_PAGE]
    orgs = Organization.objects.in_bulk([c.org_id for c in chunk])
    return [ChangeRow(c, orgs.get(c.org_id)) for c in chunk], pages


def participation_counts(campaign: Campaign, today: dt.date) -> dict[str, int]:
    rows = Participation.objects.filter(campaign=campaign)
    return {
        "total": rows.count(),
        "started": rows.filter(starts_on__lte=today).count(),
    }
