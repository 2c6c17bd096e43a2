"""Writes of member transfers (组织关系转接, decision 0006): `transfer_request` starts one,
`transfer_step` takes any step the workflow map (`workflow.TRANSITIONS`) allows. Each writes
its history step and audit row in one transaction; the final approval moves the member, their
history and the counters in that same transaction."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import MEMBERS_TRANSFER, MEMBERS_VIEW_SENSITIVE
from massline.access.policy import can, sides_of
from massline.core import crypto
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden, clean_or_raise
from massline.core.outcome import Outcome
from massline.orgs import counters
from massline.orgs.models import Organization

from ..models import (
    OPEN_TRANSFER_STATUSES,
    Member,
    MemberEventKind,
    Transfer,
    TransferStatus,
    TransferStep,
)
from ..services import check_member_org, member_change_save, member_locked
from . import counters as transfer_counters
from . import workflow
from .letter import LetterContent, letter_check, letter_content, letter_issue
from .selectors import overdue_q

if TYPE_CHECKING:
    from massline.accounts.models import User


def _snapshot(t: Transfer) -> dict[str, Any]:
    return {
        "transfer": t.pk,
        "member": t.member_id,
        "from_org": t.from_org.code,
        "to_org": t.to_org.code,
        "status": t.status,
        "letter_no": t.letter_no,
    }


def _check_transferable(member: Member) -> None:
    if member.lost_contact:
        raise ApplicationError(
            _("%(name)s is marked as lost contact: find the member again before transferring them.")
            % {"name": member.name},
            field="member",
            code="lost_contact",
        )


def _forbidden(message: str | None = None) -> Forbidden:
    return Forbidden(message or _("You may not take this step on this transfer."))


def _history(
    *,
    t: Transfer,
    actor: User | None,
    kind: str,
    at: dt.datetime,
    note: str,
    action: str,
    org: Organization,
    before: dict[str, Any] | None,
) -> None:
    """The transfer's history step and its audit row."""
    TransferStep.objects.create(transfer=t, kind=kind, actor=actor, at=at, note=note)
    audit_record(
        actor=actor,
        action=action,
        org=org,
        target=t,
        before=before,
        after={**_snapshot(t), "note": note[:500]},
    )


@transaction.atomic
def transfer_request(
    *,
    actor: User | None,
    member: Member,
    to_org: Organization,
    reason: str,
    on: dt.date | None = None,
) -> Transfer:
    """Ask to move a member from their branch to `to_org`. Either side may ask; the sending
    side's turn first. `actor` None: the system (no permission check)."""
    member = Member.objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    to_org = Organization.objects.get(pk=to_org.pk)
    reason = reason.strip()
    today = timezone.localdate()
    on = on or today
    if not reason:
        raise ApplicationError(_("Give the reason for the transfer."), field="reason")
    check_member_org(to_org, field="to_org")
    if to_org.pk == member.org_id:
        raise ApplicationError(
            _("%(name)s already belongs to %(org)s.") % {"name": member.name, "org": to_org.name},
            field="to_org",
            code="same_org",
        )
    if on > today:
        raise ApplicationError(_("The request date is in the future."), field="on")
    _check_transferable(member)
    if Transfer.objects.filter(member=member, status__in=OPEN_TRANSFER_STATUSES).exists():
        raise ApplicationError(
            _("%(name)s already has a transfer under way: finish or withdraw it first.")
            % {"name": member.name},
            field="member",
            code="transfer_open",
        )
    if actor is not None and not workflow.may_request(actor, member.org, to_org):
        raise _forbidden()
    now = timezone.now()
    committee = workflow.committee_of(member.org)
    t = Transfer(
        member=member,
        from_org=member.org,
        from_path=member.org.path,
        from_committee=committee,
        from_committee_path=committee.path,
        to_org=to_org,
        to_path=to_org.path,
        status=workflow.REQUEST_STATE,
        reason=reason,
        requested_on=on,
        requested_by=actor,
        last_step_at=now,
    )
    clean_or_raise(t)
    t.save()
    transfer_counters.bump_change(
        from_path=t.from_path,
        to_path=t.to_path,
        before={"from": {}, "to": {}},
        after=transfer_counters.figures(t),
    )
    _history(
        t=t,
        actor=actor,
        kind=workflow.REQUEST_STEP_KIND,
        at=now,
        note=reason,
        action=workflow.REQUEST_AUDIT_ACTION,
        org=member.org,
        before=None,
    )
    return t


