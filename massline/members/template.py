"""The roster import template (党员花名册): its columns and the Chinese labels its cells hold.

The template is a Chinese form whatever the interface language, so the labels are fixed text,
not translations. Each mapping goes both ways: `*_LABELS` from the stored value to what a
user's spreadsheet holds, `*_CODES` back. The generator writes rosters with them
(`generate-members --output`), and the roster import reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from massline.core.reference import ETHNIC_GROUPS

from .models import Category, Education, Gender, Member, MemberStatus, Mobility, Position

#: The columns of the template, in order: (header, what it holds). The last two
#: (OPTIONAL_HEADERS) may be left out of a file, together: a file of the first fifteen
#: imports as before they were added, leaving members' party groups and positions alone.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("姓名", "name"),
    ("性别", "gender"),
    ("民族", "ethnicity"),
    ("公民身份号码", "id_number"),
    ("出生日期", "birth_date"),
    ("学历", "education"),
    ("人员类别", "category"),
    ("入党日期", "join_date"),
    ("转正日期", "full_date"),
    ("党员状态", "status"),
    ("所在党组织编码", "org_code"),
    ("手机号码", "phone"),
    ("流动情况", "mobility"),
    ("流入流出地", "mobility_place"),
    ("是否失联", "lost_contact"),
    ("党小组", "party_group"),
    ("支部职务", "position"),
)
HEADERS: tuple[str, ...] = tuple(header for header, _field in COLUMNS)
FIELDS: tuple[str, ...] = tuple(field for _header, field in COLUMNS)
FIELD_OF_HEADER: dict[str, str] = dict(COLUMNS)
#: The columns a file may leave out, both or neither; they come last, in this order.
OPTIONAL_HEADERS: tuple[str, ...] = ("党小组", "支部职务")
#: The columns every file has: the template before the optional ones.
REQUIRED_HEADERS: tuple[str, ...] = HEADERS[: -len(OPTIONAL_HEADERS)]
assert HEADERS[len(REQUIRED_HEADERS) :] == OPTIONAL_HEADERS

#: How the template writes a date: 2019-09-01.
DATE_FORMAT = "%Y-%m-%d"

GENDER_LABELS: dict[str, str] = {Gender.MALE: "男", Gender.FEMALE: "女"}
ETHNICITY_LABELS: dict[str, str] = dict(ETHNIC_GROUPS)
EDUCATION_LABELS: dict[str, str] = {
    Education.POSTGRADUATE: "研究生",
    Education.UNIVERSITY: "大学本科",
    Education.COLLEGE: "大学专科",
    Education.SECONDARY: "高中中专",
    Education.JUNIOR: "初中",
    Education.PRIMARY: "小学及以下",
}
CATEGORY_LABELS: dict[str, str] = {
    Category.EMPLOYED: "在职",
    Category.RETIRED: "离退休",
    Category.FARMER_HERDER: "农牧民",
    Category.STUDENT: "学生",
    Category.OTHER: "其他",
}
STATUS_LABELS: dict[str, str] = {
    MemberStatus.FULL: "正式党员",
    MemberStatus.PROBATIONARY: "预备党员",
}
#: No mobility is an empty cell.
MOBILITY_LABELS: dict[str, str] = {"": "", Mobility.OUTFLOW: "流出", Mobility.INFLOW: "流入"}
LOST_CONTACT_LABELS: dict[bool, str] = {True: "是", False: "否"}
#: No position is an empty cell; the labels are the interface's Chinese names of the choices.
POSITION_LABELS: dict[str, str] = {
    "": "",
    Position.SECRETARY: "支部书记",
    Position.DEPUTY_SECRETARY: "副书记",
    Position.COMMITTEE_MEMBER: "支委委员",
}


def _reverse(labels: dict[str, str]) -> dict[str, str]:
    # str(): the keys are TextChoices members, which compare and hash as their values.
    return {label: str(code) for code, label in labels.items()}


GENDER_CODES: dict[str, str] = _reverse(GENDER_LABELS)
ETHNICITY_CODES: dict[str, str] = _reverse(ETHNICITY_LABELS)
EDUCATION_CODES: dict[str, str] = _reverse(EDUCATION_LABELS)
CATEGORY_CODES: dict[str, str] = _reverse(CATEGORY_LABELS)
STATUS_CODES: dict[str, str] = _reverse(STATUS_LABELS)
MOBILITY_CODES: dict[str, str] = _reverse(MOBILITY_LABELS)
LOST_CONTACT_CODES: dict[str, bool] = {label: flag for flag, label in LOST_CONTACT_LABELS.items()}
POSITION_CODES: dict[str, str] = _reverse(POSITION_LABELS)
assert set(POSITION_CODES.values()) == {"", *Position.values}

#: The longest party group the roster stores (the model's rule, which the member form shares).
PARTY_GROUP_MAX: int = Member._meta.get_field("party_group").max_length or 64


#: Columns Excel must keep as text: long digit strings would lose digits or leading zeros.
TEXT_COLUMNS = ("公民身份号码", "所在党组织编码", "手机号码")


def blank_workbook() -> bytes:
    """The blank template as an .xlsx: the header row, text-formatted number columns, and a
    second sheet listing what each column accepts."""
    import io

    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "党员花名册"
    sheet.append(list(HEADERS))
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE9E7")
    for i, header in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = max(10, len(header) * 2 + 4)
        if header in TEXT_COLUMNS:
            sheet.column_dimensions[letter].width = 22
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    notes.append(["列", "填写要求"])
    allowed = {
        "姓名": "必填",
        "性别": "男 / 女（可空，按身份证号码推定）",
        "民族": "56个民族名称，如 汉族、蒙古族",
        "公民身份号码": "必填，18位，末位可为X；请设置为文本格式",
        "出生日期": "可空；填写时须与身份证号码一致",
        "学历": " / ".join(v for v in EDUCATION_LABELS.values()),
        "人员类别": " / ".join(CATEGORY_LABELS.values()),
        "入党日期": "必填，如 2019-09-01、2019年9月1日、2019.9.1",
        "转正日期": "正式党员填写；预备党员留空",
        "党员状态": " / ".join(STATUS_LABELS.values()),
        "所在党组织编码": "必填，党支部或党总支的组织编码",
        "手机号码": "可空，11位手机号码",
        "流动情况": "流出 / 流入 / 留空",
        "流入流出地": "流动党员填写",
        "是否失联": "是 / 否 / 留空",
        "党小组": f"可选列，可空，至多{PARTY_GROUP_MAX}字，如 第一党小组（与支部职务两列同时保留或同时删去）",
        "支部职务": "可选列：" + " / ".join(v for v in POSITION_LABELS.values() if v) + " / 留空",
    }
    for header in HEADERS:
        notes.append([header, allowed[header]])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 60
    for cell in notes[1]:
        cell.font = bold
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#: A text cell starting with one of these could be read as a formula by a spreadsheet
#: (CSV injection), so an export writes it behind an apostrophe: `=1+1` as `'=1+1`. A cell
#: that itself starts with an apostrophe gets one more, so that the importer, which drops one
#: leading apostrophe from every cell (`unprotect`), gives back exactly what was exported.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def protect(text: str) -> str:
    """A cell's text as an export writes it: no spreadsheet formula (see FORMULA_STARTS)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


