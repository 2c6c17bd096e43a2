"""Reads of the dispatch (decision 0021, "Dispatch"): the opinions a user sees (addressed to an
organization in their view, dispatched to one, or with one as co-organization), an
organization's inbox with its filters in keyset pages by (org_path, id), the triage list of a
campaign office, and one opinion with what its page shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from massline.access.permissions import OPINIONS_DISPATCH, OPINIONS_VIEW
from massline.access.policy import scope_q, scoped
from massline.core.errors import ApplicationError, NotFound
from massline.orgs.models import Organization
from massline.orgs.paths import subtree_q

from .models import Channel, CoOrganization, Opinion, OpinionStatus

PAGE = 50
PAGE_MAX = 200


def visible_q(user: Any, perm: str = OPINIONS_VIEW) -> Q | None:
    """The opinions the user may `perm`: by the organization addressed or the lead (the two
    sides), or as a co-organization. None: every opinion."""
    direct = scope_q(user, perm, Opinion)
    if direct is None:
        return None
    co = scope_q(user, perm, CoOrganization)
    if co is None:
        return None
    return direct | Q(pk__in=CoOrganization.objects.filter(co).values("opinion_id"))


def visible(user: Any, perm: str = OPINIONS_VIEW) -> QuerySet[Opinion]:
    cond = visible_q(user, perm)
    qs = Opinion.objects.all()
    return qs if cond is None else qs.filter(cond)


def opinion_for(user: Any, pk: Any) -> Opinion:
    """One opinion the user sees, with its organizations; NotFound otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = (
        visible(user)
        .filter(pk=key)
        .select_related("org", "lead_org", "category", "merged_into", "escalated_to")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class InboxFilter:
    status: str = ""
    channel: str = ""
    category: int | None = None
    overdue: bool | None = None
    anonymous: bool | None = None


def _flag(value: str, field: str) -> bool | None:
    if value in ("", None):
        return None
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ApplicationError(_("Unknown value %(value)s.") % {"value": value[:20]}, field=field)


def filter_from(params: Any) -> InboxFilter:
    """The inbox's filters from a query (a page's or the API's); a value it does not know is
    refused naming its field."""
    status = params.get("status", "") or ""
    if status and status not in OpinionStatus.values and status != "open":
        raise ApplicationError(
            _("Unknown status %(value)s.") % {"value": status[:20]}, field="status"
        )
    channel = params.get("channel", "") or ""
    if channel and channel not in Channel.values:
        raise ApplicationError(
            _("Unknown channel %(value)s.") % {"value": channel[:20]}, field="channel"
        )
    category = params.get("category", "") or ""
    if category and not str(category).isdigit():
        raise ApplicationError(_("Unknown category."), field="category")
    return InboxFilter(
        status=status,
        channel=channel,
        category=int(category) if category else None,
        overdue=_flag(params.get("overdue", "") or "", "overdue"),
        anonymous=_flag(params.get("anonymous", "") or "", "anonymous"),
    )


def _cursor(after: str) -> tuple[str, int]:
    path, _sep, last = after.rpartition(":")
    if not path or not last.isdigit() or len(after) > 300:
        raise ApplicationError(_("This page link is not valid."), field="after")
    return path, int(last)


def inbox(
    user: Any, org: Organization, f: InboxFilter, *, after: str = "", limit: int = PAGE
) -> tuple[list[Opinion], str]:
    """One page of the organization's inbox: the opinions addressed to it or below, and those
    dispatched to it (as lead or co-organization), within the user's view, in (org_path, id)
    order after the cursor `after`; and the next cursor ("" at the end)."""
    here = (
        subtree_q("org_path", org.path)
        | Q(lead_org=org)
        | Q(pk__in=CoOrganization.objects.filter(org=org).values("opinion_id"))
    )
    qs = visible(user).filter(here)
    if after:
        path, last = _cursor(after)
        qs = qs.filter(Q(org_path__gt=path) | Q(org_path=path, pk__gt=last))
    if f.status == "open":
        qs = qs.filter(status__in=("received", "dispatched", "returned", "handling"))
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.category is not None:
        qs = qs.filter(category_id=f.category)
    if f.overdue is not None:
        qs = qs.filter(overdue=f.overdue)
    if f.anonymous is not None:
        qs = qs.filter(anonymous=f.anonymous)
    limit = max(1, min(limit, PAGE_MAX))
    rows = list(
        qs.select_related("org", "lead_org", "category").order_by("org_path", "pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (f"{rows[-1].org_path}:{rows[-1].pk}" if more else "")


def triage_list(user: Any, org: Organization, *, limit: int = PAGE) -> list[Opinion]:
    """The received and returned opinions addressed within the organization's subtree that
    the user may dispatch: the campaign office's work, oldest first."""
    qs = scoped(Opinion.objects.all(), user, OPINIONS_DISPATCH).filter(
        subtree_q("org_path", org.path), status__in=("received", "returned")
    )
    return list(
        qs.select_related("org", "lead_org", "category").order_by("received_on", "pk")[:limit]
    )


def dispatch_targets(user: Any) -> QuerySet[Organization]:
    """The organizations the user may dispatch to (their opinions.dispatch scope)."""
    return scoped(Organization.objects.all(), user, OPINIONS_DISPATCH)


def _out_of_scope(field: str) -> ApplicationError:
    if field == "lead_org":
        message = _("The lead organization must be within your scope: choose another one.")
    else:
        message = _("Every co-organization must be within your scope: choose others.")
    return ApplicationError(message, field=field, code="out_of_scope")


def orgs_named(ids: list[int], field: str) -> list[Organization]:
    """The organizations these ids name, in order; an unknown id is answered like one out of
    scope (the service checks the scope), so ids cannot be probed."""
    found = {o.pk: o for o in Organization.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise _out_of_scope(field)
    return [found[i] for i in ids]


def opinion_named(pk: int | None) -> Opinion | None:
    """The opinion a merge names (the service checks its scope); None when none is named."""
    if pk is None:
        return None
    found = Opinion.objects.filter(pk=pk).first()
    if found is None:
        raise ApplicationError(_("No opinion %(n)s within your scope.") % {"n": pk}, field="into")
    return found
