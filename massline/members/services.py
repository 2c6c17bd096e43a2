"""Writes to the member roster. Each checks its rules, keeps the member's history, writes an
audit row and moves the counters, in one transaction. ID numbers and phones are stored
encrypted; only their masked forms reach history, audit and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import MEMBERS_VIEW_SENSITIVE
from massline.access.policy import can, can_act_on_transfer, can_request_transfer
from massline.core import crypto
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden, clean_or_raise
from massline.core.normalize import fold_for_search
from massline.orgs import counters as org_counters
from massline.orgs.metrics import difference
from massline.orgs.models import Organization

from . import counters
from .idnumber import InvalidNumber, mask_id, mask_phone, validate_id, validate_phone
from .models import (
    OPEN_TRANSFER_STATUSES,
    Member,
    MemberEvent,
    MemberEventKind,
    MemberStatus,
    Mobility,
    Transfer,
    TransferStatus,
    TransferStep,
    TransferStepKind,
)
from .rules import MEMBER_ORG_KINDS, adult_on


def _snapshot(m: Member) -> dict[str, Any]:
    return {
        "name": m.name,
        "org": m.org_id,
        "id_number": m.id_masked,
        "phone": m.phone_masked,
        "status": m.status,
        "full_date": m.full_date.isoformat() if m.full_date else None,
        "mobility": m.mobility,
        "lost_contact": m.lost_contact,
    }


def _flags(m: Member) -> dict[str, int]:
    return counters.counts(m)


def _check_org(org: Organization, *, field: str = "org") -> None:
    if org.kind not in MEMBER_ORG_KINDS:
        raise ApplicationError(
            _("Members belong to a branch or a general branch, not to %(org)s.")
            % {"org": org.name},
            field=field,
        )


@transaction.atomic
def member_create(
    *,
    actor: Any,
    org: Organization,
    name: str,
    gender: str,
    ethnicity: str,
    id_number: str,
    join_date: dt.date,
    status: str,
    category: str,
    birth_date: dt.date | None = None,
    full_date: dt.date | None = None,
    phone: str = "",
    education: str = "",
    party_group: str = "",
    position: str = "",
) -> Member:
    _check_org(org)
    try:
        info = validate_id(id_number)
    except InvalidNumber as exc:
        raise ApplicationError(str(exc), field="id_number", code=exc.code) from None
    if birth_date is not None and birth_date != info.birth_date:
        raise ApplicationError(
            _("The birth date does not agree with the one inside the ID number."),
            field="birth_date",
        )
    if gender and gender != info.gender:
        raise ApplicationError(_("The gender does not agree with the ID number."), field="gender")
    id_hash = crypto.lookup_hash(info.number)
    if Member.objects.filter(id_number_hash=id_hash).exists():
        raise ApplicationError(
            _("A member with the ID number %(masked)s is already in the roster.")
            % {"masked": mask_id(info.number)},
            field="id_number",
            code="duplicate_id",
        )
    if not adult_on(info.birth_date, join_date):
        raise ApplicationError(
            _("The join date is before the member's 18th birthday."), field="join_date"
        )
    if full_date is not None and full_date < join_date:
        raise ApplicationError(
            _("The full-membership date is before the join date."), field="full_date"
        )
    if status == MemberStatus.PROBATIONARY and full_date is not None:
        raise ApplicationError(
            _("A probationary member has no full-membership date yet."), field="full_date"
        )
    clean_phone = ""
    if phone.strip():
        try:
            clean_phone = validate_phone(phone)
        except InvalidNumber as exc:
            raise ApplicationError(str(exc), field="phone", code=exc.code) from None
    member = Member(
        org=org,
        org_path=org.path,
        name=name.strip(),
        name_folded=fold_for_search(name),
        gender=info.gender,
        ethnicity=ethnicity,
        birth_date=info.birth_date,
        id_number_enc=crypto.encrypt(info.number),
        id_number_hash=id_hash,
        id_masked=mask_id(info.number),
        id_tail=info.number[-4:],
        phone_enc=crypto.encrypt(clean_phone) if clean_phone else "",
        phone_hash=crypto.lookup_hash(clean_phone) if clean_phone else "",
        phone_masked=mask_phone(clean_phone) if clean_phone else "",
        education=education,
        category=category,
        join_date=join_date,
        full_date=full_date,
        status=status,
        party_group=party_group.strip(),
        position=position,
    )
    clean_or_raise(member)
    member.save()
    MemberEvent.objects.create(
        member=member,
        kind=MemberEventKind.JOINED_ROSTER,
        on=timezone.localdate(),
        actor=actor if getattr(actor, "pk", None) else None,
        detail={"org": org.code},
    )
    org_counters.bump(path=org.path, deltas=_flags(member))
    audit_record(
        actor=actor, action="members.create", org=org, target=member, after=_snapshot(member)
    )
    return member


def _locked(member: Member) -> tuple[Member, dict[str, Any]]:
    """The member's row, locked for the change, and its state before it."""
    locked = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    return locked, {"snapshot": _snapshot(locked), "flags": _flags(locked)}


