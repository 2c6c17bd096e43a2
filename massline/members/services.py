"""Writes to the member roster. Each checks its rules, keeps the member's history, writes an
audit row and moves the counters, in one transaction. ID numbers and phones are stored
encrypted; only their masked forms reach history, audit and errors."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import MEMBERS_VIEW_SENSITIVE
from massline.access.policy import can
from massline.core import crypto
from massline.core.audit import audit_record
from massline.core.collation import name_sort_key
from massline.core.errors import ApplicationError, Forbidden, clean_or_raise
from massline.core.normalize import fold_for_search
from massline.orgs import counters as org_counters
from massline.orgs import placement
from massline.orgs.metrics import difference
from massline.orgs.models import Organization
from massline.orgs.placement import Move

from . import counters
from .idnumber import InvalidNumber, mask_id, mask_phone, validate_id, validate_phone
from .models import Member, MemberEvent, MemberEventKind, MemberStatus, Mobility
from .rules import MEMBER_ORG_KINDS, adult_on

if TYPE_CHECKING:
    from massline.accounts.models import User


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


def check_member_org(org: Organization, *, field: str = "org") -> None:
    if org.kind not in MEMBER_ORG_KINDS:
        raise ApplicationError(
            _("Members belong to a branch or a general branch, not to %(org)s.")
            % {"org": org.name},
            field=field,
        )


@transaction.atomic
def member_create(
    *,
    actor: User | None,
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
    check_member_org(org)
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
        name_key=name_sort_key(name),
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


def member_locked(member: Member) -> tuple[Member, dict[str, Any]]:
    """The member's row, locked for the change, and its state before it."""
    locked = (
        Member.objects.select_for_update(of=("self",))
        .select_related("org", "attached_org")
        .get(pk=member.pk)
    )
    return locked, {
        "snapshot": _snapshot(locked),
        "flags": _flags(locked),
        "path": locked.org_path,
        "place": counters.place(locked),
    }


def member_change_save(
    *,
    actor: User | None,
    member: Member,
    before: dict[str, Any],
    action: str,
    kind: str,
    on: dt.date,
    fields: list[str],
    detail: dict[str, Any],
) -> Member:
    """Save a change made to a locked `member`, with its history, audit row and counters (when
    the member moved to another organization, their figures leave the old one for the new)."""
    clean_or_raise(member)
    member.save(update_fields=[*fields, "updated_at"])
    MemberEvent.objects.create(
        member=member,
        kind=kind,
        on=on,
        detail=detail,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    after = _flags(member)
    if member.org_path == before["path"]:
        changes = {member.org_path: difference(before["flags"], after)}
    else:
        changes = {before["path"]: difference(before["flags"], {}), member.org_path: after}
    place = counters.place(member)
    for path, deltas in counters.elsewhere_changes(
        before["place"], place, (before["path"], member.org_path)
    ).items():
        for code, n in deltas.items():
            changes.setdefault(path, {})
            changes[path][code] = changes[path].get(code, 0) + n
    org_counters.bump_many(changes)
    placement.announce([Move(member.pk, before["place"][0], place[0], place[1])])
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
def member_make_full(*, actor: User | None, member: Member, on: dt.date) -> Member:
    """A probationary member becomes a full member (转正)."""
    member, before = member_locked(member)
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
    return member_change_save(
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
    actor: User | None,
    member: Member,
    mobility: str,
    since: dt.date | None = None,
    place: str = "",
    contact: str = "",
    attached_org: Organization | None = None,
) -> Member:
    """Outflow (lives elsewhere), inflow (from elsewhere, attached to a local organization
    where they take part), or back to none ("")."""
    member, before = member_locked(member)
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
        check_member_org(attached_org, field="attached_org")
    member.mobility = mobility
    member.mobility_since = since if mobility else None
    member.mobility_place = place.strip() if mobility else ""
    member.mobility_contact = contact.strip() if mobility else ""
    member.attached_org = attached_org if mobility == Mobility.INFLOW else None
    return member_change_save(
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
def member_mark_lost(
    *, actor: User | None, member: Member, since: dt.date, notes: str = ""
) -> Member:
    member, before = member_locked(member)
    if member.lost_contact:
        raise ApplicationError(
            _("%(name)s is already marked as lost contact.") % {"name": member.name},
            field="lost_contact",
        )
    member.lost_contact = True
    member.lost_since = since
    member.lost_notes = notes.strip()
    member.found_on = None
    return member_change_save(
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
def member_mark_found(
    *, actor: User | None, member: Member, on: dt.date, notes: str = ""
) -> Member:
    member, before = member_locked(member)
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
    return member_change_save(
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
def member_set_tracing_notes(*, actor: User | None, member: Member, notes: str) -> Member:
    """Rewrite the tracing notes of a member still lost contact (who was asked, what was
    tried): the search goes on, so the notes change while the status does not."""
    member, before = member_locked(member)
    if not member.lost_contact:
        raise ApplicationError(
            _("%(name)s is not marked as lost contact.") % {"name": member.name},
            field="lost_contact",
        )
    member.lost_notes = notes.strip()
    return member_change_save(
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
def member_reveal(*, actor: User | None, member: Member) -> tuple[str, str]:
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
