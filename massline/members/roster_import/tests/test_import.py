"""The roster import against real files and a real database: every bad input of the issue gets
a clear per-row or per-file answer and nothing is written; good files are written whole, once."""

from __future__ import annotations

import csv
import logging
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from massline.access.models import DataScope
from massline.core import crypto
from massline.core.collation import name_sort_key
from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent
from massline.members import template
from massline.members.idnumber import make_id
from massline.members.models import Member, MemberEvent, MemberEventKind, MemberEventRange
from massline.members.roster_import import import_roster
from massline.members.roster_import.checking import repeat_keys
from massline.members.selectors import member_history
from massline.members.services import member_create
from massline.orgs import counters

HEADERS = list(template.HEADERS)
ID_A = make_id("150102", date(1985, 3, 14), 101)  # a man
ID_B = make_id("150102", date(1990, 11, 2), 202)  # a woman
ID_C = make_id("150203", date(1978, 1, 30), 303)
WORKERS = (0, 2)  # in-process, and through worker processes


def row(**over: object) -> list[object]:
    values = {
        "姓名": "巴特尔",
        "性别": "男",
        "民族": "蒙古族",
        "公民身份号码": ID_A,
        "出生日期": "1985-03-14",
        "学历": "大学本科",
        "人员类别": "在职",
        "入党日期": "2010-07-01",
        "转正日期": "2011-07-01",
        "党员状态": "正式党员",
        "所在党组织编码": "150102101201",
        "手机号码": "13912345678",
        "流动情况": "",
        "流入流出地": "",
        "是否失联": "否",
        "党小组": "",
        "支部职务": "",
    }
    values.update(over)
    return [values[h] for h in HEADERS]


def woman(**over: object) -> list[object]:
    base = {
        "姓名": "王丽",
        "性别": "女",
        "民族": "汉族",
        "公民身份号码": ID_B,
        "出生日期": "1990年11月2日",
        "学历": "大学专科",
        "人员类别": "农牧民",
        "入党日期": "2019.9.1",
        "转正日期": "",
        "党员状态": "预备党员",
        "所在党组织编码": "150102101202",
        "手机号码": "",
        "流动情况": "流出",
        "流入流出地": "北京市朝阳区",
        "是否失联": "",
    }
    base.update(over)
    return row(**base)