@transaction.atomic
def transfer_step(
    *,
    actor: User | None,
    transfer: Transfer,
    action: str,
    note: str = "",
    seen: str | None = None,
    letter_no: str = "",
    dues_paid_to: dt.date | None = None,
) -> Transfer:
    """Take the step `action` ("approve", "send_back", "withdraw") on the transfer, as the
    workflow map says for its present state. `seen`: the state the caller last saw; when the
    transfer has moved on since, the step is refused (a stale page does not approve the next
    side by accident). The sending committee's approval numbers the introduction letter
    (`dues_paid_to`: the month the member's dues are paid up to, printed on it); the receiving
    side's needs that number (`letter_no`). `actor` None: the system (no permission check)."""
    t = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member", "from_org", "to_org", "from_committee")
        .get(pk=transfer.pk)
    )
    step = workflow.transition(t, action, seen=seen)
    if actor is not None and step.action not in workflow.actions_for(actor, t):
        raise _forbidden(workflow.refusal(actor, t, step.action))
    note = note.strip()
    if step.note_required and not note:
        raise ApplicationError(_("Say why the transfer is sent back."), field="reason")
    if step.asks_letter_no:
        letter_check(t, letter_no)
    if step.target == TransferStatus.DONE:
        _move_member(actor=actor, t=t)
    elif step.checks_member:
        _check_transferable(t.member)
    was = t.status
    figures_before = transfer_counters.figures(t)
    now = timezone.now()
    t.status = step.target
    t.last_step_at = now
    t.flagged_overdue = False  # a step restarts the wait
    t.done_this_year = step.target == TransferStatus.DONE
    if not t.is_open:
        t.closed_at = now
    t.save(
        update_fields=["status", "last_step_at", "closed_at", "flagged_overdue", "done_this_year"]
    )
    transfer_counters.bump_change(
        from_path=t.from_path,
        to_path=t.to_path,
        before=figures_before,
        after=transfer_counters.figures(t),
    )
    if step.issues_letter:
        letter_issue(t, on=timezone.localdate(), dues_paid_to=dues_paid_to)
    _history(
        t=t,
        actor=actor,
        kind=step.step_kind,
        at=now,
        note=note,
        action=step.audit_action,
        org=workflow.side_org(t, step.side),
        before={"status": was},
    )
    return t


def _move_member(*, actor: User | None, t: Transfer) -> None:
    """The member moves to the receiving organization, with their history, an audit row and
    the counters. Re-checked under the member's lock: the receiving organization still holds
    members, the member is still transferable and still at the sending organization."""
    member, before = member_locked(t.member)
    check_member_org(t.to_org, field="to_org")
    _check_transferable(member)
    if member.org_id != t.from_org_id:
        raise ApplicationError(
            _("%(name)s is no longer at %(org)s: send this transfer back or withdraw it.")
            % {"name": member.name, "org": t.from_org.name},
            field="member",
            code="moved_meanwhile",
        )
    member.org = t.to_org
    member.org_path = t.to_org.path
    t.member = member_change_save(
        actor=actor,
        member=member,
        before=before,
        action="members.transfer_move",
        kind=MemberEventKind.TRANSFERRED,
        on=timezone.localdate(),
        fields=["org", "org_path"],
        detail={"from": t.from_org.code, "to": t.to_org.code, "transfer": t.pk},
    )


def letter_printable(user: User, t: Transfer) -> bool:
    """The sending side (its branch or committee) prints the letter once it is numbered; the
    receiving side does not see the number: it types it from the letter the member brings."""
    sides = sides_of(user, MEMBERS_TRANSFER, t)
    return bool(t.letter_no) and bool(sides & {workflow.SENDING, workflow.SENDING_COMMITTEE})


@transaction.atomic
def transfer_letter_print(*, actor: User, transfer: Transfer) -> LetterContent:
    """The introduction letter's content for printing, by the sending side. The full ID number
    only for a user who may see it at the member's organization (else masked); a letter with
    the full number is a reveal, audited like one."""
    t = Transfer.objects.select_related("member__org", "from_org", "to_org", "from_committee").get(
        pk=transfer.pk
    )
    if not letter_printable(actor, t):
        raise _forbidden(_("Only the sending side prints the introduction letter, once approved."))
    full = can(actor, MEMBERS_VIEW_SENSITIVE, t.member.org)
    audit_record(
        actor=actor,
        action="members.transfer_letter",
        org=workflow.side_org(t, workflow.SENDING_COMMITTEE),
        target=t,
        after={"letter_no": t.letter_no, "full_id_number": full},
    )
    number = crypto.decrypt(t.member.id_number_enc) if full else t.member.id_masked
    return letter_content(t, id_number=number)


_SWEPT = ("pk", "from_path", "to_path", "status", "flagged_overdue", "done_this_year")


@transaction.atomic
def transfers_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Move the clock-bound flags the counters count: open transfers waiting longer than
    settings.TRANSFER_OVERDUE_DAYS become overdue (and stop being overdue when the setting
    grows); transfers done before this year stop counting as this year's. Counters change in
    the same transaction. Safe to run again; returns how many rows changed, by flag."""
    now = now or timezone.now()
    year_start = dt.datetime(
        timezone.localtime(now).year, 1, 1, tzinfo=timezone.get_current_timezone()
    )
    due = overdue_q(now)
    groups = {
        "overdue": (Q(flagged_overdue=False) & due, {"flagged_overdue": True}),
        "not_overdue": (Q(flagged_overdue=True) & ~due, {"flagged_overdue": False}),
        "last_year": (Q(done_this_year=True, closed_at__lt=year_start), {"done_this_year": False}),
    }
    changed: dict[str, int] = {}
    for name, (where, flags) in groups.items():
        rows = list(
            Transfer.objects.select_for_update().filter(where).order_by("pk").values(*_SWEPT)
        )
        changed[name] = len(rows)
        if not rows:
            continue
        counters.bump_many(
            transfer_counters.changes(
                [
                    (
                        r["from_path"],
                        r["to_path"],
                        transfer_counters.figures(r),
                        transfer_counters.figures({**r, **flags}),
                    )
                    for r in rows
                ]
            )
        )
        Transfer.objects.filter(pk__in=[r["pk"] for r in rows]).update(**flags)
    return changed


def transfers_sweep_task() -> Outcome:
    """The daily run of the sweep (core.schedule)."""
    changed = transfers_sweep()
    return Outcome(
        message=_("%(n)d transfers' flags changed.") % {"n": sum(changed.values())},
        details=changed,
    )
