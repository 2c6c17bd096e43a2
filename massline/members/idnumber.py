"""Citizen ID numbers (公民身份号码, GB 11643-1999) and mainland mobile phone numbers.

Both are sensitive personal data (see DESIGN.md): they are validated here, stored encrypted
with a lookup hash (massline.core.crypto) and shown masked. The numbers never appear in an
error message: a roster import reports the row and the column, and the person correcting it has
the file in front of them. For the same reason the messages do not echo the birth date inside
the number (digits 7 to 14), which is exactly the part that `mask_id` hides.

Everything here runs once per row of a roster import (up to 1.3 million rows), so the common
case (an ASCII value that is already clean) takes a fast path; see bench/crypto.py.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _

# ISO 7064 MOD 11-2 as GB 11643-1999 spells it out: the 17 digits are weighted
# 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, and the sum modulo 11 picks the check code.
# The weights are 2**(17 - i) mod 11, and 13 ≡ 2 (mod 11), so the weighted sum is congruent to
# twice the digits read as a base-13 number, which int() computes in C (see check_digit and the
# test that compares the two).
_CHECK_CODES = "10X98765432"
_LAST_CHARS = frozenset("0123456789X")
_EARLIEST_BIRTH_YEAR = 1900
_UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

_FULL_WIDTH_DIGITS = {0xFF10 + i: str(i) for i in range(10)}
# Applied after str.upper(), so a full-width lower-case ｘ has become Ｘ.
_ID_TABLE = str.maketrans({**_FULL_WIDTH_DIGITS, 0xFF38: "X", 0x3000: None})
# Separators people type or export inside a phone number; all are dropped.
_PHONE_TABLE = str.maketrans(
    {**_FULL_WIDTH_DIGITS, 0xFF0B: "+"}
    | dict.fromkeys(map(ord, " \t\u3000-\uff0d\u2010\u2011\u2012\u2013\u2014()\uff08\uff09"))
)
_MOBILE_SECOND_DIGITS = frozenset("3456789")
_ODD_DIGITS = frozenset("13579")

Gender = Literal["male", "female"]


class InvalidNumber(ValueError):
    """An ID or phone number that does not pass validation. The message is translated and never
    contains the number; `code` names the rule for reports that group errors."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(slots=True)
class IdInfo:
    """What an ID number says. Not frozen: a frozen dataclass takes four times as long to
    build, and one is built for every row of an import."""

    number: str  # normalized: 17 ASCII digits and a digit or X
    birth_date: dt.date
    gender: Gender  # from the 17th digit: odd for men, even for women
    region_code: str  # the first 6 digits: the division where the number was issued


# ID numbers


def normalize_id(text: str) -> str:
    """Strip spaces, turn full-width digits and X into ASCII and a lower-case x into X.
    Does not validate: the result may still be wrong."""
    number = text.strip().upper()
    if not number.isascii():
        number = number.translate(_ID_TABLE)
    if " " in number:
        number = number.replace(" ", "")
    return number


def check_digit(first17: str) -> str:
    """The 18th character of an ID number whose first 17 characters are these ASCII digits
    (the caller checks that they are)."""
    return _CHECK_CODES[2 * int(first17, 13) % 11]