def _change(
    *,
    actor: Any,
    member: Member,
    before: dict[str, Any],
    action: str,
    kind: str,
    on: dt.date,
    fields: list[str],
    detail: dict[str, Any],
) -> Member:
    """Save a change made to a locked `member`, with its history, audit row and counters."""
    clean_or_raise(member)
    member.save(update_fields=[*fields, "updated_at"])
    MemberEvent.objects.create(
        member=member,
        kind=kind,
        on=on,
        detail=detail,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    org_counters.bump(path=member.org_path, deltas=difference(before["flags"], _flags(member)))
    audit_record(
        actor=actor,
        action=action,
        org=member.org,
        target=member,
        before=before["snapshot"],
        after=_snapshot(member),
    )
    return member


@transaction.atomic
def member_make_full(*, actor: Any, member: Member, on: dt.date) -> Member:
    """A probationary member becomes a full member (转正)."""
    member, before = _locked(member)
    if member.status != MemberStatus.PROBATIONARY:
        raise ApplicationError(
            _("%(name)s is already a full member.") % {"name": member.name}, field="status"
        )
    if on < member.join_date:
        raise ApplicationError(
            _("The full-membership date is before the join date."), field="full_date"
        )
    member.status = MemberStatus.FULL
    member.full_date = on
    return _change(
        actor=actor,
        member=member,
        before=before,
        action="members.status",
        kind=MemberEventKind.STATUS,
        on=on,
        fields=["status", "full_date"],
        detail={"status": "full"},
    )


@transaction.atomic
def member_set_mobility(
    *,
    actor: Any,
    member: Member,
    mobility: str,
    since: dt.date | None = None,
    place: str = "",
    contact: str = "",
    attached_org: Organization | None = None,
) -> Member:
    """Outflow (lives elsewhere), inflow (from elsewhere, attached to a local organization
    where they take part), or back to none ("")."""
    member, before = _locked(member)
    if mobility not in ("", *Mobility.values):
        raise ApplicationError(
            _("Unknown mobility %(value)s.") % {"value": mobility}, field="mobility"
        )
    if mobility and since is None:
        raise ApplicationError(_("Say since when."), field="since")
    if mobility == Mobility.OUTFLOW and not place.strip():
        raise ApplicationError(_("Say where the member lives now."), field="place")
    if mobility == Mobility.INFLOW:
        if attached_org is None:
            raise ApplicationError(
                _("An inflow member takes part at a local organization: choose it."),
                field="attached_org",
            )
        _check_org(attached_org, field="attached_org")
    member.mobility = mobility
    member.mobility_since = since if mobility else None
    member.mobility_place = place.strip() if mobility else ""
    member.mobility_contact = contact.strip() if mobility else ""
    member.attached_org = attached_org if mobility == Mobility.INFLOW else None
    return _change(
        actor=actor,
        member=member,
        before=before,
        action="members.mobility",
        kind=MemberEventKind.MOBILITY,
        on=since or timezone.localdate(),
        fields=["mobility", "mobility_since", "mobility_place", "mobility_contact", "attached_org"],
        detail={"mobility": mobility, "place": member.mobility_place},
    )


@transaction.atomic
def member_mark_lost(*, actor: Any, member: Member, since: dt.date, notes: str = "") -> Member:
    member, before = _locked(member)
    if member.lost_contact:
        raise ApplicationError(
            _("%(name)s is already marked as lost contact.") % {"name": member.name},
            field="lost_contact",
        )
    member.lost_contact = True
    member.lost_since = since
    member.lost_notes = notes.strip()
    member.found_on = None
    return _change(
        actor=actor,
        member=member,
        before=before,
        action="members.lost",
        kind=MemberEventKind.LOST,
        on=since,
        fields=["lost_contact", "lost_since", "lost_notes", "found_on"],
        detail={},
    )


@transaction.atomic
def member_mark_found(*, actor: Any, member: Member, on: dt.date, notes: str = "") -> Member:
    member, before = _locked(member)
    if not member.lost_contact:
        raise ApplicationError(
            _("%(name)s is not marked as lost contact.") % {"name": member.name},
            field="lost_contact",
        )
    if member.lost_since and on < member.lost_since:
        raise ApplicationError(
            _("The date found is before the date contact was lost."), field="found_on"
        )
    member.lost_contact = False
    member.found_on = on
    if notes.strip():
        member.lost_notes = (member.lost_notes + "\n" + notes.strip()).strip()
    return _change(
        actor=actor,
        member=member,
        before=before,
        action="members.found",
        kind=MemberEventKind.FOUND,
        on=on,
        fields=["lost_contact", "found_on", "lost_notes"],
        detail={},
    )


@transaction.atomic
def member_set_tracing_notes(*, actor: Any, member: Member, notes: str) -> Member:
    """Rewrite the tracing notes of a member still lost contact (who was asked, what was
    tried): the search goes on, so the notes change while the status does not."""
    member, before = _locked(member)
    if not member.lost_contact:
        raise ApplicationError(
            _("%(name)s is not marked as lost contact.") % {"name": member.name},
            field="lost_contact",
        )
    member.lost_notes = notes.strip()
    return _change(
        actor=actor,
        member=member,
        before=before,
        action="members.tracing",
        kind=MemberEventKind.UPDATED,
        on=timezone.localdate(),
        fields=["lost_notes"],
        detail={"fields": ["lost_notes"]},
    )


@transaction.atomic
def member_reveal(*, actor: Any, member: Member) -> tuple[str, str]:
    """A member's full ID and phone numbers (the phone "" when none), for a user whose role
    may see them at the member's organization. Every reveal is audited; the row names the
    fields shown, never the numbers."""
    if not can(actor, MEMBERS_VIEW_SENSITIVE, member.org):
        raise Forbidden(_("You may not see the full ID and phone numbers of this member."))
    audit_record(
        actor=actor,
        action="members.reveal",
        org=member.org,
        target=member,
        after={"fields": ["id_number", "phone"]},
    )
    number = crypto.decrypt(member.id_number_enc)
    phone = crypto.decrypt(member.phone_enc) if member.phone_enc else ""
    return number, phone


# Member transfers (组织关系转接): request → the sending side approves → the receiving side
# approves → done (the member, their history and the counters move in that transaction).
# Withdrawn or sent back on the way. Who may act: access.policy (decision 0006).


def _is_user(actor: Any) -> bool:
    return getattr(actor, "pk", None) is not None


def _transfer_snapshot(t: Transfer) -> dict[str, Any]:
    return {
        "transfer": t.pk,
        "member": t.member_id,
        "from_org": t.from_org.code,
        "to_org": t.to_org.code,
        "status": t.status,
    }


def _check_transferable(member: Member) -> None:
    if member.lost_contact:
        raise ApplicationError(
            _("%(name)s is marked as lost contact: find the member again before transferring them.")
            % {"name": member.name},
            field="member",
            code="lost_contact",
        )


def _state_error(t: Transfer, expected: str) -> ApplicationError:
    """The refusal for a step that does not fit the transfer's present state."""
    messages = {
        TransferStatus.DONE: _("This transfer is already done."),
        TransferStatus.WITHDRAWN: _("This transfer was withdrawn."),
        TransferStatus.SENT_BACK: _("This transfer was sent back."),
    }
    if t.status in messages:
        message = messages[TransferStatus(t.status)]
    elif expected == TransferStatus.AWAITING_SENDER:
        message = _("The sending side has already approved this transfer.")
    else:
        message = _("The sending side has not approved this transfer yet.")
    return ApplicationError(message, code="transfer_state", field="status")


def _forbidden() -> Forbidden:
    return Forbidden(_("You may not take this step on this transfer."))


def _locked_transfer(transfer: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member", "from_org", "to_org")
        .get(pk=transfer.pk)
    )


def _step(
    *, t: Transfer, was: str, kind: str, actor: Any, note: str, action: str, org: Organization
) -> Transfer:
    """Save the transfer's new state with its history step and audit row."""
    now = timezone.now()
    t.last_step_at = now
    if not t.is_open:
        t.closed_at = now
    t.save(update_fields=["status", "last_step_at", "closed_at"])
    TransferStep.objects.create(
        transfer=t, kind=kind, actor=actor if _is_user(actor) else None, at=now, note=note
    )
    audit_record(
        actor=actor,
        action=action,
        org=org,
        target=t,
        before={"status": was},
        after={**_transfer_snapshot(t), "note": note[:500]},
    )
    return t


def _begin(transfer: Transfer, expected: str) -> Transfer:
    t = _locked_transfer(transfer)
    if t.status != expected:
        raise _state_error(t, expected)
    return t


@transaction.atomic
def transfer_request(
    *,
    actor: Any,
    member: Member,
    to_org: Organization,
    reason: str,
    on: dt.date | None = None,
) -> Transfer:
    """Ask to move a member from their branch to `to_org`. Either side may ask."""
    member = Member.objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    to_org = Organization.objects.get(pk=to_org.pk)
    reason = reason.strip()
    today = timezone.localdate()
    on = on or today
    if not reason:
        raise ApplicationError(_("Give the reason for the transfer."), field="reason")
    _check_org(to_org, field="to_org")
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
    if _is_user(actor) and not can_request_transfer(actor, member.org, to_org):
        raise _forbidden()
    now = timezone.now()
    t = Transfer(
        member=member,
        from_org=member.org,
        from_path=member.org.path,
        to_org=to_org,
        to_path=to_org.path,
        status=TransferStatus.AWAITING_SENDER,
        reason=reason,
        requested_on=on,
        requested_by=actor if _is_user(actor) else None,
        last_step_at=now,
    )
    clean_or_raise(t)
    t.save()
    TransferStep.objects.create(
        transfer=t,
        kind=TransferStepKind.REQUESTED,
        actor=actor if _is_user(actor) else None,
        at=now,
        note=reason,
    )
    audit_record(
        actor=actor,
        action="members.transfer_request",
        org=member.org,
        target=t,
        after={**_transfer_snapshot(t), "note": reason[:500]},
    )
    return t


@transaction.atomic
def transfer_approve_sending(*, actor: Any, transfer: Transfer, note: str = "") -> Transfer:
    """The sending side lets the member go; the receiving side's turn."""
    t = _begin(transfer, TransferStatus.AWAITING_SENDER)
    if _is_user(actor) and not can_act_on_transfer(actor, t, "approve"):
        raise _forbidden()
    _check_transferable(t.member)
    t.status = TransferStatus.AWAITING_RECEIVER
    return _step(
        t=t,
        was=TransferStatus.AWAITING_SENDER,
        kind=TransferStepKind.SENDER_APPROVED,
        actor=actor,
        note=note.strip(),
        action="members.transfer_send",
        org=t.from_org,
    )


@transaction.atomic
def transfer_approve_receiving(*, actor: Any, transfer: Transfer, note: str = "") -> Transfer:
    """The receiving side takes the member in: in this transaction the member moves to the
    receiving organization, the counters move with them, and their history says so."""
    t = _begin(transfer, TransferStatus.AWAITING_RECEIVER)
    if _is_user(actor) and not can_act_on_transfer(actor, t, "approve"):
        raise _forbidden()
    member, before = _locked(t.member)
    to_org = t.to_org
    _check_org(to_org, field="to_org")
    _check_transferable(member)
    if member.org_id != t.from_org_id:
        raise ApplicationError(
            _("%(name)s is no longer at %(org)s: send this transfer back or withdraw it.")
            % {"name": member.name, "org": t.from_org.name},
            field="member",
            code="moved_meanwhile",
        )
    old_path = member.org_path
    member.org = to_org
    member.org_path = to_org.path
    member.save(update_fields=["org", "org_path", "updated_at"])
    moved = _flags(member)
    org_counters.bump_many(
        {old_path: {k: -v for k, v in before["flags"].items()}, member.org_path: moved}
    )
    today = timezone.localdate()
    MemberEvent.objects.create(
        member=member,
        kind=MemberEventKind.TRANSFERRED,
        on=today,
        actor=actor if _is_user(actor) else None,
        detail={"from": t.from_org.code, "to": to_org.code, "transfer": t.pk},
    )
    t.status = TransferStatus.DONE
    audit_record(
        actor=actor,
        action="members.transfer_move",
        org=to_org,
        target=member,
        before=before["snapshot"],
        after=_snapshot(member),
    )
    return _step(
        t=t,
        was=TransferStatus.AWAITING_RECEIVER,
        kind=TransferStepKind.RECEIVER_APPROVED,
        actor=actor,
        note=note.strip(),
        action="members.transfer_receive",
        org=to_org,
    )


@transaction.atomic
def transfer_withdraw(*, actor: Any, transfer: Transfer, reason: str = "") -> Transfer:
    """The requester or the sending side calls the transfer off while it is under way."""
    t = _locked_transfer(transfer)
    was = t.status
    if not t.is_open:
        raise _state_error(t, t.status)
    if _is_user(actor) and not can_act_on_transfer(actor, t, "withdraw"):
        raise _forbidden()
    t.status = TransferStatus.WITHDRAWN
    return _step(
        t=t,
        was=was,
        kind=TransferStepKind.WITHDRAWN,
        actor=actor,
        note=reason.strip(),
        action="members.transfer_withdraw",
        org=t.from_org,
    )


@transaction.atomic
def transfer_send_back(*, actor: Any, transfer: Transfer, reason: str) -> Transfer:
    """The side whose turn it is refuses the transfer, saying why. It is closed; a corrected
    request starts afresh."""
    t = _locked_transfer(transfer)
    was = t.status
    if not t.is_open:
        raise _state_error(t, t.status)
    if _is_user(actor) and not can_act_on_transfer(actor, t, "send_back"):
        raise _forbidden()
    if not reason.strip():
        raise ApplicationError(_("Say why the transfer is sent back."), field="reason")
    side_org = t.from_org if t.status == TransferStatus.AWAITING_SENDER else t.to_org
    t.status = TransferStatus.SENT_BACK
    return _step(
        t=t,
        was=was,
        kind=TransferStepKind.SENT_BACK,
        actor=actor,
        note=reason.strip(),
        action="members.transfer_send_back",
        org=side_org,
    )
