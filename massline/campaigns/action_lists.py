"""The overview's lists that the actions add (decisions 0017, 0018): organizations with
required actions overdue (their due day passed, the phase allows them, not done), and
organizations that did an action late. Each is an indexed filter over the subtree's
participation rows, paged and exported by the overview like its own list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from massline.orgs.models import Organization
from massline.orgs.paths import KEY_WIDTH, subtree_q

from . import phases
from .models import ActionDefinition, Campaign, Completion, Participation
from .overview import register_list, subtree_rows


def _phases_allowing(kind: str) -> list[str]:
    codes = [p for p in (*phases.PHASE_ORDER, phases.THROUGHOUT) if phases.allowed(p, kind)]
    return [*codes, ""] if phases.THROUGHOUT in codes else codes


def _overdue(action: ActionDefinition, today: dt.date) -> Q:
    """The participation rows for which `action` is overdue on `today` (as the checklist says
    `late`: applies, the window has started, the phase allows it, the due day has passed,
    not done)."""
    cond = subtree_q("org_path", action.org_path) & Q(
        starts_on__lte=today, phase__in=_phases_allowing(action.kind)
    )
    if action.levels:
        cond &= Q(level__in=action.levels)
    if action.kinds:
        cond &= Q(org__kind__in=action.kinds)
    if action.unit_types:
        cond &= Q(org__unit_type__in=action.unit_types)
    if action.due_on is not None:
        if action.due_on >= today:
            return Q(pk__in=[])
    else:
        cond &= Q(starts_on__lt=today - dt.timedelta(days=action.offset_days or 0))
    done = Completion.objects.filter(action=action, org_id=OuterRef("org_id"))
    return cond & Q(~Exists(done))


def overdue_rows(campaign: Campaign, org: Organization, today: dt.date) -> QuerySet[Participation]:
    required = ActionDefinition.objects.filter(campaign=campaign, required=True)
    # the required actions that can reach this subtree: defined above it or within it
    reach = Q(org_path__in=[org.path[:i] for i in range(KEY_WIDTH, len(org.path) + 1, KEY_WIDTH)])
    cond = Q(pk__in=[])
    for action in required.filter(reach | subtree_q("org_path", org.path)):
        cond |= _overdue(action, today)
    return subtree_rows(campaign, org).filter(cond)


def late_rows(campaign: Campaign, org: Organization, today: dt.date) -> QuerySet[Participation]:
    late = Completion.objects.filter(campaign=campaign, org_id=OuterRef("org_id"), late=True)
    return subtree_rows(campaign, org).filter(Exists(late))


def register() -> None:
    register_list(
        "overdue", _("Organizations with required actions overdue"), overdue_rows, order=20
    )
    register_list("late", _("Organizations that did an action late"), late_rows, order=30)