def validate_id(text: str, *, today: dt.date | None = None) -> IdInfo:
    """Normalize and check an ID number: 18 characters, 17 digits and a digit or X, the
    check digit, and a birth date that exists, is not after `today` (default: today in
    TIME_ZONE) and is not before 1900. Raises InvalidNumber (a ValueError)."""
    number = normalize_id(text)
    if (
        len(number) != 18
        or not number.isascii()
        or not number[:17].isdigit()
        or number[17] not in _LAST_CHARS
    ):
        if len(number) == 15 and number.isascii() and number.isdigit():
            raise InvalidNumber(
                _(
                    "this is an old 15-digit ID number; enter the 18-character number "
                    "from the current ID card"
                ),
                code="id_old_format",
            )
        raise InvalidNumber(
            _("the ID number must have 18 characters: 17 digits and a digit or X"),
            code="id_format",
        )
    if _CHECK_CODES[2 * int(number[:17], 13) % 11] != number[17]:
        raise InvalidNumber(_("the ID number's check digit is wrong"), code="id_checksum")
    try:
        # YYYYMMDD: the ISO 8601 basic format, which fromisoformat reads since Python 3.11.
        birth_date = dt.date.fromisoformat(number[6:14])
    except ValueError:
        # `from None`: the date library's message quotes the digits; keep it out of logs.
        raise InvalidNumber(
            _("the birth date inside the ID number does not exist"), code="id_birth_date"
        ) from None
    if birth_date.year < _EARLIEST_BIRTH_YEAR:
        raise InvalidNumber(
            _("the birth date inside the ID number is before 1900"), code="id_birth_date"
        )
    if today is not None:
        in_future = birth_date > today
    else:
        # timezone.localdate() costs more than all the rest of this function. Today in
        # TIME_ZONE is at most a day away from today in UTC, which time.time() gives cheaply,
        # so only a birth date from the last two days needs it.
        in_future = birth_date.toordinal() >= time.time() // 86400 + _UNIX_EPOCH_ORDINAL - 1 and (
            birth_date > timezone.localdate()
        )
    if in_future:
        raise InvalidNumber(
            _("the birth date inside the ID number is in the future"), code="id_birth_date"
        )
    # Positional arguments and a plain slotted dataclass: this runs for every imported row.
    return IdInfo(number, birth_date, "male" if number[16] in _ODD_DIGITS else "female", number[:6])


def id_matches_birth_date(info: IdInfo, birth_date: dt.date) -> bool:
    """Whether a birth date recorded elsewhere (a roster column) agrees with the ID number."""
    if isinstance(birth_date, dt.datetime):
        birth_date = birth_date.date()
    return info.birth_date == birth_date


def mask_id(number: str) -> str:
    """`150102********123X`: the region and the last four stay, the birth date is hidden.
    Anything that is not 18 characters long is hidden entirely."""
    number = normalize_id(number)
    if len(number) != 18:
        return "*" * len(number)
    return f"{number[:6]}********{number[14:]}"


def make_id(region: str, birth_date: dt.date, seq: int) -> str:
    """A valid ID number for test and demo data: a 6-digit region code, a birth date and a
    sequence number 0-999 (odd for men, even for women); computes the check digit."""
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError("region must be 6 ASCII digits")
    if not 0 <= seq <= 999:
        raise ValueError("seq must be between 0 and 999")
    first17 = f"{region}{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}{seq:03d}"
    return first17 + check_digit(first17)


# Mainland mobile phone numbers


def normalize_phone(text: str) -> str:
    """Drop spaces, dashes and parentheses, turn full-width digits into ASCII and remove a
    +86, 0086 or 86 country code. Does not validate: the result may still be wrong."""
    phone = text.strip()
    if len(phone) == 11 and phone.isascii() and phone.isdigit():
        return phone
    phone = phone.translate(_PHONE_TABLE)
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    return phone


def validate_phone(text: str) -> str:
    """The normalized 11-digit mobile number (1, then 3-9, then 9 digits), or InvalidNumber."""
    phone = normalize_phone(text)
    if (
        len(phone) != 11
        or not phone.isascii()
        or not phone.isdigit()
        or phone[0] != "1"
        or phone[1] not in _MOBILE_SECOND_DIGITS
    ):
        raise InvalidNumber(
            _("the mobile phone number must have 11 digits and start with 13 to 19"),
            code="phone_format",
        )
    return phone


def mask_phone(phone: str) -> str:
    """`138****1234`. Anything that is not an 11-digit number is hidden entirely."""
    phone = normalize_phone(phone)
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[7:]}"
