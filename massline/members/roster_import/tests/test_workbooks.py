"""Excel workbooks as calamine reads them: formulas refused though calamine gives only their
values, dates and numbers, where the first row is, and rosters over several sheets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from django.utils import translation

from massline.core import crypto
from massline.core.errors import ApplicationError
from massline.members.models import Member
from massline.members.roster_import import import_roster
from massline.members.roster_import.workbook import scan

from .test_import import (
    HEADERS,
    ID_A,
    ID_B,
    ID_C,
    nothing_written,
    row,
    woman,
    write_csv,
    write_xlsx,
)

FORMULA = "The cell holds a formula (it starts with =); enter the value itself."


def problems(path: Path) -> list[tuple[int | None, str, str, str]]:
    with translation.override("en"):
        report = import_roster(path, actor=None, dry_run=False)
    assert not report.ok
    nothing_written()
    return [(p.row, p.column, p.value, p.message) for p in report.problems]


def file_error(path: Path) -> ApplicationError:
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        import_roster(path, actor=None, dry_run=False)
    nothing_written()
    assert caught.value.field == "file"
    return caught.value


# -- formulas ------------------------------------------------------------------------------------


def test_a_formula_never_calculated_is_refused_by_row_and_column(tree, tmp_path):
    # given a formula as openpyxl writes it: no value of its own, which calamine reads as blank
    path = write_xlsx(tmp_path / "r.xlsx", [woman(), row(**{"姓名": "=A3&B3"})])
    # then
    assert problems(path) == [(3, "姓名", "=A3&B3", FORMULA)]


def test_a_formula_with_its_last_value_is_refused_too(tree, tmp_path):
    # given formulas with their values, as Excel saves them; one in the ID number's column
    path = tmp_path / "r.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("花名册")
    for r, values in enumerate([HEADERS, row(), woman()]):
        for c, value in enumerate(values):
            sheet.write_string(r, c, str(value))
    sheet.write_formula(1, 11, '="139"&"12345678"', None, "13912345678")
    sheet.write_formula(2, 3, "=A1", None, ID_B)
    book.close()
    # then each is named, the ID number's without showing it
    assert problems(path) == [
        (2, "手机号码", "=…", FORMULA),
        (3, "公民身份号码", "=…", FORMULA),
    ]


def test_shared_formulas_are_found_in_every_cell(tree, tmp_path):
    # given Excel's shared formula: the first cell holds its text, the others only its id
    path = write_xlsx(tmp_path / "r.xlsx", [row(), woman()])
    stored = tmp_path / "shared.xlsx"
    _rewrite_sheet(
        path,
        stored,
        lambda xml: xml.replace(
            '<c r="A2" t="inlineStr"><is><t>巴特尔</t></is></c>',
            '<c r="A2" t="str"><f t="shared" ref="A2:A3" si="0">"x"</f><v>x</v></c>',
        ).replace(
            '<c r="A3" t="inlineStr"><is><t>王丽</t></is></c>',
            '<c r="A3" t="str"><f t="shared" si="0"/><v>x</v></c>',
        ),
    )
    found = scan(stored)[0].formulas
    assert found == {(2, 0): '="x"', (3, 0): "="}
    assert [(r, c) for r, c, _v, _m in problems(stored)] == [(2, "姓名"), (3, "姓名")]


def test_a_formula_in_a_cell_without_a_reference_refuses_the_file(tree, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [row()])
    stored = tmp_path / "noref.xlsx"
    _rewrite_sheet(
        path,
        stored,
        lambda xml: xml.replace(
            '<c r="A2" t="inlineStr"><is><t>巴特尔</t></is></c>',
            '<c t="str"><f>"x"</f><v>x</v></c>',
        ),
    )
    error = file_error(stored)
    assert error.code == "formula" and "Sheet" in error.message


def _rewrite_sheet(source: Path, target: Path, change) -> None:
    """A copy of an openpyxl workbook with its first sheet's XML changed: openpyxl writes
    shared strings, so the cells are made inline first."""
    import zipfile

    book = openpyxl.load_workbook(source)
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = book.worksheets[0]
    cells = []
    for line in sheet.iter_rows():
        for cell in line:
            if cell.value is not None:
                cells.append(
                    f'<c r="{cell.coordinate}" t="inlineStr"><is><t>{cell.value}</t></is></c>'
                )
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    head, _data, tail = xml.partition("<sheetData>")[0], None, xml.partition("</sheetData>")[2]
    rows: dict[int, list[str]] = {}
    for text in cells:
        number = int("".join(ch for ch in text.split('"')[1] if ch.isdigit()))
        rows.setdefault(number, []).append(text)
    data = "".join(f'<row r="{n}">{"".join(cs)}</row>' for n, cs in sorted(rows.items()))
    parts["xl/worksheets/sheet1.xml"] = change(
        f"{head}<sheetData>{data}</sheetData>{tail}"
    ).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)


# -- values --------------------------------------------------------------------------------------


def test_numbers_dates_and_text_as_excel_keeps_them(tree, tmp_path):
    # given a phone and an organization code as numbers, dates as dates and day numbers
    rows = [
        row(
            **{
                "手机号码": 13912345678,
                "所在党组织编码": 150102101201,
                "入党日期": dt.datetime(2010, 7, 1),
                "转正日期": 40725,
                "出生日期": dt.date(1985, 3, 14),
            }
        )
    ]
    report = import_roster(write_xlsx(tmp_path / "r.xlsx", rows), actor=None, dry_run=False)
    assert report.ok, report.problems
    m = Member.objects.get()
    assert (m.join_date, m.full_date, m.org.code) == (
        dt.date(2010, 7, 1),
        dt.date(2011, 7, 1),
        "150102101201",
    )
    assert crypto.decrypt(m.phone_enc) == "13912345678"


def test_an_id_number_written_as_text_keeps_its_x_and_zeros(tree, tmp_path):
    number = ID_C  # its check character may be X
    path = write_xlsx(tmp_path / "r.xlsx", [row(**{"公民身份号码": number, "出生日期": ""})])
    report = import_roster(path, actor=None, dry_run=False)
    assert report.ok, report.problems
    assert crypto.decrypt(Member.objects.get().id_number_enc) == number


def test_empty_rows_between_members_are_counted_as_blank(tree, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(row())
    sheet.cell(row=5, column=1, value="王丽")
    for column, value in enumerate(woman(), start=1):
        sheet.cell(row=5, column=column, value=value)
    path = tmp_path / "r.xlsx"
    book.save(path)
    report = import_roster(path, actor=None, dry_run=False)
    assert report.ok and report.created == 2 and report.blank_rows == 2, report.problems


@pytest.mark.parametrize(("row_no", "column"), [(2, 1), (1, 2)])
def test_the_header_must_be_in_the_first_row_from_the_first_column(tree, tmp_path, row_no, column):
    book = openpyxl.Workbook()
    sheet = book.active
    for c, value in enumerate(HEADERS, start=column):
        sheet.cell(row=row_no, column=c, value=value)
    for c, value in enumerate(row(), start=column):
        sheet.cell(row=row_no + 1, column=c, value=value)
    path = tmp_path / "r.xlsx"
    book.save(path)
    assert file_error(path).code == "bad_header"


def test_an_empty_workbook_has_no_rows(tree, tmp_path):
    path = tmp_path / "r.xlsx"
    openpyxl.Workbook().save(path)
    assert file_error(path).code == "empty_file"


# -- several sheets ------------------------------------------------------------------------------


def test_a_later_sheet_with_another_header_refuses_the_file(tree, tmp_path):
    # given a second sheet whose header lacks the optional columns the first one has
    book = openpyxl.Workbook()
    first = book.active
    first.title = "花名册"
    first.append(HEADERS)
    first.append(row())
    second = book.create_sheet("花名册2")
    second.append(HEADERS[:15])
    second.append(woman()[:15])
    path = tmp_path / "r.xlsx"
    book.save(path)
    # then
    error = file_error(path)
    assert error.code == "bad_sheet_header"
    assert "花名册2" in error.message and "花名册" in error.message


def test_a_roster_exported_over_several_sheets_imports_back_whole(tree, tmp_path, settings):
    from massline.members import roster_export as export

    # given five members with groups and positions, exported two to a sheet
    rows = [
        row(**{"党小组": "第一党小组", "支部职务": "支部书记"}),
        woman(**{"党小组": "第二党小组", "支部职务": "支委委员"}),
        row(**{"公民身份号码": ID_C, "出生日期": "1978-01-30", "姓名": "其其格"}),
    ]
    more = [
        row(**{"公民身份号码": number, "出生日期": "", "姓名": f"成员{i}"})
        for i, number in enumerate(_ids(2))
    ]
    first = import_roster(write_csv(tmp_path / "in.csv", rows + more), actor=None, dry_run=False)
    assert first.ok, first.problems
    before = list(Member.objects.order_by("id").values())
    settings.MEMBER_EXPORT_SHEET_ROWS = 2
    out = tmp_path / "out.xlsx"
    count = export.write_file(
        export.iter_rows(Member.objects.all(), full_numbers=True), out, "xlsx"
    )
    assert count == 5
    assert [sheet.name for sheet in scan(out)] == ["花名册", "花名册2", "花名册3"]
    # when
    report = import_roster(out, actor=None, dry_run=False)
    # then
    assert report.ok, report.problems
    assert (report.rows, report.created, report.updated, report.unchanged) == (5, 0, 0, 5)
    assert list(Member.objects.order_by("id").values()) == before
    assert Member.objects.get(id_number_hash=crypto.lookup_hash(ID_A)).position == "secretary"


def _ids(n: int) -> list[str]:
    from massline.members.idnumber import make_id

    return [make_id("150102", dt.date(1970 + i, 1, 1), 401 + 2 * i) for i in range(n)]  # men
