"""Members reached by a campaign (decision 0020): an organization records that members who
take part there took part (at a meeting, by a visit, online) or takes a record back; the
records follow a member whose place of taking part changes. Each write is one transaction:
lock the window, check, save in bulk, counters, audit; a refusal names the member and
writes nothing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import CAMPAIGNS_RECORD
from massline.access.policy import access_org
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, NotFound
from massline.members.counters import place
from massline.members.models import Member
from massline.orgs import counters as org_counters
from massline.orgs.models import Organization
from massline.orgs.placement import Move

from .action_counters import REACHED, code
from .action_services import check_may, locked_window
from .models import Campaign, Reach, ReachWay
from .selectors import campaign_for
from .services import day_text

if TYPE_CHECKING:
    from massline.accounts.models import User

#: members in one record (a branch's whole roster fits many times over)
MAX_MEMBERS = 1000


@dataclass(frozen=True)
class Recorded:
    added: int
    already: int


def _refuse(message: str, code: str, field: str) -> ApplicationError:
    return ApplicationError(message, code=code, field=field)


def _check_day(
    campaign: Campaign, org: Organization, window: Any, on: dt.date, today: dt.date
) -> None:
    if on > today:
        raise _refuse(_("The day a member took part cannot be in the future."), "future", "on")
    if on < window.starts_on:
        raise _refuse(
            _("The window of %(org)s opens on %(day)s: no member took part before it.")
            % {"org": org.name, "day": day_text(window.starts_on)},
            "before_window",
            "on",
        )


def _members(ids: Sequence[int], org: Organization) -> list[Member]:
    """The members asked for, each of whom must take part at `org`."""
    unique = list(dict.fromkeys(int(i) for i in ids))
    if not unique:
        raise _refuse(_("Choose the members who took part."), "no_members", "members")
    if len(unique) > MAX_MEMBERS:
        raise _refuse(
            _("At most %(n)d members can be recorded at once.") % {"n": MAX_MEMBERS},
            "too_many",
            "members",
        )
    found = Member.objects.select_related("org", "attached_org").in_bulk(unique)
    for pk in unique:
        member = found.get(pk)
        if member is None:
            raise _refuse(
                _("There is no member with the number %(id)s.") % {"id": pk}, "unknown", "members"
            )
        where, _path = place(member)
        if where != org.pk:
            there = member.attached_org or member.org
            raise _refuse(
                _("%(name)s takes part at %(there)s, not at %(org)s: record it there.")
                % {"name": member.name, "there": there.name, "org": org.name},
                "elsewhere",
                "members",
            )
    return [found[pk] for pk in unique]


def reach_record(
    *,
    actor: User | None,
    campaign: Campaign,
    org: Organization,
    member_ids: Sequence[int],
    on: dt.date,
    way: str = ReachWay.MEETING,
    today: dt.date | None = None,
) -> Recorded:
    """These members, who take part at `org`, took part in the campaign on `on`. Members
    already recorded keep their first record (counted once) and are reported as such."""
    check_may(actor, CAMPAIGNS_RECORD, org)
    today = today or timezone.localdate()
    if way not in ReachWay.values:
        raise _refuse(_("“%(way)s” is not a way of taking part.") % {"way": way}, "way", "way")
    with transaction.atomic():
        window = locked_window(campaign, org)
        _check_day(campaign, org, window, on, today)
        members = _members(member_ids, org)
        done = set(
            Reach.objects.filter(campaign=campaign, member__in=[m.pk for m in members]).values_list(
                "member_id", flat=True
            )
        )
        new = [m for m in members if m.pk not in done]
        now = timezone.now()
        Reach.objects.bulk_create(
            Reach(
                campaign=campaign,
                member=m,
                org=org,
                org_path=org.path,
                reached_on=on,
                way=way,
                recorded_by=actor if getattr(actor, "pk", None) else None,
                recorded_at=now,
            )
            for m in new
        )
        if new:
            org_counters.bump(path=org.path, deltas={code(campaign.pk, REACHED): len(new)})
            audit_record(
                actor=actor,
                action="campaigns.reach",
                org=org,
                target=campaign,
                after={
                    "on": on.isoformat(),
                    "way": way,
                    "count": len(new),
                    "members": [m.name for m in new],
                },
            )
        return Recorded(added=len(new), already=len(members) - len(new))


def reach_campaign(user: Any, campaign_id: int, member_id: int) -> Campaign:
    """For taking a record back: the campaign, when the user may record at the organization
    where the member's record is (NotFound when there is no such record in view, as if it did
    not exist; Forbidden when the organization is in view but recording is not allowed)."""
    org_id = (
        Reach.objects.filter(campaign_id=campaign_id, member_id=member_id)
        .values_list("org_id", flat=True)
        .first()
    )
    if org_id is None:
        raise NotFound()
    access_org(user, org_id, CAMPAIGNS_RECORD)
    return campaign_for(user, campaign_id)


@transaction.atomic
def reach_withdraw(*, actor: User | None, campaign: Campaign, member_id: int) -> None:
    """Take back the record that a member took part (entered by mistake); audited."""
    reach = (
        Reach.objects.select_for_update()
        .select_related("org", "member")
        .filter(campaign=campaign, member_id=member_id)
        .first()
    )
    if reach is None:
        raise _refuse(
            _("This member is not recorded as having taken part in “%(campaign)s”.")
            % {"campaign": campaign.title},
            "not_reached",
            "member",
        )
    check_may(actor, CAMPAIGNS_RECORD, reach.org)
    org_counters.bump(path=reach.org_path, deltas={code(campaign.pk, REACHED): -1})
    audit_record(
        actor=actor,
        action="campaigns.reach_withdraw",
        org=reach.org,
        target=campaign,
        before={
            "member": reach.member.name,
            "on": reach.reached_on.isoformat(),
            "way": reach.way,
        },
    )
    reach.delete()


def follow_moves(moves: Sequence[Move]) -> None:
    """Members whose place of taking part changed (orgs.placement): their records in every
    campaign move with them, and the campaigns' counters with the records. Runs inside the
    transaction that moved them."""
    to = {m.member_id: m for m in moves}
    rows = list(
        Reach.objects.select_for_update()
        .filter(member_id__in=list(to))
        .values_list("pk", "campaign_id", "member_id", "org_path")
    )
    if not rows:
        return
    changes: dict[str, dict[str, int]] = defaultdict(dict)
    by_target: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, campaign_id, member_id, old_path in rows:
        move = to[member_id]
        metric = code(campaign_id, REACHED)
        changes[old_path][metric] = changes[old_path].get(metric, 0) - 1
        changes[move.to_path][metric] = changes[move.to_path].get(metric, 0) + 1
        by_target[(move.to_org_id, move.to_path)].append(pk)
    for (org_id, path), pks in by_target.items():
        Reach.objects.filter(pk__in=pks).update(org_id=org_id, org_path=path)
    org_counters.bump_many(changes)