def write_csv(path: Path, rows: list[list[object]], *, header=None, encoding="utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS if header is None else header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]], *, header=None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS if header is None else header)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def nothing_written():
    assert Member.objects.count() == 0
    assert MemberEvent.objects.count() == 0
    assert not AuditEvent.objects.filter(action="members.import").exists()
    assert counters.rebuild(check_only=True) == []


@pytest.fixture(params=WORKERS, ids=["inline", "workers"])
def workers(request):
    if request.param:
        # Outside a test's transaction: on SQLite, an import inside a caller's transaction
        # checks its rows in its own process.
        request.getfixturevalue("transactional_db")
    return request.param


# -- good files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_good_file_is_written_with_history_counters_and_audit(tree, tmp_path, kind, workers):
    rows = [row(), woman()]
    path = (write_csv if kind == "csv" else write_xlsx)(tmp_path / f"r.{kind}", rows)
    dry = import_roster(path, actor=None, dry_run=True, workers=workers)
    assert dry.ok and not dry.applied
    assert (dry.created, dry.updated, dry.unchanged, dry.valid_rows) == (2, 0, 0, 2)
    nothing_written()

    report = import_roster(path, actor=None, dry_run=False, workers=workers)
    assert report.ok and report.applied, report.problems
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    a = Member.objects.get(id_number_hash=crypto.lookup_hash(ID_A))
    assert (a.name, a.gender, a.ethnicity, a.status, a.category) == (
        "巴特尔", "male", "02", "full", "employed",
    )  # fmt: skip
    assert crypto.decrypt(a.id_number_enc) == ID_A
    assert crypto.decrypt(a.phone_enc) == "13912345678"
    assert a.org == tree.village_a1 and a.org_path == tree.village_a1.path
    assert a.full_date == date(2011, 7, 1)
    b = Member.objects.get(id_number_hash=crypto.lookup_hash(ID_B))
    assert (b.join_date, b.status, b.mobility, b.mobility_place) == (
        date(2019, 9, 1), "probationary", "outflow", "北京市朝阳区",
    )  # fmt: skip
    assert b.phone_enc == "" and b.name_folded == "王丽"
    assert b.name_key == name_sort_key("王丽")
    for member in (a, b):  # each member's history says they were entered, once
        assert [e.kind for e in member_history(member)] == [MemberEventKind.JOINED_ROSTER]
        assert member_history(member)[0].detail == {"source": "import", "job": None}
    audit = AuditEvent.objects.get(action="members.import")
    assert audit.after["created"] == 2
    assert ID_A not in str(audit.after) and ID_B not in str(audit.after)
    town = counters.read([tree.town_a1.pk])[tree.town_a1.pk]
    assert town["members.total"] == (0, 2)
    assert town["members.probationary"] == (0, 1)
    assert town["members.outflow"] == (0, 1)
    assert counters.rebuild(check_only=True) == []


def test_importing_the_same_file_twice_changes_nothing(tree, tmp_path, workers):
    path = write_csv(tmp_path / "r.csv", [row(), woman()])
    import_roster(path, actor=None, dry_run=False, workers=workers)
    before = list(Member.objects.order_by("id").values())
    events = MemberEvent.objects.count()
    again = import_roster(path, actor=None, dry_run=False, workers=workers)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert list(Member.objects.order_by("id").values()) == before
    assert MemberEvent.objects.count() == events
    assert counters.rebuild(check_only=True) == []


def by_hand(tree) -> Member:
    """A member entered on the member form (not by an import)."""
    return member_create(
        actor=None, org=tree.village_a1, name="乌云", gender="female", ethnicity="02",
        id_number=make_id("150102", date(1970, 5, 6), 102), phone="", education="",
        category="retired", join_date=date(1995, 7, 1), full_date=date(1996, 7, 1),
        status="full",
    )  # fmt: skip


def test_a_first_load_numbers_members_by_their_rows_and_leaves_nothing_behind(
    tree, tmp_path, workers, settings
):
    """Into an empty roster, a member's id is its row in the file (so that the database
    can report a repeated ID number by row), and later members are numbered after them."""
    settings.VAR_DIR = tmp_path / "var"
    rows = [[""] * 15, row(), woman()]  # a blank row 2: ids 3 and 4
    report = import_roster(write_csv(tmp_path / "r.csv", rows), actor=None, dry_run=False,
                           workers=workers)  # fmt: skip
    assert report.applied and report.created == 2
    ids = dict(Member.objects.values_list("id_number_hash", "id"))
    assert ids == {crypto.lookup_hash(ID_A): 3, crypto.lookup_hash(ID_B): 4}
    later = by_hand(tree)
    assert later.pk > 4
    # one history entry for the whole load, which does not cover the member entered later
    assert list(MemberEventRange.objects.values_list("first_id", "last_id")) == [(3, 4)]
    assert not MemberEvent.objects.exclude(member=later).exists()
    assert [e.kind for e in member_history(later)] == [MemberEventKind.JOINED_ROSTER]
    # the staging files of SQLite's checking processes are gone
    assert not list((tmp_path / "var").glob("import-stage-*"))


def test_members_added_to_a_roster_each_get_one_entry_in_their_history(tree, tmp_path, workers):
    """An import into a roster that has members: its new members' history says they were
    entered (one row each on PostgreSQL, one range for them all on SQLite), and nobody
    else's history changes."""
    import_roster(write_csv(tmp_path / "a.csv", [row()]), actor=None, dry_run=False,
                  workers=workers)  # fmt: skip
    entered = by_hand(tree)
    report = import_roster(
        write_csv(tmp_path / "b.csv", [row(), woman(), row(**{"公民身份号码": ID_C,
                  "出生日期": "1978-01-30", "所在党组织编码": "150102101201"})]),
        actor=None, dry_run=False, workers=workers,
    )  # fmt: skip
    assert (report.created, report.unchanged) == (2, 1)
    for member in Member.objects.all():
        kinds = [e.kind for e in member_history(member)]
        assert kinds == [MemberEventKind.JOINED_ROSTER], (member.name, kinds)
    assert entered.pk not in {
        m for first, last in MemberEventRange.objects.values_list("first_id", "last_id")
        for m in range(first, last + 1)
    }  # fmt: skip


def test_counters_of_new_members_come_out_as_a_recount_would_have_them(tree, tmp_path, workers):
    """Counter changes for imports whose rows are all new are summed by the checking
    processes, not queried: every metric is exercised, several members to an organization,
    into an empty roster (a first load) and into one that has members."""

    def person(seq: int, **over: object) -> list[object]:
        born = date(1970 + seq, 1, 1 + seq)
        number = make_id("150102", born, 501 + 2 * seq)  # odd: a man, as row() says
        return row(**{"公民身份号码": number, "出生日期": born.isoformat(), **over})

    inflow = {"流动情况": "流入", "流入流出地": "河北省保定市"}
    probationary = {"党员状态": "预备党员", "转正日期": ""}
    first = [
        person(1, **inflow, **{"是否失联": "是"}),
        person(2, **inflow),
        person(3, **probationary),
        person(4),
        woman(),  # at the other village: probationary, outflow
    ]
    report = import_roster(write_csv(tmp_path / "a.csv", first), actor=None, dry_run=False,
                           workers=workers)  # fmt: skip
    assert report.applied and report.created == 5, report.problems
    assert counters.rebuild(check_only=True) == []
    village = counters.read([tree.village_a1.pk])[tree.village_a1.pk]
    assert village["members.total"] == (4, 4)
    assert village["members.inflow"] == (2, 2)
    later = [person(5, **probationary, **{"是否失联": "是"}), person(6, **{"是否失联": "是"})]
    report = import_roster(write_csv(tmp_path / "b.csv", later), actor=None, dry_run=False,
                           workers=workers)  # fmt: skip
    assert report.applied and report.created == 2
    assert counters.rebuild(check_only=True) == []
    town = counters.read([tree.town_a1.pk])[tree.town_a1.pk]  # both villages' town
    assert town["members.total"] == (0, 7)
    assert town["members.lost_contact"] == (0, 3)
    assert town["members.inflow"] == (0, 2)
    assert town["members.outflow"] == (0, 1)
    assert town["members.probationary"] == (0, 3)


@pytest.mark.parametrize("had_members", [True, False], ids=["roster", "empty"])
def test_a_member_entered_while_the_file_was_checked_fails_the_import(
    tree, tmp_path, monkeypatch, had_members
):
    """Between the whole-file checks and the writing (on SQLite the rows are checked before
    the write lock is taken) someone enters one of the file's people: the import's counts
    for new members no longer hold, so it writes nothing and says so. Into an empty roster
    too, whose rows were not compared with anyone."""
    from massline.members.roster_import import file_checks

    if not had_members and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL loads an empty roster in one transaction from the start")
    if had_members:
        import_roster(write_csv(tmp_path / "a.csv", [row()]), actor=None, dry_run=False)
    summarize = file_checks.summarize

    def and_meanwhile(report, empty, *columns):
        summarize(report, empty, *columns)
        member_create(
            actor=None, org=tree.village_a1, name="王丽", gender="female", ethnicity="01",
            id_number=ID_B, join_date=date(2019, 9, 1), status="probationary",
            category="employed",
        )  # fmt: skip

    monkeypatch.setattr(file_checks, "summarize", and_meanwhile)
    path = write_csv(tmp_path / "b.csv", [woman(), row(**{"公民身份号码": ID_C,
                     "出生日期": "1978-01-30"})])  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        import_roster(path, actor=None, dry_run=False)
    assert caught.value.code == "changed_meanwhile"
    assert not Member.objects.filter(id_number_hash=crypto.lookup_hash(ID_C)).exists()


def test_a_first_load_reports_row_problems_and_repeated_numbers_together(tree, tmp_path):
    report = problems_of(
        tmp_path, [row(), woman(**{"民族": "火星族"}), row(**{"姓名": "巴特尔二"})]
    )
    assert [(p.row, p.column) for p in report.problems] == [(3, "民族"), (4, "公民身份号码")]
    assert "row 2" in report.problems[1].message or "第 2 行" in report.problems[1].message


def test_a_changed_row_updates_the_member_and_moves_counters(tree, tmp_path):
    import_roster(write_csv(tmp_path / "a.csv", [row(), woman()]), actor=None, dry_run=False)
    b = Member.objects.get(id_number_hash=crypto.lookup_hash(ID_B))
    changed = woman(**{"党员状态": "正式党员", "转正日期": "2020-09-01", "流动情况": "",
                       "流入流出地": "", "是否失联": "是", "手机号码": "13800001111",
                       "姓名": "單麗"})  # fmt: skip
    report = import_roster(
        write_csv(tmp_path / "b.csv", [row(), changed]), actor=None, dry_run=False
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    b.refresh_from_db()
    assert (b.status, b.full_date, b.mobility, b.lost_contact) == (
        "full", date(2020, 9, 1), "", True,
    )  # fmt: skip
    assert crypto.decrypt(b.phone_enc) == "13800001111" and b.phone_masked == "138****1111"
    # a new name is found and sorted by its new words (单 read as a surname, shàn)
    assert (b.name, b.name_folded, b.name_key) == ("單麗", "单丽", name_sort_key("单丽"))
    assert b.name_key.startswith("shan4")
    assert b.events.filter(kind=MemberEventKind.UPDATED).count() == 1
    town = counters.read([tree.town_a1.pk])[tree.town_a1.pk]
    assert town["members.probationary"] == (0, 0)
    assert town["members.outflow"] == (0, 0)
    assert town["members.lost_contact"] == (0, 1)
    assert counters.rebuild(check_only=True) == []


def test_an_import_keeps_members_entered_by_hand(tree, tmp_path):
    member_create(
        actor=None, org=tree.branch_b1, name="李明", gender="male", ethnicity="01",
        id_number=ID_C, join_date=date(2005, 1, 1), status="full", category="retired",
    )  # fmt: skip
    report = import_roster(write_csv(tmp_path / "r.csv", [row()]), actor=None, dry_run=False)
    assert report.created == 1
    assert Member.objects.count() == 2
    assert counters.rebuild(check_only=True) == []


def test_inflow_members_take_part_at_their_organization(tree, tmp_path):
    path = write_csv(
        tmp_path / "r.csv", [row(**{"流动情况": "流入", "流入流出地": "河北省保定市"})]
    )
    import_roster(path, actor=None, dry_run=False)
    m = Member.objects.get()
    assert (m.mobility, m.attached_org_id) == ("inflow", tree.village_a1.pk)


def test_full_width_input_is_accepted_and_normalised(tree, tmp_path):
    wide = str.maketrans("0123456789X-", "０１２３４５６７８９Ｘ－")
    path = write_csv(
        tmp_path / "r.csv",
        [row(**{"公民身份号码": ID_A.translate(wide), "手机号码": "１３９１２３４５６７８",
                "入党日期": "２０１０－０７－０１", "所在党组织编码": "１５０１０２１０１２０１"})],
    )  # fmt: skip
    report = import_roster(path, actor=None, dry_run=False)
    assert report.ok, report.problems
    m = Member.objects.get()
    assert m.id_number_hash == crypto.lookup_hash(ID_A)
    assert m.join_date == date(2010, 7, 1)


@pytest.mark.parametrize(
    "value",
    ["2019年9月1日", "2019.9.1", "2019/09/01", "43709", "2019-09-01"],
)
def test_dates_in_the_forms_people_write_them(tree, tmp_path, value):
    path = write_csv(tmp_path / "r.csv", [woman(**{"入党日期": value})])
    report = import_roster(path, actor=None, dry_run=False)
    assert report.ok, report.problems
    assert Member.objects.get().join_date == date(2019, 9, 1)


def test_excel_dates_and_serial_numbers(tree, tmp_path):
    rows = [row(**{"入党日期": date(2010, 7, 1), "转正日期": 40725, "出生日期": ""})]
    report = import_roster(write_xlsx(tmp_path / "r.xlsx", rows), actor=None, dry_run=False)
    assert report.ok, report.problems
    m = Member.objects.get()
    assert (m.join_date, m.full_date) == (date(2010, 7, 1), date(2011, 7, 1))


def test_blank_rows_are_skipped_and_counted(tree, tmp_path):
    path = write_csv(tmp_path / "r.csv", [row(), [""] * 15, [], woman(), ["  "] * 15])
    report = import_roster(path, actor=None, dry_run=False)
    assert report.ok and report.blank_rows == 3 and report.created == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_are_detected(tree, tmp_path, encoding):
    path = write_csv(tmp_path / "r.csv", [row(), woman()], encoding=encoding)
    report = import_roster(path, actor=None, dry_run=False)
    assert report.ok, report.problems
    assert set(Member.objects.values_list("name", flat=True)) == {"巴特尔", "王丽"}


def test_an_exported_formula_escape_is_read_back(tree, tmp_path):
    path = write_csv(tmp_path / "r.csv", [row(**{"流动情况": "流出", "流入流出地": "'=外地"})])
    report = import_roster(path, actor=None, dry_run=False)
    assert report.ok, report.problems
    assert Member.objects.get().mobility_place == "=外地"


# -- bad rows ------------------------------------------------------------------------------------


def problems_of(tmp_path, rows, **kwargs):
    report = import_roster(write_csv(tmp_path / "r.csv", rows), actor=None, dry_run=False, **kwargs)
    assert not report.ok and not report.applied
    nothing_written()
    return report


def wrong_checksum(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:17] + last


@pytest.mark.parametrize(
    ("over", "column", "words"),
    [
        ({"公民身份号码": wrong_checksum(ID_A)}, "公民身份号码", "check digit"),
        ({"公民身份号码": "1501021985"}, "公民身份号码", "18"),
        ({"公民身份号码": ID_A[:6] + "********" + ID_A[14:]}, "公民身份号码", "masked"),
        ({"出生日期": "1985-03-15"}, "出生日期", "birth date"),
        ({"性别": "女"}, "性别", "gender"),
        ({"性别": "M"}, "性别", "男"),
        ({"民族": "火星族"}, "民族", ""),
        ({"所在党组织编码": "999999999999"}, "所在党组织编码", "scope"),
        ({"所在党组织编码": "150102101000"}, "所在党组织编码", "branch"),
        ({"所在党组织编码": ""}, "所在党组织编码", "missing"),
        ({"姓名": ""}, "姓名", "name"),
        ({"入党日期": "2019-02-30"}, "入党日期", ""),
        ({"入党日期": "2000-01-01"}, "入党日期", "18th"),
        ({"入党日期": "2099-01-01"}, "入党日期", "future"),
        ({"转正日期": "2009-01-01"}, "转正日期", "before the join date"),
        ({"党员状态": "预备党员"}, "转正日期", "probationary"),
        ({"党员状态": "党员"}, "党员状态", "正式党员"),
        ({"人员类别": "干部"}, "人员类别", "在职"),
        ({"学历": "博士后"}, "学历", "研究生"),
        ({"手机号码": "12345"}, "手机号码", ""),
        ({"流动情况": "外出"}, "流动情况", "流出"),
        ({"流入流出地": "北京"}, "流入流出地", "blank"),
        ({"是否失联": "不知道"}, "是否失联", "是"),
        ({"姓名": '=HYPERLINK("http://x")'}, "姓名", "formula"),
        ({"公民身份号码": "=1+1"}, "公民身份号码", "formula"),
        ({"支部职务": "书记员"}, "支部职务", "支部书记"),
        ({"支部职务": "secretary"}, "支部职务", "blank"),
        ({"党小组": "第" * 65}, "党小组", "64"),
        ({"党小组": "=A1"}, "党小组", "formula"),
    ],
)
def test_each_bad_cell_is_reported_by_row_and_column(tree, tmp_path, over, column, words, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        report = problems_of(tmp_path, [woman(), row(**over)])
    assert report.problem_count >= 1
    p = report.problems[0]
    assert (p.row, p.column) == (3, column), report.problems
    assert words.lower() in p.message.lower(), p.message
    for problem in report.problems:
        assert ID_A not in problem.value + problem.message
        assert ID_A[6:14] not in problem.value + problem.message


def test_messages_are_in_chinese_by_default(tree, tmp_path):
    report = problems_of(tmp_path, [row(**{"公民身份号码": wrong_checksum(ID_A)})])
    assert "校验" in report.problems[0].message or "身份" in report.problems[0].message


def test_the_same_id_twice_names_the_first_row(tree, tmp_path, workers):
    report = problems_of(tmp_path, [row(), woman(), row(**{"姓名": "巴特尔二"})], workers=workers)
    assert [(p.row, p.column) for p in report.problems] == [(4, "公民身份号码")]
    assert "2" in report.problems[0].message
    assert report.problems[0].value == ID_A[:6] + "********" + ID_A[14:]


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_same_id_written_two_ways_is_the_same_id_twice(tree, tmp_path, workers, dry_run):
    """One row read by the column checks, the other (full-width digits) by the careful path:
    their repeat keys agree, so the repeat is found (in a dry run and in a first load)."""
    wide = ID_A.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    rows = [row(), woman(), row(**{"姓名": "巴特尔二", "公民身份号码": wide})]
    path = write_csv(tmp_path / "r.csv", rows)
    report = import_roster(path, actor=None, dry_run=dry_run, workers=workers)
    assert [(p.row, p.column) for p in report.problems] == [(4, "公民身份号码")]
    nothing_written()


def test_repeat_keys_are_equal_exactly_for_equal_numbers():
    hashes = [crypto.lookup_hash(n) for n in (ID_A, ID_B, ID_C, ID_A)]
    keys = repeat_keys(pl.Series(hashes)).to_list()
    assert keys[0] == keys[3] and len(set(keys[:3])) == 3
    assert all(0 <= k < 2**60 for k in keys)


def test_a_false_alarm_of_the_repeat_keys_reports_nothing(tree, tmp_path, monkeypatch):
    """Two different numbers sharing a key (one chance in a million in a province) only
    make the import ask the database, which finds no repeat."""
    from massline.members.roster_import import intake

    monkeypatch.setattr(intake, "may_repeat", lambda keys: True)
    with CaptureQueriesContext(connection) as queries:
        report = import_roster(write_csv(tmp_path / "r.csv", [row(), woman()]), actor=None,
                               dry_run=True)  # fmt: skip
    assert report.ok and report.valid_rows == 2
    # the database was asked, and found nothing
    assert any("GROUP BY id_number_hash" in q["sql"] for q in queries.captured_queries)


def test_a_person_at_another_organization_needs_a_transfer(tree, tmp_path):
    member_create(
        actor=None, org=tree.branch_b1, name="巴特尔", gender="male", ethnicity="02",
        id_number=ID_A, join_date=date(2010, 7, 1), status="full", category="employed",
    )  # fmt: skip
    report = import_roster(write_csv(tmp_path / "r.csv", [row()]), actor=None, dry_run=False)
    assert not report.ok and "中共东河区财政局支部委员会" in report.problems[0].message
    assert Member.objects.get().org == tree.branch_b1


def test_an_organization_outside_the_importers_scope_writes_nothing(
    tree, tmp_path, make_user, workers
):
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    rows = [row(), woman(**{"所在党组织编码": tree.branch_b1.code})]
    report = import_roster(
        write_csv(tmp_path / "r.csv", rows), actor=user, dry_run=False, workers=workers
    )
    assert [(p.row, p.column) for p in report.problems] == [(3, "所在党组织编码")]
    nothing_written()


def test_a_member_outside_the_scope_is_not_revealed(tree, tmp_path, make_user):
    member_create(
        actor=None, org=tree.branch_b1, name="巴特尔", gender="male", ethnicity="02",
        id_number=ID_A, join_date=date(2010, 7, 1), status="full", category="employed",
    )  # fmt: skip
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    report = import_roster(write_csv(tmp_path / "r.csv", [row()]), actor=user, dry_run=False)
    assert not report.ok
    assert "东河区" not in report.problems[0].message


def test_id_numbers_never_reach_the_log(tree, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    problems_of(
        tmp_path,
        [row(**{"出生日期": "1985-03-15"}), woman(**{"公民身份号码": wrong_checksum(ID_B)})],
    )
    assert ID_A not in caplog.text and ID_B[:17] not in caplog.text


def test_an_import_that_ends_a_members_stay_elsewhere_brings_them_home(tree, tmp_path):
    """An inflow member attached to another branch (by the member service) whom a file lists
    with no mobility takes part at their own branch again: the counters of both ends follow
    and the places that hold records about them (orgs.placement) hear of it."""
    from massline.members.models import Mobility
    from massline.members.services import member_set_mobility
    from massline.orgs import placement

    heard = []
    placement.on_moved(heard.extend)
    try:
        member = member_create(
            actor=None, org=tree.village_a1, name="巴特尔", gender="", ethnicity="02",
            id_number=ID_A, join_date=date(2010, 7, 1), status="full", category="employed",
            full_date=date(2011, 7, 1),
        )  # fmt: skip
        member_set_mobility(
            actor=None, member=member, mobility=Mobility.INFLOW, since=date(2024, 1, 1),
            place="包头市", attached_org=tree.village_a2,
        )  # fmt: skip
        assert counters.read([tree.village_a2.pk])[tree.village_a2.pk]["members.hosted"] == (1, 1)
        heard.clear()
        # when the file keeps him inflow: he stays where he is attached
        kept = write_csv(tmp_path / "a.csv", [row(**{"流动情况": "流入", "流入流出地": "包头市"})])
        report = import_roster(kept, actor=None, dry_run=False, workers=0)
        assert report.applied, report.problems
        assert Member.objects.get(pk=member.pk).attached_org_id == tree.village_a2.pk
        assert heard == []
        # when the file says he no longer lives elsewhere
        home = write_csv(tmp_path / "b.csv", [row()])
        report = import_roster(home, actor=None, dry_run=False, workers=0)
        # then
        assert report.applied and report.updated == 1, report.problems
        assert Member.objects.get(pk=member.pk).attached_org_id is None
        assert counters.rebuild(check_only=True) == []
        hosted = counters.read([tree.village_a2.pk])[tree.village_a2.pk]["members.hosted"]
        assert hosted == (0, 0)
        assert [(m.member_id, m.from_org_id, m.to_org_id) for m in heard] == [
            (member.pk, tree.village_a2.pk, tree.village_a1.pk)
        ]
    finally:
        placement.forget(heard.extend)
