"""Writes of the opinion dispatch (派单, decision 0021 "Dispatch"): `opinion_act` takes any step
the workflow map (`workflow.TRANSITIONS`) allows, and `opinions_escalate` flags opinions past
their time limit and escalates them one level up (督办). Each write locks the opinion, checks
the step and who takes it, validates, saves with update_fields, and writes its history step,
its audit row and the counters in one transaction: a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import OPINIONS_DISPATCH
from massline.access.policy import can
from massline.access.users import holders_at
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden
from massline.core.outcome import Outcome
from massline.notices.services import send
from massline.orgs import counters
from massline.orgs.models import Organization

from . import workflow
from .counters import changes as figure_changes
from .counters import counts
from .models import (
    CoOrganization,
    Opinion,
    OpinionCategory,
    OpinionStatus,
    OpinionStep,
    OpinionStepKind,
    Response,
    Urgency,
)

if TYPE_CHECKING:
    from massline.accounts.models import User

NOTE_MAX = 2000
REPLY_MAX = 10000
CO_ORGS_MAX = 20
ESCALATED_NOTICE = "opinions.escalated"


def _required_message(action: str) -> str:
    if action == workflow.RETURN:
        return _("Say why the opinion is returned.")
    if action == workflow.REASSIGN:
        return _("Say why the opinion is reassigned.")
    return _("Write the reply.")


def _snapshot(o: Opinion) -> dict[str, Any]:
    """What the audit keeps of an opinion: its handling, never its text or its submitter."""
    return {
        "opinion": o.pk,
        "status": o.status,
        "lead_org": o.lead_org.code if o.lead_org_id and o.lead_org else "",
        "due_at": o.due_at.isoformat() if o.due_at else "",
        "category": o.category_id,
        "urgency": o.urgency,
        "overdue": o.overdue,
        "response": o.response,
        "reply_published": o.reply_published,
        "merged_into": o.merged_into_id,
    }


def _answered(o: Opinion, now: dt.datetime) -> list[str]:
    """The first answer (contact or reply) settles the response figure, once: in time when at
    or before the time limit. A later answer, or one after the sweep found it late, keeps it."""
    if o.response:
        return []
    o.response = Response.IN_TIME if o.due_at is None or now <= o.due_at else Response.LATE
    return ["response"]


def _bump(o: Opinion, before: dict[str, int]) -> None:
    deltas = figure_changes(before, counts(o))
    if deltas:
        counters.bump(path=o.org_path, deltas=deltas)


def _locked(pk: int) -> Opinion:
    return (
        Opinion.objects.select_for_update(of=("self",)).select_related("org", "lead_org").get(pk=pk)
    )


def _in_scope(actor: User | None, org: Organization) -> bool:
    return actor is None or can(actor, OPINIONS_DISPATCH, org)


def _check_orgs(
    actor: User | None, o: Opinion, lead: Organization | None, co_orgs: Iterable[Organization]
) -> list[Organization]:
    """The lead organization and the co-organizations a dispatch names: all within the
    dispatcher's scope, the lead not among the co-organizations. Returns the co-organizations
    without repeats."""
    if lead is None:
        raise ApplicationError(
            _("Choose the lead organization responsible for the opinion."), field="lead_org"
        )
    if not _in_scope(actor, lead):
        raise ApplicationError(
            _("The lead organization must be within your scope: choose another one."),
            field="lead_org",
            code="out_of_scope",
        )
    seen: dict[int, Organization] = {}
    for org in co_orgs:
        if org.pk == lead.pk:
            raise ApplicationError(
                _("%(org)s is the lead organization; it cannot also be a co-organization.")
                % {"org": org.name},
                field="co_orgs",
            )
        if not _in_scope(actor, org):
            raise ApplicationError(
                _("Every co-organization must be within your scope: choose others."),
                field="co_orgs",
                code="out_of_scope",
            )
        seen[org.pk] = org
    if len(seen) > CO_ORGS_MAX:
        raise ApplicationError(
            _("At most %(n)d co-organizations.") % {"n": CO_ORGS_MAX}, field="co_orgs"
        )
    return list(seen.values())


def _dispatch(
    actor: User | None,
    o: Opinion,
    step: workflow.Transition,
    lead: Organization | None,
    co_orgs: Iterable[Organization],
    now: dt.datetime,
) -> list[str]:
    co = _check_orgs(actor, o, lead, co_orgs)
    assert lead is not None
    if step.action == workflow.REASSIGN and lead.pk == o.lead_org_id:
        raise ApplicationError(
            _("The opinion is already with %(org)s: choose another organization.")
            % {"org": lead.name},
            field="lead_org",
            code="same_org",
        )
    o.lead_org = lead
    o.lead_path = lead.path
    o.dispatched_at = now
    o.due_at = workflow.due_at(o.urgency, now)
    o.overdue = False
    o.escalated_to = None
    CoOrganization.objects.filter(opinion=o).delete()
    CoOrganization.objects.bulk_create(
        [CoOrganization(opinion=o, org=c, org_path=c.path) for c in co]
    )
    return ["lead_org", "lead_path", "dispatched_at", "due_at", "overdue", "escalated_to"]


def _triage(o: Opinion, category: OpinionCategory | None, urgency: str) -> list[str]:
    if category is None and not urgency:
        raise ApplicationError(_("Choose a category or an urgency."), field="category")
    fields = []
    if urgency:
        if urgency not in Urgency.values:
            raise ApplicationError(
                _("Unknown urgency %(value)s.") % {"value": urgency}, field="urgency"
            )
        o.urgency = urgency
        fields.append("urgency")
    if category is not None:
        if category.org_id is not None and not o.org_path.startswith(category.org_path):
            raise ApplicationError(
                _("The category “%(title)s” is not used at %(org)s.")
                % {"title": category.title, "org": o.org.name},
                field="category",
            )
        o.category = category
        fields.append("category")
    return fields


def _merge(actor: User | None, o: Opinion, into: Opinion | None) -> list[str]:
    if into is None:
        raise ApplicationError(_("Choose the opinion to merge into."), field="into")
    if into.pk == o.pk:
        raise ApplicationError(_("An opinion cannot be merged into itself."), field="into")
    target = _locked(into.pk)
    if not _in_scope(actor, target.org):
        raise ApplicationError(
            _("No opinion %(n)s within your scope.") % {"n": into.pk}, field="into"
        )
    if target.status in (OpinionStatus.MERGED, OpinionStatus.CLOSED):
        raise ApplicationError(
            _("Opinion %(n)s is %(status)s: merge into an open one.")
            % {"n": target.pk, "status": OpinionStatus(target.status).label},
            field="into",
            code="merge_target",
        )
    if not (target.org_path.startswith(o.org_path) or o.org_path.startswith(target.org_path)):
        raise ApplicationError(
            _(
                "Opinion %(n)s was addressed to %(org)s, outside this opinion's organization "
                "and the ones above it: merge only within one organization's subtree."
            )
            % {"n": target.pk, "org": target.org.name},
            field="into",
            code="merge_target",
        )
    o.merged_into = target
    # opinions merged into this one earlier follow it: every receipt reaches the one that
    # carries on in one step
    Opinion.objects.filter(merged_into=o).update(merged_into=target)
    return ["merged_into"]


@transaction.atomic
def opinion_act(
    *,
    actor: User | None,
    opinion: Opinion,
    action: str,
    note: str = "",
    seen: str | None = None,
    lead_org: Organization | None = None,
    co_orgs: Iterable[Organization] = (),
    category: OpinionCategory | None = None,
    urgency: str = "",
    into: Opinion | None = None,
) -> Opinion:
    """Take the step `action` on the opinion, as the workflow map says for its present state.
    `seen`: the state the caller last saw (a stale page does not act on a changed opinion).
    Dispatch and reassign name `lead_org` and `co_orgs`; triage `category` and/or `urgency`;
    merge `into`; return and reassign need a reason in `note`, reply the reply's text.
    `actor` None: the system (no permission check)."""
    if action == workflow.MERGE and into is not None:
        # both rows, in id order: two merges crossing each other wait instead of deadlocking
        list(
            Opinion.objects.select_for_update(of=("self",))
            .filter(pk__in=[opinion.pk, into.pk])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    o = _locked(opinion.pk)
    step = workflow.transition(o, action, seen=seen)
    if step.action == workflow.PUBLISH and o.reply_published:
        raise ApplicationError(
            _("The reply is already published."), field="status", code="opinion_state"
        )
    if actor is not None and step.action not in workflow.actions_for(actor, o):
        raise Forbidden(_("You may not take this step on this opinion."))
    note = note.strip()
    if "\x00" in note:
        raise ApplicationError(_("The text contains a NUL character."), field="note")
    if step.note_required and not note:
        raise ApplicationError(_required_message(step.action), field="note")
    limit = REPLY_MAX if step.action == workflow.REPLY else NOTE_MAX
    if len(note) > limit:
        raise ApplicationError(
            _("At most %(n)d characters.") % {"n": limit}, field="note", code="too_long"
        )
    before = _snapshot(o)
    figures = counts(o)
    now = timezone.now()
    fields: list[str] = ["status"]
    if step.to_org:
        fields += _dispatch(actor, o, step, lead_org, co_orgs, now)
    elif step.action == workflow.TRIAGE:
        fields += _triage(o, category, urgency)
    elif step.action == workflow.MERGE:
        fields += _merge(actor, o, into)
    elif step.action == workflow.CONTACT:
        o.first_contact_at = now
        fields.append("first_contact_at")
        fields += _answered(o, now)
    elif step.action == workflow.REPLY:
        o.reply = note
        o.replied_at = now
        o.reply_published = False
        fields += ["reply", "replied_at", "reply_published"]
        fields += _answered(o, now)
    elif step.action == workflow.PUBLISH:
        o.reply_published = True
        fields.append("reply_published")
    o.status = step.target
    o.save(update_fields=fields)
    _bump(o, figures)
    acting_org = o.lead_org if step.side == workflow.LEAD and o.lead_org else o.org
    step_org = o.lead_org if step.to_org else acting_org
    OpinionStep.objects.create(
        opinion=o,
        kind=step.step_kind,
        org=step_org,
        actor=actor,
        at=now,
        note="" if step.action == workflow.REPLY else note,
    )
    audit_record(
        actor=actor,
        action=step.audit_action,
        org=acting_org,
        target=o,
        before=before,
        after={**_snapshot(o), "note": note[:500]},
    )
    return o


# --- overdue escalation (督办) ------------------------------------------------------------


def overdue_candidates(now: dt.datetime) -> Any:
    """Dispatched or handled opinions past their time limit without a reply, not flagged yet
    (the partial index `opinion_open_due` serves it)."""
    return Opinion.objects.filter(
        status__in=(OpinionStatus.DISPATCHED, OpinionStatus.HANDLING),
        overdue=False,
        due_at__lt=now,
        replied_at__isnull=True,
    )


@transaction.atomic
def opinions_escalate(*, now: dt.datetime | None = None) -> int:
    """Flag the opinions past their time limit as overdue and escalate each one level up: to
    the parent of its lead organization (the lead itself at the top), with a history step, an
    audit row, the counters and an in-app notice to the dispatchers there. Running again
    escalates nothing twice (flagged opinions are skipped; the notice is keyed by the opinion
    and its time limit). Returns how many were escalated."""
    now = now or timezone.now()
    rows = list(
        overdue_candidates(now)
        .select_for_update(of=("self",))
        .select_related("lead_org", "lead_org__parent")
        .order_by("pk")
    )
    if not rows:
        return 0
    changes: dict[str, dict[str, int]] = {}
    for o in rows:
        lead = o.lead_org
        above = lead.parent if lead is not None and lead.parent is not None else lead
        before = _snapshot(o)
        figures = counts(o)
        o.overdue = True
        o.escalated_to = above
        fields = ["overdue", "escalated_to"]
        if not o.response:  # not answered in time: late, whenever the answer comes
            o.response = Response.LATE
            fields.append("response")
        o.save(update_fields=fields)
        for k, delta in figure_changes(figures, counts(o)).items():
            changes.setdefault(o.org_path, {}).setdefault(k, 0)
            changes[o.org_path][k] += delta
        OpinionStep.objects.create(
            opinion=o, kind=OpinionStepKind.ESCALATED, org=above, actor=None, at=now
        )
        audit_record(
            actor=None,
            action=workflow.ESCALATE_AUDIT_ACTION,
            org=above,
            target=o,
            before=before,
            after=_snapshot(o),
        )
    counters.bump_many(changes)
    holders = holders_at(
        sorted({o.escalated_to_id for o in rows if o.escalated_to_id}), OPINIONS_DISPATCH
    )
    for o in rows:
        users = holders.get(o.escalated_to_id or 0)
        if not users or o.due_at is None:
            continue
        send(
            users,
            ESCALATED_NOTICE,
            f"opinion:{o.pk}:overdue:{o.due_at.isoformat()}",
            params={
                "opinion": o.pk,
                "org": o.lead_org.name if o.lead_org else "",
                "due": timezone.localtime(o.due_at).strftime("%Y-%m-%d %H:%M"),
            },
            link=reverse("opinions:detail", args=[o.pk]),
            organization=o.escalated_to_id,
        )
    return len(rows)


def opinions_escalate_task() -> Outcome:
    """The periodic run of the escalation (core.schedule)."""
    n = opinions_escalate()
    return Outcome(
        message=_("%(n)d overdue opinions escalated.") % {"n": n}, details={"escalated": n}
    )
