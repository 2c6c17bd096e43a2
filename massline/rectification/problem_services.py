"""Writes of problems (检视问题, decision 0022): `problem_create` from opinions, a self-review,
a supervision finding or an assignment from above; `problem_escalate` when the cause sits above
(问题在下面、根子在上面) and `problem_claim` / `problem_decline` by the level above. Each locks
the problem, checks who acts and the version the caller read, and writes the change, its audit
row and the counters in one transaction; a claimed problem's open fixes move up with it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import (
    OPINIONS_VIEW,
    RECTIFICATION_APPROVE,
    RECTIFICATION_MANAGE,
)
from massline.access.policy import can
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden
from massline.opinions.models import Opinion, OpinionCategory
from massline.orgs import counters as org_counters
from massline.orgs.models import Organization

from . import awaiting
from .counters import changes, negated, problem_counts
from .fix_services import MEASURE_MAX, PERSON_MAX, fix_locked, fix_move, open_fixes
from .models import FixStepKind, Problem, ProblemSource, ProblemStatus

if TYPE_CHECKING:
    from massline.accounts.models import User

OPINIONS_MAX = 200
#: Sources whose problems are tagged against a checklist (the four winds, the 2019 areas).
REVIEWS = (ProblemSource.TEAM_REVIEW, ProblemSource.SELF_REVIEW)


def _snapshot(p: Problem) -> dict[str, Any]:
    return {
        "problem": p.pk,
        "org": p.org_id,
        "source": p.source,
        "category": p.category_id,
        "responsible_person": p.responsible_person,
        "status": p.status,
        "escalated_to": p.escalated_to_id,
        "version": p.version,
    }


def _text(value: str, field: str, required: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(required, field=field)
    if len(value) > limit:
        raise ApplicationError(
            _("At most %(n)d characters.") % {"n": limit}, field=field, code="too_long"
        )
    return value


def _sees(actor: Any, opinion: Opinion) -> bool:
    if actor is None:
        return True
    if can(actor, OPINIONS_VIEW, opinion.org):
        return True
    return opinion.lead_org is not None and can(actor, OPINIONS_VIEW, opinion.lead_org)


def _check_opinions(actor: Any, source: str, opinions: Iterable[Opinion]) -> list[Opinion]:
    found = {o.pk: o for o in opinions}
    if source == ProblemSource.OPINION and not found:
        raise ApplicationError(_("Name the opinions the problem was raised in."), field="opinions")
    if len(found) > OPINIONS_MAX:
        raise ApplicationError(_("At most %(n)d opinions.") % {"n": OPINIONS_MAX}, field="opinions")
    for o in found.values():
        if not _sees(actor, o):
            raise ApplicationError(
                _("No opinion %(n)s within your scope.") % {"n": o.pk}, field="opinions"
            )
    return list(found.values())


def _check_category(org: Organization, source: str, category: OpinionCategory | None) -> None:
    if category is None:
        if source in REVIEWS:
            raise ApplicationError(
                _("Tag a problem found in a self-review with its checklist item."),
                field="category",
            )
        return
    if category.org_id is not None and not org.path.startswith(category.org_path):
        raise ApplicationError(
            _("The checklist item “%(title)s” is not used at %(org)s.")
            % {"title": category.title, "org": org.name},
            field="category",
        )


@transaction.atomic
def problem_create(
    *,
    actor: User | None,
    org: Organization,
    source: str,
    description: str,
    responsible_person: str,
    category: OpinionCategory | None = None,
    opinions: Iterable[Opinion] = (),
    campaign_id: int | None = None,
) -> Problem:
    """A problem owned by `org`, found or raised there."""
    if actor is not None and not can(actor, RECTIFICATION_MANAGE, org):
        raise Forbidden(_("You may not record problems for %(org)s.") % {"org": org.name})
    if source not in ProblemSource.values:
        raise ApplicationError(_("Unknown source %(value)s.") % {"value": source}, field="source")
    description = _text(description, "description", _("Describe the problem."), MEASURE_MAX)
    person = _text(
        responsible_person, "responsible_person", _("Name the person responsible."), PERSON_MAX
    )
    _check_category(org, source, category)
    linked = _check_opinions(actor, source, opinions)
    if campaign_id is None and linked:
        campaign_id = next((o.campaign_id for o in linked if o.campaign_id), None)
    p = Problem.objects.create(
        org=org,
        org_path=org.path,
        origin_org=org,
        origin_path=org.path,
        campaign_id=campaign_id,
        source=source,
        description=description,
        category=category,
        responsible_person=person,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=timezone.now(),
    )
    if linked:
        p.opinions.add(*linked)
    org_counters.bump(path=org.path, deltas=problem_counts(p))
    audit_record(
        actor=actor,
        action="rectification.problem_create",
        org=org,
        target=p,
        after={**_snapshot(p), "opinions": sorted(o.pk for o in linked)},
    )
    return p


def problem_locked(problem: Problem | int, version: int | None) -> tuple[Problem, dict]:
    pk = problem if isinstance(problem, int) else problem.pk
    p = (
        Problem.objects.select_for_update(of=("self",))
        .select_related("org", "org__parent", "escalated_to")
        .get(pk=pk)
    )
    if version is not None and version != p.version:
        raise ApplicationError(
            _(
                "This problem was changed by someone else while you were looking at it; look "
                "at it again before you act."
            ),
            code="problem_changed",
            field="version",
        )
    return p, {"snapshot": _snapshot(p), "figures": problem_counts(p), "path": p.org_path}


def _save(
    actor: Any, p: Problem, before: dict, action: str, fields: list[str], old_org: Any = None
) -> None:
    p.version += 1
    p.save(update_fields=[*fields, "version"])
    after = problem_counts(p)
    if p.org_path == before["path"]:
        deltas = changes(before["figures"], after)
        if deltas:
            org_counters.bump(path=p.org_path, deltas=deltas)
    else:
        org_counters.bump_many({before["path"]: negated(before["figures"]), p.org_path: after})
    audit_record(
        actor=actor,
        action=action,
        org=old_org or p.org,
        target=p,
        before=before["snapshot"],
        after=_snapshot(p),
    )


@transaction.atomic
def problem_escalate(
    *, actor: User | None, problem: Problem, reason: str, version: int | None = None
) -> Problem:
    """The organization owning the problem says its cause sits above: the parent organization
    is asked to claim it."""
    p, before = problem_locked(problem, version)
    if actor is not None and not can(actor, RECTIFICATION_MANAGE, p.org):
        raise Forbidden(_("You may not escalate the problems of %(org)s.") % {"org": p.org.name})
    if p.status != ProblemStatus.OPEN:
        raise ApplicationError(
            _("The problem is already escalated."), code="problem_state", field="status"
        )
    if p.org.parent is None:
        raise ApplicationError(
            _("%(org)s has no level above to escalate to.") % {"org": p.org.name},
            code="problem_state",
            field="status",
        )
    p.escalation_reason = _text(reason, "reason", _("Say why the cause sits above."), MEASURE_MAX)
    p.status = ProblemStatus.ESCALATED
    p.escalated_to = p.org.parent
    _save(
        actor,
        p,
        before,
        "rectification.problem_escalate",
        ["status", "escalated_to", "escalation_reason"],
    )
    awaiting.problem_escalated(p)
    return p


def _check_upper(actor: Any, p: Problem) -> Organization:
    if p.status != ProblemStatus.ESCALATED or p.escalated_to is None:
        raise ApplicationError(
            _("The problem is not waiting to be claimed."), code="problem_state", field="status"
        )
    upper = p.escalated_to
    if actor is not None and not can(actor, RECTIFICATION_APPROVE, upper):
        raise Forbidden(_("Only %(org)s may claim or decline this problem.") % {"org": upper.name})
    return upper


@transaction.atomic
def problem_claim(
    *,
    actor: User | None,
    problem: Problem,
    responsible_person: str,
    version: int | None = None,
) -> Problem:
    """The level above claims an escalated problem (上级认领): it owns the problem and its open
    fixes from now on; the organization where it was found keeps seeing both (reporting back
    down)."""
    p, before = problem_locked(problem, version)
    upper = _check_upper(actor, p)
    old_org = p.org
    p.responsible_person = _text(
        responsible_person,
        "responsible_person",
        _("Name the person responsible."),
        PERSON_MAX,
    )
    p.org = upper
    p.org_path = upper.path
    p.status = ProblemStatus.OPEN
    p.escalated_to = None
    _save(
        actor,
        p,
        before,
        "rectification.problem_claim",
        ["org", "org_path", "status", "escalated_to", "responsible_person"],
        old_org=old_org,
    )
    for pk in open_fixes(p):
        fix, fix_before = fix_locked(pk)
        fix_move(
            actor=actor,
            fix=fix,
            before=fix_before,
            to=upper,
            kind=FixStepKind.CLAIMED,
            action="rectification.fix_claim",
            note=p.escalation_reason,
        )
    return p


@transaction.atomic
def problem_decline(
    *, actor: User | None, problem: Problem, reason: str, version: int | None = None
) -> Problem:
    """The level above declines an escalated problem: it stays with the organization below."""
    p, before = problem_locked(problem, version)
    _check_upper(actor, p)
    reason = _text(reason, "reason", _("Say why the problem stays below."), MEASURE_MAX)
    p.status = ProblemStatus.OPEN
    p.escalated_to = None
    p.escalation_reason = f"{p.escalation_reason}\n—— {reason}"
    _save(
        actor,
        p,
        before,
        "rectification.problem_decline",
        ["status", "escalated_to", "escalation_reason"],
    )
    return p
