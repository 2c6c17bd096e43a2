"""Writes of fixes (整改, decision 0022): `fix_create`, `fix_act` for any step the workflow map
(`workflow.TRANSITIONS`) allows, `commitments_publish` for an organization's prepared
commitments at once, `fix_move` when a fix changes hands (claimed from below, handed over to the
next batch) and the periodic overdue sweep. Each write locks the fix (`fix_locked`), checks the
step, who takes it and the version the caller read, validates, saves with update_fields, and
writes its history step, its audit row and the counters in one transaction (`fix_change_save`):
a refusal writes nothing. Evidence files are checked by their content before anything is
written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import RECTIFICATION_MANAGE
from massline.access.policy import can
from massline.campaigns import evidence
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden
from massline.orgs import counters as org_counters
from massline.orgs.models import Organization

from . import awaiting, workflow
from .counters import changes, fix_counts, negated
from .models import (
    Audience,
    CoOrganization,
    Fix,
    FixEvidence,
    FixKind,
    FixState,
    FixStep,
    FixStepKind,
    Problem,
    ProblemStatus,
)

if TYPE_CHECKING:
    from massline.accounts.models import User

MEASURE_MAX = 5000
NOTE_MAX = 5000
PERSON_MAX = 64
CO_ORGS_MAX = 20
#: A reworked fix has at least this many days from the day it is sent back.
DEFAULT_REWORK_DAYS = 30
EVIDENCE_FOLDER = "fixes"


def _snapshot(f: Fix) -> dict[str, Any]:
    """What the audit keeps of a fix: its handling, never an evaluator."""
    return {
        "fix": f.pk,
        "org": f.org_id,
        "state": f.state,
        "round": f.round,
        "kind": f.kind,
        "deadline": f.deadline.isoformat() if f.deadline else "",
        "responsible_person": f.responsible_person,
        "overdue": f.overdue,
        "extension_until": f.extension_until.isoformat() if f.extension_until else "",
        "audience": f.audience,
        "promised_on": f.promised_on.isoformat() if f.promised_on else "",
        "published": f.published,
        "version": f.version,
    }


def fix_locked(fix: Fix | int) -> tuple[Fix, dict[str, Any]]:
    """The fix's row, locked for the change, and what it was before it."""
    pk = fix if isinstance(fix, int) else fix.pk
    locked = (
        Fix.objects.select_for_update(of=("self",))
        .select_related("org", "org__parent", "problem")
        .get(pk=pk)
    )
    return locked, {"snapshot": _snapshot(locked), "figures": fix_counts(locked)}


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def fix_change_save(
    *,
    actor: User | None,
    fix: Fix,
    before: dict[str, Any],
    kind: str,
    action: str,
    fields: list[str],
    note: str = "",
    public: bool = False,
    checked: Iterable[evidence.Checked] = (),
    now: dt.datetime | None = None,
) -> FixStep:
    """Save a change made to a locked fix: its fields and version, its history step (with any
    evidence files), its audit row and its counters, in the caller's transaction."""
    now = now or timezone.now()
    fix.version += 1
    fix.save(update_fields=[*dict.fromkeys([*fields, "version"])])
    step = FixStep.objects.create(
        fix=fix,
        round=fix.round,
        kind=kind,
        org=fix.org,
        actor=_actor(actor),
        at=now,
        note=note,
        public=public,
    )
    FixEvidence.objects.bulk_create(
        FixEvidence(
            step=step,
            name=f.name,
            content_type=f.content_type,
            size=len(f.data),
            sha256=f.sha256,
            stored=evidence.store(EVIDENCE_FOLDER, f),
        )
        for f in checked
    )
    deltas = changes(before["figures"], fix_counts(fix))
    if deltas:
        org_counters.bump(path=fix.org_path, deltas=deltas)
    audit_record(
        actor=actor,
        action=action,
        org=fix.org,
        target=fix,
        before=before["snapshot"],
        after=_snapshot(fix),
    )
    return step


