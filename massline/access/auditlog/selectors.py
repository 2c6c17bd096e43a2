"""Which audit rows a reader asked for: the filters of the audit log (date range, person,
action, organization subtree), read from a query string with a message for each value that
cannot be used, and the keyset pages over them, newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.core.audit import action_labels
from massline.core.errors import Forbidden, NotFound
from massline.core.models import AuditEvent
from massline.orgs.models import Organization
from massline.orgs.paths import subtree_bounds
from massline.orgs.selectors import org_by_words

from ..permissions import AUDIT_VIEW
from ..policy import access_org, scoped

PAGE = 50
PERSON_MATCHES = 50
FILTER_PARAMS = ("date_from", "date_to", "person", "action", "org", "org_q")


@dataclass
class AuditFilter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    person: str = ""
    action: str = ""
    org: Organization | None = None
    # what could not be used, by the name of its field: shown next to it, never a 500
    errors: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, str]:
        """The query string that gives these filters again (for pages and the export)."""
        out = {
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "person": self.person,
            "action": self.action,
            "org": str(self.org.pk) if self.org else "",
        }
        return {k: v for k, v in out.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.params())


def _date(value: str, errors: dict[str, str], name: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = _("“%(value)s” is not a date; use the form 2026-12-04.") % {
            "value": value[:20]
        }
        return None


def _org(user: Any, params: dict[str, str], errors: dict[str, str]) -> Organization | None:
    """The organization by its id (the picker) or, without script, by the words typed."""
    raw = params.get("org", "").strip()
    if raw:
        try:
            return access_org(user, raw, AUDIT_VIEW)
        except (NotFound, Forbidden):
            errors["org"] = _("That organization is not in your view.")
            return None
    visible = scoped(Organization.objects.all(), user, AUDIT_VIEW)
    org, error = org_by_words(visible=visible, words=params.get("org_q", ""))
    if error:
        errors["org"] = error
    return org


def filters_from_params(user: Any, params: dict[str, str]) -> AuditFilter:
    errors: dict[str, str] = {}
    date_from = _date(params.get("date_from", ""), errors, "date_from")
    date_to = _date(params.get("date_to", ""), errors, "date_to")
    if date_from and date_to and date_to < date_from:
        errors["date_to"] = _("The end date is before the start date.")
    action = params.get("action", "").strip()[:64]
    if action and action not in action_labels() and not action.endswith("."):
        errors["action"] = _("There is no such action.")
        action = ""
    return AuditFilter(
        date_from=date_from,
        date_to=date_to,
        person=params.get("person", "").strip()[:64],
        action=action,
        org=_org(user, params, errors),
        errors=errors,
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_queryset(user: Any, filters: AuditFilter) -> QuerySet[AuditEvent]:
    """The audit rows in the user's view that the filters keep (not yet ordered)."""
    qs = scoped(AuditEvent.objects.all(), user, AUDIT_VIEW)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.action.endswith("."):
        qs = qs.filter(action__startswith=filters.action)
    elif filters.action:
        qs = qs.filter(action=filters.action)
    if filters.org is not None:
        low, high = subtree_bounds(filters.org.path)
        qs = qs.filter(org_path__gte=low, org_path__lt=high)
    if filters.person:
        users = get_user_model().objects.filter(
            Q(username__iexact=filters.person) | Q(display_name__contains=filters.person)
        )
        qs = qs.filter(actor_id__in=list(users.values_list("pk", flat=True)[:PERSON_MATCHES]))
    return qs


@dataclass
class AuditPage:
    events: list[AuditEvent]
    older: int | None  # `before` for the next page of older rows
    newer: int | None  # `after` for the page of newer rows


def audit_page(
    qs: QuerySet[AuditEvent], *, before: str = "", after: str = "", size: int = PAGE
) -> AuditPage:
    """One page, newest first, by the row id: `before` an id gives the older rows after it,
    `after` an id the newer rows before it; neither, the newest."""
    qs = qs.select_related("actor")
    if after.isdigit():
        rows = list(qs.filter(pk__gt=int(after)).order_by("pk")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        older = rows[-1].pk if rows else None
        if older is not None and not qs.filter(pk__lt=older).exists():
            older = None
        return AuditPage(rows, older=older, newer=rows[0].pk if more_newer and rows else None)
    if before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs.order_by("-pk")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    # Having come from a newer page, there is one to go back to.
    newer = rows[0].pk if before.isdigit() and rows else None
    return AuditPage(rows, older=rows[-1].pk if more_older else None, newer=newer)
