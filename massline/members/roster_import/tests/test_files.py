"""Whole files: files that cannot be read at all, the command line, and a round trip
through the export."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from massline.access.models import DataScope
from massline.core import crypto
from massline.core.errors import ApplicationError
from massline.members.models import Member
from massline.members.roster_import import import_roster

from .test_import import (
    HEADERS,
    ID_A,
    nothing_written,
    problems_of,
    row,
    woman,
    write_csv,
    write_xlsx,
)

# -- bad files -----------------------------------------------------------------------------------


def file_error(path: Path, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        import_roster(path, actor=None, dry_run=False, **kwargs)
    nothing_written()
    assert caught.value.field == "file"
    return caught.value


def test_an_empty_file(tree, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"")
    assert file_error(path).code == "empty_file"


def test_a_header_without_rows(tree, tmp_path):
    assert file_error(write_csv(tmp_path / "r.csv", [])).code == "no_rows"


def test_a_text_file_renamed_xlsx(tree, tmp_path):
    path = write_csv(tmp_path / "r.xlsx", [row()])
    error = file_error(path)
    assert error.code == "not_xlsx" and "r.xlsx" in error.message


def test_a_truncated_xlsx(tree, tmp_path):
    path = write_xlsx(tmp_path / "full.xlsx", [row(), woman()])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert file_error(cut).code == "damaged_xlsx"


def test_a_zip_that_is_not_a_workbook(tree, tmp_path):
    path = tmp_path / "r.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert file_error(path).code == "damaged_xlsx"


def test_gb18030_declared_as_utf8(tree, tmp_path):
    path = write_csv(tmp_path / "r.csv", [row()], encoding="gb18030")
    error = file_error(path, encoding="utf-8")
    assert error.code == "bad_encoding" and "GB18030" in error.message


def test_a_file_that_changes_encoding_half_way(tree, tmp_path):
    path = tmp_path / "r.csv"
    good = io.StringIO()
    writer = csv.writer(good)
    writer.writerow(HEADERS)
    for _ in range(30_000):
        writer.writerow(row())
    data = good.getvalue().encode("utf-8") + "王丽\n".encode("gb18030")
    path.write_bytes(data)
    error = file_error(path)
    assert error.code == "bad_encoding" and "30002" in error.message


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (HEADERS[:-1], "是否失联"),  # missing
        ([*HEADERS, "备注"], "备注"),  # extra
        ([HEADERS[1], HEADERS[0], *HEADERS[2:]], "order"),  # reordered
    ],
)
def test_columns_missing_extra_or_reordered(tree, tmp_path, header, words):
    from django.utils import translation

    rows = [row()[: len(header)]]
    with translation.override("en"):
        error = file_error(write_csv(tmp_path / "r.csv", rows, header=header))
    assert error.code == "bad_header" and words in error.message


def test_a_header_repeated_as_extra_row_is_a_bad_row(tree, tmp_path):
    report = problems_of(tmp_path, [row(), HEADERS])
    assert {p.row for p in report.problems} == {3}


def test_an_id_number_stored_as_an_excel_number(tree, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [row(**{"公民身份号码": float(ID_A[:17] + "0")})])
    report = import_roster(path, actor=None, dry_run=False)
    assert not report.ok and report.problems[0].column == "公民身份号码"
    nothing_written()


# -- the command line ------------------------------------------------------------------------------


def run_command(*args: str) -> tuple[int, str, str]:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import-members", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return 1, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_command_dry_run_then_import(tree, tmp_path):
    path = write_csv(tmp_path / "r.csv", [row(), woman()])
    code, out, err = run_command(str(path), "--dry-run")
    assert code == 0 and "2" in out and Member.objects.count() == 0
    assert "%" in err  # the progress bar
    code, out, _ = run_command(str(path), "--no-progress")
    assert code == 0 and Member.objects.count() == 2


def test_command_reports_problems_and_exits_non_zero(tree, tmp_path):
    path = write_csv(tmp_path / "r.csv", [row(**{"出生日期": "1985-03-15"}), woman()])
    report_file = tmp_path / "problems.csv"
    code, out, err = run_command(str(path), "--no-progress", "--report", str(report_file))
    assert code == 1
    assert "出生日期" in out and "2" in out
    assert ID_A not in out + err
    with report_file.open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle))
    assert lines[1][:2] == ["2", "出生日期"]
    nothing_written()


def test_command_file_errors_exit_non_zero(tree, tmp_path):
    empty = tmp_path / "r.csv"
    empty.write_bytes(b"")
    code, _, err = run_command(str(empty), "--no-progress")
    assert code == 1 and "0" in err
    code, _, err = run_command(str(tmp_path / "missing.csv"), "--no-progress")
    assert code == 1


def test_command_imports_within_a_users_scope(tree, tmp_path, make_user):
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    path = write_csv(tmp_path / "r.csv", [row(**{"所在党组织编码": tree.branch_b1.code})])
    code, out, _ = run_command(str(path), "--no-progress", "--as", user.username)
    assert code == 1 and "所在党组织编码" in out
    code, _, err = run_command(str(path), "--no-progress", "--as", "nobody")
    assert code == 1 and "nobody" in err


# -- round trip with the export --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_with_full_numbers_imports_back_unchanged(tree, tmp_path, fmt, settings):
    from massline.members import roster_export as export

    rows = [
        row(**{"姓名": "=SUM(A1)", "流动情况": "流出", "流入流出地": "@上海"}),
        woman(**{"姓名": "'王丽"}),
    ]
    first = import_roster(write_csv(tmp_path / "in.csv", rows), actor=None, dry_run=False)
    assert not first.ok  # a formula in the roster itself is refused
    rows[0] = row(**{"姓名": "'=SUM(A1)", "流动情况": "流出", "流入流出地": "'@上海"})
    assert import_roster(write_csv(tmp_path / "in.csv", rows), actor=None, dry_run=False).ok
    before = list(Member.objects.order_by("id").values())
    settings.MEMBER_EXPORT_SHEET_ROWS = 1  # one member a sheet: 花名册, 花名册2
    out = tmp_path / f"out.{fmt}"
    export.write_file(export.iter_rows(Member.objects.all(), full_numbers=True), out, fmt)
    again = import_roster(out, actor=None, dry_run=False)
    assert again.ok, again.problems
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert list(Member.objects.order_by("id").values()) == before
    assert Member.objects.get(id_number_hash=crypto.lookup_hash(ID_A)).name == "=SUM(A1)"


def test_later_sheets_are_read_only_with_the_templates_header(tree, tmp_path):
    book = openpyxl.Workbook()
    first = book.active
    first.append(HEADERS)
    first.append(row())
    second = book.create_sheet("花名册2")
    second.append(HEADERS)
    second.append(woman(**{"出生日期": "1990-11-03"}))
    notes = book.create_sheet("填写说明")
    notes.append(["列", "填写要求"])
    notes.append(["姓名", "必填"])
    path = tmp_path / "r.xlsx"
    book.save(path)
    report = import_roster(path, actor=None, dry_run=False)
    assert [(p.row, p.column) for p in report.problems] == [(2, "花名册2 · 出生日期")]
    nothing_written()
