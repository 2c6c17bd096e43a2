"""Campaign writes: a template copied, a campaign created from a template, a batch saved, the
schedule applied after its preview, an override set, an organization's phase advanced. Each is
one transaction with its audit row; the caller has already asked access whether the actor may
(`selectors.campaign_for`, `access_org`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, clean_or_raise
from massline.orgs.models import Organization
from massline.orgs.paths import KEY_WIDTH

from . import phases, schedule
from .models import (
    Batch,
    BatchPick,
    Campaign,
    CampaignPhase,
    CampaignTemplate,
    Participation,
    TemplateBatch,
    TemplatePhase,
)
from .rollout import BatchRule, add_months, latest_start, select

if TYPE_CHECKING:
    from massline.accounts.models import User


def day_text(value: dt.date) -> str:
    return date_format(value, "Y-m-d")


# --- templates ---------------------------------------------------------------------------


@transaction.atomic
def template_copy(
    *,
    actor: User | None,
    template: CampaignTemplate,
    org: Organization,
    code: str,
    title: str,
    level_offset_days: int | None = None,
    subordinate_offset_days: int | None = None,
    min_concentrated_months: int | None = None,
    villages_flexible: bool | None = None,
) -> CampaignTemplate:
    """A campaign office's own template: a copy of `template` (phases, batches, rules), owned
    by its organization, with the rules it changes."""
    if CampaignTemplate.objects.filter(code=code).exists():
        raise ApplicationError(
            _("A template with the code %(code)s already exists.") % {"code": code},
            code="template_code_taken",
            field="code",
        )
    copy = CampaignTemplate(
        code=code,
        title=title,
        kind=template.kind,
        phased=template.phased,
        routine=template.routine,
        builtin=False,
        requirements=list(template.requirements),
        general_requirement=template.general_requirement,
        special_rectification=template.special_rectification,
        copied_from=template,
        owner=org,
        owner_path=org.path,
        throughout=list(template.throughout),
        level_offset_days=_given(level_offset_days, template.level_offset_days),
        subordinate_offset_days=_given(subordinate_offset_days, template.subordinate_offset_days),
        min_concentrated_months=_given(min_concentrated_months, template.min_concentrated_months),
        villages_flexible=_given(villages_flexible, template.villages_flexible),
    )
    clean_or_raise(copy)
    copy.save()
    TemplatePhase.objects.bulk_create(
        TemplatePhase(template=copy, position=p.position, code=p.code, title=p.title)
        for p in template.phases.all()
    )
    TemplateBatch.objects.bulk_create(
        TemplateBatch(
            template=copy,
            position=b.position,
            name=b.name,
            scope=b.scope,
            starts_on=b.starts_on,
            ends_on=b.ends_on,
            duration_months=b.duration_months,
        )
        for b in template.batches.all()
    )
    audit_record(
        actor=actor,
        action="campaigns.template_copy",
        org=org,
        target=copy,
        after={"copied_from": template.code, "code": code},
    )
    return copy


def _given(value: Any, default: Any) -> Any:
    return default if value is None else value


# --- campaigns ---------------------------------------------------------------------------


def check_period(starts_on: dt.date, ends_on: dt.date) -> None:
    if ends_on < starts_on:
        raise ApplicationError(
            _("The end (%(end)s) is before the start (%(start)s).")
            % {"end": day_text(ends_on), "start": day_text(starts_on)},
            code="end_before_start",
            field="ends_on",
        )


def _check_no_overlap(
    *, kind: str, org: Organization, starts_on: dt.date, ends_on: dt.date
) -> None:
    """Two campaigns of one kind never run at once on one organization: neither's subtree may
    hold the other's organization while their periods meet."""
    prefixes = [org.path[:end] for end in range(KEY_WIDTH, len(org.path) + 1, KEY_WIDTH)]
    others = (
        Campaign.objects.filter(kind=kind, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .filter(Q(org_path__in=prefixes) | Q(org_path__gte=org.path, org_path__lt=org.path + "~"))
        .select_related("org")
    )
    other = others.first()
    if other is not None:
        raise ApplicationError(
            _(
                "%(other)s, a campaign of the same kind at %(org)s, runs from %(start)s to "
                "%(end)s: two campaigns of one kind cannot overlap on one organization."
            )
            % {
                "other": other.title,
                "org": other.org.name,
                "start": day_text(other.starts_on),
                "end": day_text(other.ends_on),
            },
            code="campaigns_overlap",
            field="starts_on",
        )


def _template_batch_windows(
    template: CampaignTemplate, starts_on: dt.date, ends_on: dt.date
) -> list[tuple[TemplateBatch | None, dt.date, dt.date]]:
    """The template's batches moved to the campaign's start (the first batch starts with the
    campaign, the others as many months later as in the template), each ending as the
    template says (an end, or a duration) or with the campaign, never after it."""
    tbatches = list(template.batches.all())
    if not tbatches:
        return [(None, starts_on, ends_on)]
    origin = tbatches[0].starts_on
    out: list[tuple[TemplateBatch | None, dt.date, dt.date]] = []
    for i, tb in enumerate(tbatches):
        if origin is None or tb.starts_on is None:
            start = starts_on
        else:
            months = (tb.starts_on.year - origin.year) * 12 + tb.starts_on.month - origin.month
            start = add_months(starts_on, months)
        end = ends_on
        if tb.ends_on is not None and tb.starts_on is not None and origin is not None:
            span = (tb.ends_on - tb.starts_on).days
            end = min(ends_on, start + dt.timedelta(days=span))
        elif tb.duration_months:
            end = min(ends_on, add_months(start, tb.duration_months) - dt.timedelta(days=1))
        elif i + 1 < len(tbatches):
            end = ends_on
        out.append((tb, min(start, ends_on), end))
    return out


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    template: CampaignTemplate,
    org: Organization,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
) -> Campaign:
    """A campaign at `org` (over its subtree) from `template`: its kind, phases, rules and
    batches (with their default selection: leadership bodies of counties and above first,
    everything else after, when the template has two batches)."""
    check_period(starts_on, ends_on)
    _check_no_overlap(kind=template.kind, org=org, starts_on=starts_on, ends_on=ends_on)
    campaign = Campaign(
        template=template,
        kind=template.kind,
        title=title,
        org=org,
        org_path=org.path,
        starts_on=starts_on,
        ends_on=ends_on,
        phased=template.phased,
        level_offset_days=template.level_offset_days,
        subordinate_offset_days=template.subordinate_offset_days,
        min_concentrated_months=template.min_concentrated_months,
        villages_flexible=template.villages_flexible,
        throughout=list(template.throughout),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    clean_or_raise(campaign)
    campaign.save()
    CampaignPhase.objects.bulk_create(
        CampaignPhase(campaign=campaign, position=p.position, code=p.code, title=p.title)
        for p in template.phases.all()
    )
    windows = _template_batch_windows(template, starts_on, ends_on)
    for position, (tb, start, end) in enumerate(windows, start=1):
        first_of_two = len(windows) > 1 and position == 1
        batch = Batch(
            campaign=campaign,
            position=position,
            name=tb.name if tb else _("Batch %(n)s") % {"n": position},
            scope=tb.scope if tb else "",
            starts_on=start,
            ends_on=end,
            levels=[1, 2, 3] if first_of_two else [],
            kinds=["committee", "working_committee"] if first_of_two else [],
            rest=not first_of_two,
        )
        _check_batch_window(campaign, batch)
        batch.save()
    audit_record(
        actor=actor,
        action="campaigns.create",
        org=org,
        target=campaign,
        after={
            "template": template.code,
            "starts_on": str(starts_on),
            "ends_on": str(ends_on),
            "batches": len(windows),
        },
    )
    return campaign


# --- batches -----------------------------------------------------------------------------


def _check_batch_window(campaign: Campaign, batch: Batch) -> None:
    check_period(batch.starts_on, batch.ends_on)
    if batch.starts_on < campaign.starts_on or batch.ends_on > campaign.ends_on:
        raise ApplicationError(
            _("%(batch)s (%(start)s–%(end)s) runs outside the campaign (%(cs)s–%(ce)s).")
            % {
                "batch": batch.name,
                "start": day_text(batch.starts_on),
                "end": day_text(batch.ends_on),
                "cs": day_text(campaign.starts_on),
                "ce": day_text(campaign.ends_on),
            },
            code="batch_outside_campaign",
            field="starts_on",
        )
    if latest_start(batch.ends_on, campaign.min_concentrated_months) < batch.starts_on:
        raise ApplicationError(
            _(
                "%(batch)s (%(start)s–%(end)s) is shorter than the minimum concentrated "
                "duration of %(months)s months."
            )
            % {
                "batch": batch.name,
                "start": day_text(batch.starts_on),
                "end": day_text(batch.ends_on),
                "months": campaign.min_concentrated_months,
            },
            code="batch_too_short",
            field="ends_on",
        )


@dataclass(frozen=True)
class BatchInput:
    name: str
    scope: str
    starts_on: dt.date
    ends_on: dt.date
    levels: list[int]
    kinds: list[str]
    unit_types: list[str]
    rest: bool
    picks: list[tuple[Organization, bool]]  # (organization, include)


def batch_preview(campaign: Campaign, batch: Batch | None, data: BatchInput) -> tuple[Batch, int]:
    """The batch as it would be saved, and how many organizations it would select. Refuses a
    batch that selects nothing, or an organization another batch selects."""
    for org, _include in data.picks:
        if not org.path.startswith(campaign.org_path):
            raise ApplicationError(
                _("%(org)s is outside the campaign's organizations.") % {"org": org.name},
                code="pick_outside_campaign",
                field="picks",
            )
    draft = Batch(
        pk=batch.pk if batch else -1,
        campaign=campaign,
        position=batch.position if batch else _next_position(campaign),
        name=data.name,
        scope=data.scope,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        levels=sorted(set(data.levels)),
        kinds=sorted(set(data.kinds)),
        unit_types=sorted(set(data.unit_types)),
        rest=data.rest,
    )
    _check_batch_window(campaign, draft)
    others = list(
        Batch.objects.filter(campaign=campaign).exclude(pk=draft.pk).prefetch_related("picks")
    )
    rules = schedule.batch_rules(others)
    rules.append(
        BatchRule(
            id=draft.pk,
            position=draft.position,
            name=draft.name,
            starts_on=draft.starts_on,
            ends_on=draft.ends_on,
            levels=frozenset(draft.levels),
            kinds=frozenset(draft.kinds),
            unit_types=frozenset(draft.unit_types),
            rest=draft.rest,
            picks=tuple((o.path, inc) for o, inc in data.picks),
        )
    )
    if draft.rest and any(b.rest for b in others):
        raise ApplicationError(
            _("Only one batch can take every organization not in another batch."),
            code="two_rest_batches",
            field="rest",
        )
    result = select(schedule.org_rows(campaign), rules)
    clash = next((c for c in result.conflicts if draft.pk in (c[1], c[2])), None)
    if clash is not None:
        org_id, first, second = clash
        other = next(b for b in others if b.pk in (first, second) and b.pk != draft.pk)
        org = Organization.objects.get(pk=org_id)
        raise ApplicationError(
            _("%(org)s would be in %(batch)s and in %(other)s: an organization is in one batch.")
            % {"org": org.name, "batch": draft.name, "other": other.name},
            code="org_in_two_batches",
            field="levels",
        )
    count = result.selected.get(draft.pk, 0)
    if count == 0:
        raise ApplicationError(
            _("%(batch)s selects no organization: choose levels, kinds, unit types or picks.")
            % {"batch": draft.name},
            code="batch_selects_nothing",
            field="levels",
        )
    return draft, count


def _next_position(campaign: Campaign) -> int:
    last = Batch.objects.filter(campaign=campaign).order_by("-position").first()
    return (last.position if last else 0) + 1


@transaction.atomic
def batch_save(
    *, actor: User | None, campaign: Campaign, batch: Batch | None, data: BatchInput
) -> Batch:
    """Create or change a batch after the same checks as its preview. The stored schedule is
    not touched: the campaign's page then shows the schedule's preview to apply."""
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    draft, count = batch_preview(campaign, batch, data)
    before = None
    if batch is None:
        draft.pk = None
    else:
        before = _batch_snapshot(batch)
        draft._state.adding = False
    clean_or_raise(draft)
    draft.save()
    BatchPick.objects.filter(batch=draft).delete()
    BatchPick.objects.bulk_create(
        BatchPick(batch=draft, org=o, org_path=o.path, include=inc) for o, inc in data.picks
    )
    audit_record(
        actor=actor,
        action="campaigns.batch_save",
        org=campaign.org,
        target=draft,
        before=before,
        after={**_batch_snapshot(draft), "picks": [o.code for o, _i in data.picks], "count": count},
    )
    return draft


def _batch_snapshot(batch: Batch) -> dict[str, Any]:
    return {
        "name": batch.name,
        "starts_on": str(batch.starts_on),
        "ends_on": str(batch.ends_on),
        "levels": batch.levels,
        "kinds": batch.kinds,
        "unit_types": batch.unit_types,
        "rest": batch.rest,
    }


# --- phases ------------------------------------------------------------------------------


@transaction.atomic
def phase_advance(
    *, actor: User | None, campaign: Campaign, org: Organization, today: dt.date | None = None
) -> Participation:
    """Move one organization to its next phase (phased campaigns only): once its window has
    opened and before it closes, and never ahead of its parent organization."""
    today = today or timezone.localdate()
    row = Participation.objects.select_for_update().filter(campaign=campaign, org=org).first()
    if row is None:
        raise ApplicationError(
            _("%(org)s is not in this campaign.") % {"org": org.name}, code="not_participating"
        )
    if not campaign.phased:
        raise ApplicationError(
            _("%(campaign)s has no phases: everything runs throughout.")
            % {"campaign": campaign.title},
            code="not_phased",
        )
    if today < row.starts_on:
        raise ApplicationError(
            _("%(org)s starts on %(start)s: its phase moves once it has started.")
            % {"org": org.name, "start": day_text(row.starts_on)},
            code="not_started",
        )
    if today > row.ends_on:
        raise ApplicationError(
            _("%(org)s's window closed on %(end)s.")
            % {"org": org.name, "end": day_text(row.ends_on)},
            code="window_closed",
        )
    step = phases.require(row.phase, phases.ADVANCE, org_name=org.name)
    parent_row = (
        Participation.objects.filter(campaign=campaign, org_id=row.parent_org_id).first()
        if row.parent_org_id
        else None
    )
    if parent_row is not None and phases.index(parent_row.phase) < phases.index(step.target):
        raise ApplicationError(
            _("%(org)s cannot move ahead of its parent %(parent)s, which is in “%(phase)s”.")
            % {
                "org": org.name,
                "parent": org.parent.name if org.parent else "",
                "phase": phases.phase_label(parent_row.phase),
            },
            code="ahead_of_parent",
        )
    before = row.phase
    row.phase = step.target
    row.phase_since = today
    row.save(update_fields=["phase", "phase_since"])
    audit_record(
        actor=actor,
        action=step.audit_action,
        org=org,
        target=campaign,
        before={"phase": before},
        after={"phase": step.target},
    )
    return row
