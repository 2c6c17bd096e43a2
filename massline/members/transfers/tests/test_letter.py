"""The introduction letter (介绍信) against a real database: numbered when the sending
committee approves, its number typed by the receiving side (blank, wrong and used numbers
refused, nothing written), and its printed content with the ID number full or masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from massline.access.models import Role
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.members.idnumber import make_id
from massline.members.models import Transfer, TransferStatus
from massline.members.transfers.services import transfer_letter_print, transfer_step
from massline.orgs import counters

from . import test_services
from .test_services import add_member, approve_receiving, approve_sending, request

w = test_services.w  # the same people around a transfer


def test_the_sending_approval_numbers_the_letter(w, settings):
    # given two transfers out of 新城区 (committee code 150102…)
    settings.TRANSFER_LETTER_VALID_DAYS = 45
    other = add_member(w.tree.village_a2, 2, name="其其格")
    first = approve_sending(actor=w.sender, transfer=request(w), note="")
    second = request(w, w.both, member=other)
    # when the second is approved, with the month the dues are paid up to
    second = transfer_step(
        actor=w.sender,
        transfer=second,
        action="approve",
        dues_paid_to=dt.date(2026, 11, 17),
    )
    # then each has its own number of the year and county, in order
    year = timezone.localdate().year
    assert first.letter_no == f"{year}-150102-000001"
    assert second.letter_no == f"{year}-150102-000002"
    second.refresh_from_db()
    assert second.dues_paid_to == dt.date(2026, 11, 1)
    assert (second.letter_issued_on, second.letter_valid_days) == (timezone.localdate(), 45)
    assert AuditEvent.objects.filter(action="members.transfer_send").latest("pk").after[
        "letter_no"
    ] == (second.letter_no)
    # and the database refuses a number twice
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.filter(pk=second.pk).update(letter_no=first.letter_no)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("", "letter_no_missing"), ("wrong", "letter_no_wrong"), ("used", "letter_no_used")],
)
def test_the_receiving_side_must_type_this_letters_number(w, typed, code):
    # given a transfer done earlier (its letter used) and this one waiting for the receiver
    earlier_member = add_member(w.tree.village_a2, 2, name="其其格")
    earlier = approve_sending(actor=w.sender, transfer=request(w, w.both, member=earlier_member))
    earlier = approve_receiving(actor=w.receiver, transfer=earlier)
    t = approve_sending(actor=w.sender, transfer=request(w))
    number = {"": "", "wrong": "2026-150102-999999", "used": earlier.letter_no}[typed]
    audit_before = AuditEvent.objects.count()
    # when the receiving side approves with that number
    with pytest.raises(ApplicationError) as exc:
        approve_receiving(actor=w.receiver, transfer=t, letter_no=number)
    # then a sentence about the letter, and nothing changed
    assert (exc.value.field, exc.value.code) == ("letter_no", code)
    assert "介绍信" in exc.value.message or "已用过" in exc.value.message
    t.refresh_from_db()
    w.member.refresh_from_db()
    assert t.status == TransferStatus.AWAITING_RECEIVER
    assert w.member.org == w.tree.village_a1
    assert AuditEvent.objects.count() == audit_before
    assert counters.rebuild(check_only=True) == []


def test_the_letter_number_is_accepted_as_people_type_it(w):
    # given a transfer waiting for the receiving side
    t = approve_sending(actor=w.sender, transfer=request(w))
    assert t.letter_no is not None
    # when the number is typed in full-width digits, without the dashes
    typed = t.letter_no.replace("-", "").translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    # then it is the letter's number
    assert approve_receiving(actor=w.receiver, transfer=t, letter_no=typed).status == "done"


def test_the_letter_shows_the_full_id_number_only_to_whom_may_see_it(w, make_user, roles):
    # given a numbered letter, and a clerk of the committee who may transfer members but not
    # see full ID numbers
    t = approve_sending(actor=w.sender, transfer=request(w))
    roles["clerk"] = Role.objects.create(
        code="clerk", name="转接专员", permissions=["orgs.view", "members.view", "members.transfer"]
    )
    clerk = make_user("clerk", w.tree.town_a1)
    # when the sending side prints it
    full = transfer_letter_print(actor=w.sender, transfer=t)
    # then the county's administrator sees the full number, audited
    assert full.id_number == make_id("150102", dt.date(1980, 5, 17), 1)
    assert full.number == t.letter_no and full.issuer == "中共保合少镇委员会"
    assert full.to_org == w.tree.branch_b1.name and full.full_member
    audit = AuditEvent.objects.get(action="members.transfer_letter")
    assert audit.after == {"letter_no": t.letter_no, "full_id_number": True}
    # and the receiving side may not print it (it types the number from the paper)
    with pytest.raises(Forbidden):
        transfer_letter_print(actor=w.receiver, transfer=t)
    # and the clerk's letter has the masked number
    assert transfer_letter_print(actor=clerk, transfer=t).id_number == w.member.id_masked
    assert AuditEvent.objects.filter(action="members.transfer_letter").latest("pk").after == {
        "letter_no": t.letter_no,
        "full_id_number": False,
    }
