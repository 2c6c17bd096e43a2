"""The schedule's writes: applying the schedule a preview showed, and setting an
organization's (or a subtree's) dates by hand after their preview, validated against the same
computation (decision 0015). The caller has already asked access whether the actor may."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.core.audit import audit_record
from massline.core.errors import ApplicationError
from massline.orgs.models import Organization

from . import schedule
from .models import Batch, Campaign, Participation, ScheduleOverride
from .rollout import Window, add_months
from .services import check_period, day_text

if TYPE_CHECKING:
    from massline.accounts.models import User


# --- the schedule ------------------------------------------------------------------------


def _check_token(p: schedule.Plan, token: str) -> None:
    if token != p.token:
        raise ApplicationError(
            _("The schedule changed since the preview: look at the new preview and apply again."),
            code="stale_preview",
        )


@transaction.atomic
def schedule_apply(*, actor: User | None, campaign: Campaign, token: str) -> dict[str, int]:
    """Store the schedule the preview showed (`token` names it): new, moved and removed rows
    in bulk; organizations that have already started keep their dates."""
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    p = schedule.plan(campaign)
    _check_token(p, token)
    _check_plan(campaign, p)
    written = _store_stamped(campaign, p)
    audit_record(
        actor=actor,
        action="campaigns.schedule_apply",
        org=campaign.org,
        target=campaign,
        after={**written, "kept": p.counts.get(schedule.KEPT, 0)},
    )
    return written


def _store_stamped(campaign: Campaign, p: schedule.Plan) -> dict[str, int]:
    """Store the plan and note when the campaign's schedule was stored."""
    written = schedule.store(campaign, p)
    campaign.scheduled_at = timezone.now()
    campaign.save(update_fields=["scheduled_at"])
    return written


def _check_plan(campaign: Campaign, p: schedule.Plan) -> None:
    for batch_id, count in p.result.selected.items():
        if count == 0:
            batch = Batch.objects.get(pk=batch_id)
            raise ApplicationError(
                _("%(batch)s selects no organization: choose levels, kinds, unit types or picks.")
                % {"batch": batch.name},
                code="batch_selects_nothing",
            )
    if p.result.conflicts:
        org_id, first, second = p.result.conflicts[0]
        names = dict(Batch.objects.filter(pk__in=[first, second]).values_list("pk", "name"))
        raise ApplicationError(
            _("%(org)s would be in %(batch)s and in %(other)s: an organization is in one batch.")
            % {
                "org": Organization.objects.get(pk=org_id).name,
                "batch": names[first],
                "other": names[second],
            },
            code="org_in_two_batches",
        )
    # Dates set by hand stay inside their batch when the batch changes after them.
    _check_inside_batches(campaign, [w for w in p.result.windows if w.reason and not w.kept])


def _started_refusal(org: Organization, start: dt.date) -> ApplicationError:
    return ApplicationError(
        _("%(org)s started on %(start)s: its dates can no longer be moved.")
        % {"org": org.name, "start": day_text(start)},
        code="already_started",
    )


def override_preview(
    *,
    campaign: Campaign,
    org: Organization,
    subtree: bool,
    starts_on: dt.date,
    ends_on: dt.date,
    reason: str,
    today: dt.date | None = None,
) -> schedule.Plan:
    """The schedule with these dates set for `org` (or its whole subtree), refused when they
    break a rule: a reason is required; never before the parent starts, never shorter than
    the minimum, never outside the batch; an organization that has started keeps its dates."""
    today = today or timezone.localdate()
    if not reason.strip():
        raise ApplicationError(
            _("Give the reason for setting %(org)s's dates by hand.") % {"org": org.name},
            code="reason_required",
            field="reason",
        )
    check_period(starts_on, ends_on)
    row = Participation.objects.filter(campaign=campaign, org=org).first()
    if row is None:
        raise ApplicationError(
            _("%(org)s has no window in this campaign yet: apply the schedule first.")
            % {"org": org.name},
            code="not_participating",
        )
    if row.starts_on <= today:
        raise _started_refusal(org, row.starts_on)
    if starts_on < today:
        raise ApplicationError(
            _("%(org)s cannot start on %(start)s, in the past.")
            % {"org": org.name, "start": day_text(starts_on)},
            code="start_in_past",
            field="starts_on",
        )
    proposed = ScheduleOverride(
        campaign=campaign,
        org=org,
        org_path=org.path,
        subtree=subtree,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
    )
    p = schedule.plan(campaign, extra_override=proposed, today=today)
    _check_override(campaign, org, proposed, p)
    return p


