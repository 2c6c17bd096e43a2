"""The introduction letter (党员组织关系介绍信) a transfer carries: its number, issued when the
sending side's committee approves, and the receiving side's check of the number it types from
the letter the member brought (decision 0006's amendment).

A number reads `YYYY-CCCCCC-NNNNNN`: the year it was issued, the first six characters of the
issuing committee's code (its county-level division for the codes the tree uses) and a
sequence within that year and prefix. The database keeps numbers unique
(`transfer_letter_no_unique`); two committees of one county issuing at the same moment retry."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.core.normalize import to_halfwidth
from massline.core.reference import ethnicity_name

from ..models import MemberStatus, Transfer

SEQUENCE_WIDTH = 6
_ATTEMPTS = 5
_NOT_KEY = re.compile(r"[^0-9A-Z]")


def letter_prefix(committee_code: str, on: dt.date) -> str:
    """The part of a number shared by one committee's county and year: `2026-150102-`."""
    county = _NOT_KEY.sub("", committee_code.upper())[:6] or "000000"
    return f"{on.year:04d}-{county}-"


def _next_number(prefix: str) -> str:
    last = (
        Transfer.objects.filter(letter_no__startswith=prefix)
        .order_by("-letter_no")
        .values_list("letter_no", flat=True)
        .first()
    )
    tail = last[len(prefix) :] if last else ""
    return f"{prefix}{(int(tail) if tail.isdigit() else 0) + 1:0{SEQUENCE_WIDTH}d}"


def letter_issue(t: Transfer, *, on: dt.date, dues_paid_to: dt.date | None) -> None:
    """Number the transfer's letter and save it (inside the caller's transaction, the transfer's
    row locked): the next number of its committee's county and year."""
    committee = t.from_committee or t.from_org
    prefix = letter_prefix(committee.code, on)
    t.letter_issued_on = on
    t.letter_valid_days = settings.TRANSFER_LETTER_VALID_DAYS
    t.dues_paid_to = dues_paid_to.replace(day=1) if dues_paid_to else None
    for attempt in range(_ATTEMPTS):
        t.letter_no = _next_number(prefix)
        try:
            with transaction.atomic():
                t.save(
                    update_fields=[
                        "letter_no",
                        "letter_issued_on",
                        "letter_valid_days",
                        "dues_paid_to",
                    ]
                )
            return
        except IntegrityError:  # another committee of the county took it meanwhile
            if attempt == _ATTEMPTS - 1:
                raise


def letter_key(text: str) -> str:
    """A typed number as stored: full-width characters, spaces and any dashes tolerated."""
    key = _NOT_KEY.sub("", to_halfwidth(text or "").upper())
    if len(key) == 4 + 6 + SEQUENCE_WIDTH:
        return f"{key[:4]}-{key[4:10]}-{key[10:]}"
    return key


def letter_check(t: Transfer, typed: str) -> None:
    """The receiving side's number must be this transfer's letter's: a blank, a wrong one or
    one whose transfer is already closed (a used or void letter) is refused."""
    number = letter_key(typed)
    if not number:
        raise ApplicationError(
            _("Type the number of the introduction letter the member brought."),
            field="letter_no",
            code="letter_no_missing",
        )
    if number == t.letter_no:
        return
    other = Transfer.objects.filter(letter_no=number).exclude(pk=t.pk).only("status").first()
    if other is not None and not other.is_open:
        raise ApplicationError(
            _(
                "Letter number %(number)s has already been used: its transfer is closed. "
                "Ask the sending side for this transfer's letter."
            )
            % {"number": number},
            field="letter_no",
            code="letter_no_used",
        )
    raise ApplicationError(
        _(
            "Letter number %(number)s is not the number of this transfer's introduction "
            "letter. Check the letter the member brought."
        )
        % {"number": number},
        field="letter_no",
        code="letter_no_wrong",
    )


def letter_expires_on(t: Transfer) -> dt.date | None:
    if t.letter_issued_on is None or t.letter_valid_days is None:
        return None
    return t.letter_issued_on + dt.timedelta(days=t.letter_valid_days)


@dataclass(frozen=True)
class LetterContent:
    """What the printed letter and its receipt stub (回执) say."""

    number: str
    to_org: str
    name: str
    gender: str
    age: int
    ethnicity: str
    full_member: bool
    id_number: str  # the full number, or the masked one for a user who may not see it
    dues_paid_to: dt.date | None
    valid_days: int
    from_org: str
    issuer: str  # the committee that issued it
    issued_on: dt.date


def letter_content(t: Transfer, *, id_number: str) -> LetterContent:
    """The letter of a transfer whose sending side has approved (`letter_no` set)."""
    member = t.member
    issued = t.letter_issued_on or dt.date.today()
    born = member.birth_date
    age = issued.year - born.year - ((issued.month, issued.day) < (born.month, born.day))
    assert t.letter_no is not None
    return LetterContent(
        number=t.letter_no,
        to_org=t.to_org.name,
        name=member.name,
        gender=member.gender,
        age=age,
        ethnicity=ethnicity_name(member.ethnicity),
        full_member=member.status == MemberStatus.FULL,
        id_number=id_number,
        dues_paid_to=t.dues_paid_to,
        valid_days=t.letter_valid_days or settings.TRANSFER_LETTER_VALID_DAYS,
        from_org=t.from_org.name,
        issuer=(t.from_committee or t.from_org).name,
        issued_on=issued,
    )