#: The coded columns and the labels their cells hold; the dates are written as DATE_FORMAT,
#: every other column is free text and goes through `protect`.
LABELS_OF_FIELD: dict[str, Mapping[Any, str]] = {
    "gender": GENDER_LABELS,
    "ethnicity": ETHNICITY_LABELS,
    "education": EDUCATION_LABELS,
    "category": CATEGORY_LABELS,
    "status": STATUS_LABELS,
    "mobility": MOBILITY_LABELS,
    "lost_contact": LOST_CONTACT_LABELS,
    "position": POSITION_LABELS,
}
DATE_FIELDS = ("birth_date", "join_date", "full_date")
assert DATE_FORMAT == "%Y-%m-%d", "cells() writes dates with isoformat()"
assert all(protect(v) == v for labels in LABELS_OF_FIELD.values() for v in labels.values())


def _date_cell(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _cell_maker(field: str) -> Callable[[Any], str]:
    labels = LABELS_OF_FIELD.get(field)
    if labels is not None:
        return lambda value: labels.get(value, "")
    return _date_cell if field in DATE_FIELDS else protect


_CELL_MAKERS = tuple(_cell_maker(field) for field in FIELDS)


def cells(values: Sequence[Any]) -> tuple[str, ...]:
    """A roster row as the template writes it: `values` are a member's stored values in the
    order of FIELDS (codes, dates, the ID number and phone as they are to be shown)."""
    return tuple([make(value) for make, value in zip(_CELL_MAKERS, values, strict=True)])


def unprotect(text: str) -> str:
    """A cell's text as the importer reads it: without the one apostrophe `protect` adds."""
    return text[1:] if text.startswith("'") else text