def _check_override(
    campaign: Campaign, org: Organization, o: ScheduleOverride, p: schedule.Plan
) -> None:
    windows = {w.org_id: w for w in p.result.windows}
    own = windows[org.pk]
    minimum = campaign.min_concentrated_months
    if add_months(o.starts_on, minimum) > o.ends_on:
        raise ApplicationError(
            _(
                "%(org)s would run %(start)s–%(end)s, shorter than the minimum concentrated "
                "duration of %(months)s months."
            )
            % {
                "org": org.name,
                "start": day_text(o.starts_on),
                "end": day_text(o.ends_on),
                "months": minimum,
            },
            code="shorter_than_minimum",
            field="ends_on",
        )
    parent = windows.get(org.parent_id) if org.parent_id else None
    if parent is not None and not own.flexible and o.starts_on < parent.starts_on:
        raise ApplicationError(
            _("%(org)s cannot start on %(start)s, before its parent %(parent)s (%(pstart)s).")
            % {
                "org": org.name,
                "start": day_text(o.starts_on),
                "parent": org.parent.name if org.parent else "",
                "pstart": day_text(parent.starts_on),
            },
            code="before_parent",
            field="starts_on",
        )
    affected = [own]
    if o.subtree:
        affected = [w for w in p.result.windows if w.path.startswith(org.path) and not w.kept]
    _check_inside_batches(campaign, affected)


def _check_inside_batches(campaign: Campaign, windows: list[Window]) -> None:
    """Every window inside its batch's (an override made before the batch changed may not be)."""
    batches = {b.pk: b for b in Batch.objects.filter(campaign=campaign)}
    for w in windows:
        batch = batches[w.batch_id]
        if w.starts_on < batch.starts_on or w.ends_on > batch.ends_on:
            raise ApplicationError(
                _(
                    "%(org)s would run %(start)s–%(end)s, outside its batch %(batch)s "
                    "(%(bs)s–%(be)s)."
                )
                % {
                    "org": Organization.objects.get(pk=w.org_id).name,
                    "start": day_text(w.starts_on),
                    "end": day_text(w.ends_on),
                    "batch": batch.name,
                    "bs": day_text(batch.starts_on),
                    "be": day_text(batch.ends_on),
                },
                code="outside_batch",
                field="starts_on",
            )