def _text(value: str, *, field: str, required: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(required, field=field)
    if len(value) > limit:
        raise ApplicationError(
            _("At most %(n)d characters.") % {"n": limit}, field=field, code="too_long"
        )
    return value


def _check_kind(kind: str, deadline: dt.date | None, today: dt.date) -> None:
    if kind not in FixKind.values:
        raise ApplicationError(_("Unknown kind of fix %(value)s.") % {"value": kind}, field="kind")
    if kind == FixKind.ONGOING:
        return
    if deadline is None:
        raise ApplicationError(
            _("A fix made at once or by a deadline needs its deadline."), field="deadline"
        )
    if deadline < today:
        raise ApplicationError(_("The deadline cannot be in the past."), field="deadline")


def _check_co_orgs(org: Organization, co_orgs: Iterable[Organization]) -> list[Organization]:
    seen: dict[int, Organization] = {}
    for co in co_orgs:
        if co.pk == org.pk:
            raise ApplicationError(
                _("%(org)s is responsible for the fix; it cannot also be a co-organization.")
                % {"org": org.name},
                field="co_orgs",
            )
        seen[co.pk] = co
    if len(seen) > CO_ORGS_MAX:
        raise ApplicationError(
            _("At most %(n)d co-organizations.") % {"n": CO_ORGS_MAX}, field="co_orgs"
        )
    return list(seen.values())


def _check_handover(
    actor: Any, org: Organization, handover: Organization | None, campaign_id: int | None
) -> None:
    if handover is None:
        return
    if campaign_id is None:
        raise ApplicationError(
            _("Only a fix of a campaign can be handed over to a later batch."),
            field="handover_org",
        )
    if handover.pk == org.pk:
        raise ApplicationError(
            _("The fix is already with %(org)s.") % {"org": org.name}, field="handover_org"
        )
    if actor is not None and not can(actor, RECTIFICATION_MANAGE, handover):
        raise ApplicationError(
            _("The organization taking it over must be within your scope."),
            field="handover_org",
            code="out_of_scope",
        )


@transaction.atomic
def fix_create(
    *,
    actor: User | None,
    problem: Problem,
    measure: str,
    kind: str,
    deadline: dt.date | None,
    responsible_person: str,
    org: Organization | None = None,
    co_orgs: Iterable[Organization] = (),
    handover_org: Organization | None = None,
    today: dt.date | None = None,
) -> Fix:
    """A fix of `problem`, by default the problem's own organization's, or one in its subtree."""
    today = today or timezone.localdate()
    problem = (
        Problem.objects.select_for_update(of=("self",)).select_related("org").get(pk=problem.pk)
    )
    org = org or problem.org
    if actor is not None and not can(actor, RECTIFICATION_MANAGE, org):
        raise Forbidden(_("You may not record fixes for %(org)s.") % {"org": org.name})
    if problem.status != ProblemStatus.OPEN:
        raise ApplicationError(
            _("The problem waits for the level above to claim it; no fix can be added now."),
            code="problem_escalated",
            field="problem",
        )
    if not org.path.startswith(problem.org_path):
        raise ApplicationError(
            _("The responsible organization must be %(org)s or one below it.")
            % {"org": problem.org.name},
            field="org",
        )
    measure = _text(
        measure, field="measure", required=_("Say what will be done."), limit=MEASURE_MAX
    )
    person = _text(
        responsible_person,
        field="responsible_person",
        required=_("Name the person responsible."),
        limit=PERSON_MAX,
    )
    _check_kind(kind, deadline, today)
    co = _check_co_orgs(org, co_orgs)
    _check_handover(actor, org, handover_org, problem.campaign_id)
    now = timezone.now()
    fix = Fix.objects.create(
        problem=problem,
        org=org,
        org_path=org.path,
        origin_org_id=problem.origin_org_id,
        origin_path=problem.origin_path,
        campaign_id=problem.campaign_id,
        measure=measure,
        kind=kind,
        deadline=deadline,
        responsible_person=person,
        handover_org=handover_org,
        created_by=_actor(actor),
        created_at=now,
    )
    CoOrganization.objects.bulk_create(
        [CoOrganization(fix=fix, org=c, org_path=c.path) for c in co]
    )
    FixStep.objects.create(
        fix=fix, round=1, kind=FixStepKind.CREATED, org=org, actor=_actor(actor), at=now
    )
    org_counters.bump(path=org.path, deltas=fix_counts(fix))
    audit_record(
        actor=actor, action="rectification.fix_create", org=org, target=fix, after=_snapshot(fix)
    )
    return fix


def _extension(fix: Fix, until: dt.date | None, today: dt.date) -> list[str]:
    assert fix.deadline is not None
    if today > fix.deadline:
        raise ApplicationError(
            _("The deadline (%(day)s) has passed: an extension is asked for before it.")
            % {"day": fix.deadline.isoformat()},
            code="past_deadline",
            field="until",
        )
    if until is None or until <= fix.deadline:
        raise ApplicationError(
            _("Name a new deadline after the present one (%(day)s).")
            % {"day": fix.deadline.isoformat()},
            field="until",
        )
    fix.extension_until = until
    return ["extension_until"]


def _commitment(
    fix: Fix, audience: str, promised_on: dt.date | None, today: dt.date, now: dt.datetime
) -> list[str]:
    if audience not in (Audience.SUBMITTERS, Audience.PUBLIC):
        raise ApplicationError(
            _("Say to whom the commitment is made: the people who raised it, or the public."),
            field="audience",
        )
    if promised_on is None or promised_on < today:
        raise ApplicationError(
            _("Name the day promised; it cannot be in the past."), field="promised_on"
        )
    fix.audience = audience
    fix.promised_on = promised_on
    fix.commitment_prepared_at = now
    return ["audience", "promised_on", "commitment", "commitment_prepared_at"]


def rework_days() -> int:
    return int(getattr(settings, "RECTIFICATION_REWORK_DAYS", DEFAULT_REWORK_DAYS))


def _rework(fix: Fix, today: dt.date) -> list[str]:
    fix.round += 1
    fix.reworked = True
    fix.closed_on = None
    fix.close_requested_by = None
    fix.satisfied = fix.basically_satisfied = fix.unsatisfied = 0
    fields = ["round", "reworked", "closed_on", "close_requested_by"]
    fields += ["satisfied", "basically_satisfied", "unsatisfied"]
    if fix.deadline is not None:
        fix.deadline = max(fix.deadline, today + dt.timedelta(days=rework_days()))
        fix.overdue = False
        fields += ["deadline", "overdue"]
    return fields


def _fields_of(
    actor: Any,
    fix: Fix,
    step: workflow.Transition,
    *,
    note: str,
    until: dt.date | None,
    audience: str,
    promised_on: dt.date | None,
    today: dt.date,
    now: dt.datetime,
) -> list[str]:
    """Apply the step's own rules and changes to the locked fix; the fields it changed."""
    a = step.action
    if a == workflow.REQUEST_EXTENSION:
        return _extension(fix, until, today)
    if a == workflow.APPROVE_EXTENSION:
        fix.deadline, fix.extension_until = fix.extension_until, None
        fix.overdue = False
        return ["deadline", "extension_until", "overdue"]
    if a == workflow.REFUSE_EXTENSION:
        fix.extension_until = None
        return ["extension_until"]
    if a == workflow.REQUEST_CLOSE:
        fix.close_requested_by = _actor(actor)
        return ["close_requested_by"]
    if a == workflow.APPROVE_CLOSE:
        requester = fix.close_requested_by_id
        if actor is not None and requester is not None and requester == actor.pk:
            raise ApplicationError(
                _(
                    "A close-out is approved one level up, not by whoever asked for it: "
                    "someone at %(org)s decides."
                )
                % {"org": workflow.upper_org(fix.org).name},
                code="same_level",
                field="action",
            )
        fix.closed_on = today
        fix.overdue = False
        return ["closed_on", "overdue"]
    if a == workflow.REFUSE_CLOSE:
        fix.close_requested_by = None
        return ["close_requested_by"]
    if a == workflow.PREPARE_COMMITMENT:
        fix.commitment = note
        return _commitment(fix, audience, promised_on, today, now)
    if a == workflow.PUBLISH_COMMITMENT:
        fix.published = True
        fix.commitment_published_at = now
        return ["published", "commitment_published_at"]
    if a == workflow.REWORK:
        return _rework(fix, today)
    return []


def fix_act(
    *,
    actor: User | None,
    fix: Fix,
    action: str,
    version: int | None = None,
    note: str = "",
    until: dt.date | None = None,
    audience: str = "",
    promised_on: dt.date | None = None,
    public: bool = False,
    files: list[tuple[str, Any]] | None = None,
    today: dt.date | None = None,
) -> Fix:
    """Take the step `action` on the fix, as the map allows, for the version the caller read."""
    checked = evidence.check(list(files or []))
    with transaction.atomic():
        locked, before = fix_locked(fix)
        return apply_step(
            actor=actor,
            fix=locked,
            before=before,
            action=action,
            version=version,
            note=note,
            until=until,
            audience=audience,
            promised_on=promised_on,
            public=public,
            checked=checked,
            today=today,
        )


def apply_step(
    *,
    actor: User | None,
    fix: Fix,
    before: dict[str, Any],
    action: str,
    version: int | None = None,
    note: str = "",
    until: dt.date | None = None,
    audience: str = "",
    promised_on: dt.date | None = None,
    public: bool = False,
    checked: list[evidence.Checked] | None = None,
    today: dt.date | None = None,
) -> Fix:
    """`fix_act` on a fix already locked (`fix_locked`) in the caller's transaction: the
    public's evaluation sends a fix back for rework this way, as the system (`actor` None)."""
    today = today or timezone.localdate()
    now = timezone.now()
    step = workflow.transition(fix, action, version=version)
    if not workflow.may(step, workflow.sides_of(actor, fix)):
        raise Forbidden(
            _("This step is taken by %(who)s.")
            % {
                "who": _("the organization responsible")
                if step.side == workflow.RESPONSIBLE
                else _("the level above")
            }
        )
    if action == workflow.PUBLISH_COMMITMENT and not fix.commitment_prepared_at:
        raise ApplicationError(
            _("Prepare the commitment before publishing it."), code="fix_state", field="action"
        )
    if action in (workflow.PUBLISH_COMMITMENT, workflow.PREPARE_COMMITMENT) and fix.published:
        raise ApplicationError(
            _("The commitment is already public."), code="fix_state", field="action"
        )
    if action == workflow.REQUEST_EXTENSION and fix.deadline is None:
        raise ApplicationError(
            _("A fix kept at without a deadline needs no extension."), field="action"
        )
    note = (note or "").strip()
    if step.note_required:
        note = _text(note, field="note", required=str(step.note_label), limit=NOTE_MAX)
    elif len(note) > NOTE_MAX:
        raise ApplicationError(_("At most %(n)d characters.") % {"n": NOTE_MAX}, field="note")
    if checked and not step.files:
        raise ApplicationError(_("This step takes no files."), field="attachments")
    fields = _fields_of(
        actor,
        fix,
        step,
        note=note,
        until=until,
        audience=audience,
        promised_on=promised_on,
        today=today,
        now=now,
    )
    fix.state = step.target
    fix_change_save(
        actor=actor,
        fix=fix,
        before=before,
        kind=step.step_kind,
        action=step.audit_action,
        fields=["state", *fields],
        note=note,
        public=public and step.action == workflow.PROGRESS,
        checked=checked or (),
        now=now,
    )
    awaiting.fix_asked(fix, step.action)
    return fix


@transaction.atomic
def commitments_publish(*, actor: User | None, org: Organization) -> int:
    """Publish every commitment of `org`'s fixes prepared and not yet public, at the same time
    (答复统一公开); the number published. Each one is its own step, audited."""
    if actor is not None and not can(actor, RECTIFICATION_MANAGE, org):
        raise Forbidden(_("You may not publish the commitments of %(org)s.") % {"org": org.name})
    pks = list(
        Fix.objects.filter(
            org=org,
            published=False,
            commitment_prepared_at__isnull=False,
            state__in=workflow.WORKING,
        ).values_list("pk", flat=True)
    )
    now = timezone.now()
    for pk in pks:
        locked, before = fix_locked(pk)
        if locked.published or not locked.commitment_prepared_at:
            continue
        step = workflow.transition(locked, workflow.PUBLISH_COMMITMENT)
        locked.published = True
        locked.commitment_published_at = now
        fix_change_save(
            actor=actor,
            fix=locked,
            before=before,
            kind=step.step_kind,
            action=step.audit_action,
            fields=["published", "commitment_published_at"],
            now=now,
        )
    return len(pks)


def fix_move(
    *,
    actor: User | None,
    fix: Fix,
    before: dict[str, Any],
    to: Organization,
    kind: str,
    action: str,
    note: str = "",
) -> None:
    """The locked fix changes hands (claimed by the level above, taken over by the next batch):
    its figures leave the old organization for the new one, the history says so."""
    old_path = fix.org_path
    fix.org = to
    fix.org_path = to.path
    fields = ["org", "org_path"]
    if fix.handover_org_id == to.pk:
        fix.handover_org = None
        fields.append("handover_org")
    figures = fix_counts(fix)
    org_counters.bump_many({old_path: negated(before["figures"]), to.path: figures})
    before = {**before, "figures": figures}
    fix_change_save(
        actor=actor, fix=fix, before=before, kind=kind, action=action, fields=fields, note=note
    )


def open_fixes(problem: Problem) -> list[int]:
    return list(
        Fix.objects.filter(problem=problem)
        .exclude(state=FixState.CLOSED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
