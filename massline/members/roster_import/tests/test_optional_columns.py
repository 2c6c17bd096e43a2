"""The template's two optional columns, 党小组 and 支部职务: a file with both sets them, a file
with neither imports as before they existed (leaving what members have there alone), a file
with one of them is refused; the values follow the member's own rules."""

from __future__ import annotations

import pytest
from django.utils import translation

from massline.core import crypto
from massline.members import template
from massline.members.models import Member, MemberEvent, MemberEventKind, Position
from massline.members.roster_import import import_roster

from .test_import import HEADERS, ID_A, ID_B, nothing_written, row, woman, write_csv, write_xlsx

BASE = HEADERS[:15]


def base_rows(rows: list[list[object]]) -> list[list[object]]:
    """Rows of a file without the optional columns."""
    return [r[:15] for r in rows]


def member(number: str) -> Member:
    return Member.objects.get(id_number_hash=crypto.lookup_hash(number))


def test_the_template_ends_with_the_two_optional_columns():
    assert template.HEADERS[15:] == template.OPTIONAL_HEADERS == ("党小组", "支部职务")
    assert tuple(BASE) == template.REQUIRED_HEADERS


def test_the_position_labels_are_the_interfaces_chinese_names_of_the_choices():
    with translation.override("zh-hans"):
        names = {choice.value: str(choice.label) for choice in Position}
    assert {code: label for code, label in template.POSITION_LABELS.items() if code} == names


def test_the_party_groups_length_is_the_models():
    assert Member._meta.get_field("party_group").max_length == template.PARTY_GROUP_MAX


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_with_both_columns_sets_party_group_and_position(tree, tmp_path, kind):
    # given
    rows = [
        row(**{"党小组": "第一党小组", "支部职务": "支部书记"}),
        woman(**{"支部职务": "支委委员"}),
    ]
    path = (write_csv if kind == "csv" else write_xlsx)(tmp_path / f"r.{kind}", rows)
    # when
    report = import_roster(path, actor=None, dry_run=False)
    # then
    assert report.ok and report.created == 2, report.problems
    assert (member(ID_A).party_group, member(ID_A).position) == ("第一党小组", "secretary")
    assert (member(ID_B).party_group, member(ID_B).position) == ("", "committee_member")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_without_them_imports_as_before(tree, tmp_path, kind):
    # given a file of the fifteen columns
    write = write_csv if kind == "csv" else write_xlsx
    path = write(tmp_path / f"r.{kind}", base_rows([row(), woman()]), header=BASE)
    # when
    report = import_roster(path, actor=None, dry_run=False)
    # then
    assert report.ok and report.created == 2, report.problems
    assert set(Member.objects.values_list("party_group", "position")) == {("", "")}


def test_a_file_without_them_leaves_members_groups_and_positions_alone(tree, tmp_path):
    # given members imported with a party group and a position
    full = [
        row(**{"党小组": "第一党小组", "支部职务": "副书记"}),
        woman(**{"党小组": "第二党小组"}),
    ]
    assert import_roster(write_csv(tmp_path / "a.csv", full), actor=None, dry_run=False).ok
    # when the same members come again in a file without the optional columns, one changed
    again = base_rows([row(**{"手机号码": "13900000000"}), woman()])
    report = import_roster(
        write_csv(tmp_path / "b.csv", again, header=BASE), actor=None, dry_run=False
    )
    # then only the phone changed; groups and positions are as they were
    assert report.ok and (report.updated, report.unchanged) == (1, 1), report.problems
    assert (member(ID_A).party_group, member(ID_A).position) == ("第一党小组", "deputy_secretary")
    assert (member(ID_B).party_group, member(ID_B).position) == ("第二党小组", "")


def test_a_file_with_them_changes_them(tree, tmp_path):
    # given
    first = [row(**{"党小组": "第一党小组", "支部职务": "副书记"}), woman()]
    assert import_roster(write_csv(tmp_path / "a.csv", first), actor=None, dry_run=False).ok
    # when the group and position change, and are emptied for the other member
    second = [row(**{"党小组": "第三党小组", "支部职务": "支部书记"}), woman()]
    report = import_roster(write_csv(tmp_path / "b.csv", second), actor=None, dry_run=False)
    # then
    assert report.ok and (report.updated, report.unchanged) == (1, 1), report.problems
    a = member(ID_A)
    assert (a.party_group, a.position) == ("第三党小组", "secretary")
    assert MemberEvent.objects.filter(member=a, kind=MemberEventKind.UPDATED).count() == 1


@pytest.mark.parametrize("present", ["党小组", "支部职务"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_with_only_one_of_them_is_refused(tree, tmp_path, present, kind):
    # given a header with one of the two optional columns
    header = [*BASE, present]
    rows = [[*r[:15], ""] for r in [row(), woman()]]
    path = (write_csv if kind == "csv" else write_xlsx)(tmp_path / f"r.{kind}", rows, header=header)
    # when
    with translation.override("en"), pytest.raises(Exception) as caught:
        import_roster(path, actor=None, dry_run=False)
    # then
    error = caught.value
    assert getattr(error, "code", "") == "bad_header" and error.field == "file"
    assert "党小组、支部职务" in error.message and "together" in error.message
    nothing_written()


def test_in_another_order_they_are_refused(tree, tmp_path):
    header = [*BASE, "支部职务", "党小组"]
    path = write_csv(tmp_path / "r.csv", [row()], header=header)
    with translation.override("en"), pytest.raises(Exception) as caught:
        import_roster(path, actor=None, dry_run=False)
    assert caught.value.code == "bad_header" and "column 16" in caught.value.message


def test_a_file_without_them_reports_extra_cells_against_its_own_columns(tree, tmp_path):
    # given a file of fifteen columns whose row has a sixteenth cell
    path = write_csv(tmp_path / "r.csv", [[*row()[:15], "第一党小组"]], header=BASE)
    # when
    with translation.override("en"):
        report = import_roster(path, actor=None, dry_run=False)
    # then
    assert [(p.row, p.message) for p in report.problems] == [
        (2, "The row has 16 cells; the template has 15 columns.")
    ]


@pytest.mark.parametrize(
    ("over", "column", "message"),
    [
        (
            {"支部职务": "组织委员"},
            "支部职务",
            "支部职务 must be one of 支部书记、副书记、支委委员, or left blank.",
        ),
        ({"党小组": "组" * 65}, "党小组", "The party group is longer than 64 characters."),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_bad_value_is_reported_by_row_column_and_field(
    tree, tmp_path, over, column, message, kind
):
    path = (write_csv if kind == "csv" else write_xlsx)(
        tmp_path / f"r.{kind}", [woman(), row(**over)]
    )
    with translation.override("en"):
        report = import_roster(path, actor=None, dry_run=False)
    assert [(p.row, p.column, p.message) for p in report.problems] == [(3, column, message)]
    with translation.override("zh-hans"):
        chinese = import_roster(path, actor=None, dry_run=True)
    assert chinese.problems[0].message != message  # translated
    nothing_written()