@transaction.atomic
def override_set(
    *,
    actor: User | None,
    campaign: Campaign,
    org: Organization,
    subtree: bool,
    starts_on: dt.date,
    ends_on: dt.date,
    reason: str,
    token: str,
) -> dict[str, int]:
    """Set the dates of `org` (or its subtree) by hand and store the schedule that follows,
    exactly as its preview (`token`) showed it."""
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    p = override_preview(
        campaign=campaign,
        org=org,
        subtree=subtree,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
    )
    _check_token(p, token)
    before = ScheduleOverride.objects.filter(campaign=campaign, org=org).first()
    ScheduleOverride.objects.update_or_create(
        campaign=campaign,
        org=org,
        defaults={
            "org_path": org.path,
            "subtree": subtree,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "reason": reason.strip(),
            "created_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    written = schedule.store(campaign, p)
    audit_record(
        actor=actor,
        action="campaigns.override",
        org=org,
        target=campaign,
        before=None
        if before is None
        else {"starts_on": str(before.starts_on), "ends_on": str(before.ends_on)},
        after={
            "starts_on": str(starts_on),
            "ends_on": str(ends_on),
            "subtree": subtree,
            "reason": reason.strip(),
            **written,
        },
    )
    return written


# --- undoing: an override cleared, a batch removed (decision 0019) --------------------------


def override_clear_preview(
    *, campaign: Campaign, org: Organization, today: dt.date | None = None
) -> schedule.Plan:
    """The schedule once `org`'s dates set by hand (for it or its whole subtree) are gone and
    the rules give them again: refused when it has none, or when it has started; organizations
    of its subtree that have started keep their dates (listed as kept)."""
    today = today or timezone.localdate()
    if not ScheduleOverride.objects.filter(campaign=campaign, org=org).exists():
        raise ApplicationError(
            _("%(org)s has no dates set by hand in this campaign.") % {"org": org.name},
            code="no_override",
        )
    row = Participation.objects.filter(campaign=campaign, org=org).first()
    if row is not None and row.starts_on <= today:
        raise _started_refusal(org, row.starts_on)
    p = schedule.plan(campaign, without_override=org.pk, today=today)
    _check_plan(campaign, p)
    return p


@transaction.atomic
def override_clear(
    *, actor: User | None, campaign: Campaign, org: Organization, token: str
) -> dict[str, int]:
    """Clear `org`'s dates set by hand and store the schedule that follows, exactly as its
    preview (`token`) showed it."""
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    p = override_clear_preview(campaign=campaign, org=org)
    _check_token(p, token)
    o = ScheduleOverride.objects.select_for_update().get(campaign=campaign, org=org)
    before = {
        "starts_on": str(o.starts_on),
        "ends_on": str(o.ends_on),
        "subtree": o.subtree,
        "reason": o.reason,
    }
    o.delete()
    written = schedule.store(campaign, p)
    audit_record(
        actor=actor,
        action="campaigns.override_clear",
        org=org,
        target=campaign,
        before=before,
        after=written,
    )
    return written


def batch_remove_preview(
    *, campaign: Campaign, batch: Batch, today: dt.date | None = None
) -> schedule.Plan:
    """The schedule without `batch`: its organizations go to the batch that now selects them,
    or leave the campaign. Refused while one of them has started (naming it), and for the
    campaign's last batch."""
    today = today or timezone.localdate()
    others = list(
        Batch.objects.filter(campaign=campaign).exclude(pk=batch.pk).prefetch_related("picks")
    )
    if not others:
        raise ApplicationError(
            _("%(batch)s is the campaign's only batch: a campaign needs one.")
            % {"batch": batch.name},
            code="last_batch",
        )
    started = (
        Participation.objects.filter(campaign=campaign, batch=batch, starts_on__lte=today)
        .select_related("org")
        .order_by("org_path")
        .first()
    )
    if started is not None:
        raise ApplicationError(
            _("%(org)s in %(batch)s started on %(start)s: the batch can no longer be removed.")
            % {"org": started.org.name, "batch": batch.name, "start": day_text(started.starts_on)},
            code="batch_started",
        )
    p = schedule.plan(campaign, batches=others, today=today)
    _check_plan(campaign, p)
    return p


@transaction.atomic
def batch_remove(
    *, actor: User | None, campaign: Campaign, batch: Batch, token: str
) -> dict[str, int]:
    """Remove a batch and store the schedule its preview (`token`) showed: no window is left
    pointing at it."""
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    p = batch_remove_preview(campaign=campaign, batch=batch)
    _check_token(p, token)
    written = _store_stamped(campaign, p)
    audit_record(
        actor=actor,
        action="campaigns.batch_remove",
        org=campaign.org,
        target=batch,
        before={
            "name": batch.name,
            "starts_on": str(batch.starts_on),
            "ends_on": str(batch.ends_on),
        },
        after=written,
    )
    batch.delete()
    return written
