"""Checking one row at a time, the careful path: cells into the member's columns (labels into
codes, dates in the forms people write them, the ID number's check digit and birth date, the
organization code against the importer's scope), accepting what it can (full-width digits,
2019年9月1日, Excel's text mark) and saying, column by column, what is wrong with the rest.
The column engine (`columns`) takes the rows written as the template writes them; this reads
the others, with the same rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from massline.core.normalize import clean_cell, parse_date
from massline.core.reference import parse_ethnicity
from massline.members import template
from massline.members.idnumber import (
    InvalidNumber,
    mask_id,
    mask_phone,
    validate_id,
    validate_phone,
)
from massline.members.rules import MEMBER_ORG_KINDS, adult_on

from .context import Context
from .report import Problem

NAME_MAX = 64
PLACE_MAX = 128

H = template.HEADERS
(
    C_NAME,
    C_GENDER,
    C_ETHNICITY,
    C_ID,
    C_BIRTH,
    C_EDUCATION,
    C_CATEGORY,
    C_JOIN,
    C_FULL,
    C_STATUS,
    C_ORG,
    C_PHONE,
    C_MOBILITY,
    C_PLACE,
    C_LOST,
    C_GROUP,
    C_POSITION,
) = range(len(H))


def check_row(
    row_no: int, cells: list[Any], ctx: Context
) -> tuple[tuple[Any, ...] | None, list[Problem]]:
    """One row: the member's values (before encryption: see `checking.finish`) or its problems.
    Blank rows are the caller's to skip."""
    problems: list[Problem] = []

    def bad(column: int, value: Any, message: str) -> None:
        problems.append(Problem(row_no, H[column], _shown(value), message))

    width = ctx.columns  # the file's: the template's, or without its optional columns
    if len(cells) > width and any(clean_cell(c) for c in cells[width:]):
        problems.append(
            Problem(
                row_no,
                "",
                "",
                _("The row has %(n)s cells; the template has %(m)s columns.")
                % {"n": len(cells), "m": width},
            )
        )
    if len(cells) < len(H) or width < len(H):
        # (a file without the optional columns: they are blank, and the import keeps what
        # members have there: apply)
        cells = list(cells[:width]) + [None] * (len(H) - min(len(cells), width))
    text = [clean_cell(c) for c in cells[: len(H)]]
    for i, value in enumerate(text):
        if value.startswith("'"):
            # Excel's mark for "text, not a formula or number"; an export writes it before
            # anything a spreadsheet could take for a formula (template.protect)
            text[i] = template.unprotect(value)
        elif value.startswith("="):
            bad(
                i,
                value if i not in (C_ID, C_PHONE) else "=…",
                _("The cell holds a formula (it starts with =); enter the value itself."),
            )
    if problems:
        return None, problems

    name = text[C_NAME]
    if not name:
        bad(C_NAME, "", _("The name is missing."))
    elif len(name) > NAME_MAX:
        bad(C_NAME, name, _("The name is longer than %(n)s characters.") % {"n": NAME_MAX})

    info = None
    raw_id = cells[C_ID]
    if isinstance(raw_id, float):
        bad(
            C_ID,
            "",
            _(
                "Excel holds the ID number as a number, which keeps only 15 digits: format "
                "the column as text and enter the numbers again."
            ),
        )
    elif not text[C_ID]:
        bad(C_ID, "", _("The ID number is missing."))
    else:
        try:
            if "*" in text[C_ID]:
                raise InvalidNumber(
                    _(
                        "it is masked, as an export without full numbers writes it; masked "
                        "numbers do not import: type the full number or export with full numbers"
                    ),
                    code="masked",
                )
            info = validate_id(text[C_ID], today=ctx.today)
        except InvalidNumber as exc:
            bad(
                C_ID,
                mask_id(text[C_ID]),
                _("Invalid ID number: %(reason)s.") % {"reason": exc.message},
            )

    gender = template.GENDER_CODES.get(text[C_GENDER])
    if text[C_GENDER] and gender is None:
        bad(C_GENDER, text[C_GENDER], _("The gender must be 男 or 女."))
    elif info is not None:
        if gender is None:
            gender = info.gender
        elif gender != info.gender:
            bad(C_GENDER, text[C_GENDER], _("The gender does not agree with the ID number."))

    try:
        ethnicity = parse_ethnicity(text[C_ETHNICITY])
    except ValueError as exc:
        ethnicity = ""
        bad(C_ETHNICITY, text[C_ETHNICITY], str(exc))

    birth = None
    if text[C_BIRTH]:
        birth = _date(cells[C_BIRTH], C_BIRTH, bad)
        if birth is not None and info is not None and birth != info.birth_date:
            bad(
                C_BIRTH,
                text[C_BIRTH],
                _("The birth date does not agree with the one inside the ID number."),
            )
    if info is not None:
        birth = info.birth_date

    education = ""
    if text[C_EDUCATION]:
        education = template.EDUCATION_CODES.get(text[C_EDUCATION], "")
        if not education:
            bad(C_EDUCATION, text[C_EDUCATION], _choose(template.EDUCATION_LABELS))
    category = template.CATEGORY_CODES.get(text[C_CATEGORY], "")
    if not category:
        bad(C_CATEGORY, text[C_CATEGORY], _choose(template.CATEGORY_LABELS))
    status = template.STATUS_CODES.get(text[C_STATUS], "")
    if not status:
        bad(C_STATUS, text[C_STATUS], _choose(template.STATUS_LABELS))

    join = None
    if not text[C_JOIN]:
        bad(C_JOIN, "", _("The join date is missing."))
    else:
        join = _date(cells[C_JOIN], C_JOIN, bad)
    if join is not None:
        if join > ctx.today:
            bad(C_JOIN, text[C_JOIN], _("The join date is in the future."))
        elif birth is not None and not adult_on(birth, join):
            bad(C_JOIN, text[C_JOIN], _("The join date is before the member's 18th birthday."))
    full = None
    if text[C_FULL]:
        full = _date(cells[C_FULL], C_FULL, bad)
        if full is not None:
            if status == "probationary":
                bad(
                    C_FULL,
                    text[C_FULL],
                    _("A probationary member has no full-membership date yet."),
                )
            elif join is not None and full < join:
                bad(C_FULL, text[C_FULL], _("The full-membership date is before the join date."))
            elif full > ctx.today:
                bad(C_FULL, text[C_FULL], _("The full-membership date is in the future."))

    org = None
    code = text[C_ORG]
    if not code:
        bad(C_ORG, "", _("The organization code is missing."))
    else:
        org = ctx.orgs.get(code)
        if org is None:
            bad(C_ORG, code, _("There is no organization with this code within your scope."))
        elif org[2] not in MEMBER_ORG_KINDS:
            bad(
                C_ORG,
                code,
                _("Members belong to a branch or a general branch; this organization is neither."),
            )

    phone = ""
    if text[C_PHONE]:
        try:
            phone = validate_phone(text[C_PHONE])
        except InvalidNumber as exc:
            bad(
                C_PHONE,
                mask_phone(text[C_PHONE]),
                _("Invalid phone number: %(reason)s.") % {"reason": exc.message},
            )

    mobility = template.MOBILITY_CODES.get(text[C_MOBILITY])
    if mobility is None:
        mobility = ""
        bad(C_MOBILITY, text[C_MOBILITY], _("流动情况 must be 流出, 流入 or left blank."))
    place = text[C_PLACE]
    if len(place) > PLACE_MAX:
        bad(C_PLACE, place, _("The place is longer than %(n)s characters.") % {"n": PLACE_MAX})
    elif place and not mobility and text[C_MOBILITY] == "":
        bad(C_PLACE, place, _("A place is given but 流动情况 is blank."))
    lost_text = text[C_LOST]
    lost = template.LOST_CONTACT_CODES.get(lost_text, False) if lost_text else False
    if lost_text and lost_text not in template.LOST_CONTACT_CODES:
        bad(C_LOST, lost_text, _("是否失联 must be 是, 否 or left blank."))

    group = text[C_GROUP]
    if len(group) > template.PARTY_GROUP_MAX:
        bad(
            C_GROUP,
            group,
            _("The party group is longer than %(n)s characters.") % {"n": template.PARTY_GROUP_MAX},
        )
    position = template.POSITION_CODES.get(text[C_POSITION])
    if position is None:
        position = ""
        bad(
            C_POSITION,
            text[C_POSITION],
            _("支部职务 must be one of %(labels)s, or left blank.")
            % {"labels": "、".join(v for v in template.POSITION_LABELS.values() if v)},
        )

    if problems or info is None or org is None or birth is None or join is None:
        return None, problems
    return (
        row_no,
        org[0],
        org[1],
        name,
        gender,
        ethnicity,
        birth,
        info.number,
        education,
        category,
        join,
        full,
        status,
        phone,
        mobility,
        place,
        lost,
        group,
        position,
    ), problems


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else clean_cell(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _choose(labels: dict[Any, str]) -> str:
    return _("Write one of: %(labels)s.") % {"labels": "、".join(v for v in labels.values() if v)}


def _date(value: Any, column: int, bad: Callable[[int, Any, str], None]) -> dt.date | None:
    try:
        return parse_date(value.strip() if isinstance(value, str) else value)
    except ValueError as exc:
        bad(column, value, str(exc))
        return None
