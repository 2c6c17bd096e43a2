"""The roster import against real files and a real database: every bad input of the issue gets
a clear per-row or per-file answer and nothing is written; good files are written whole, once."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from massline.access.models import DataScope
from massline.core import crypto
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

    def and_meanwhile(report, empty):
        summarize(report, empty)
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
                       "流入流出地": "", "是否失联": "是", "手机号码": "13800001111"})  # fmt: skip
    report = import_roster(
        write_csv(tmp_path / "b.csv", [row(), changed]), actor=None, dry_run=False
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    b.refresh_from_db()
    assert (b.status, b.full_date, b.mobility, b.lost_contact) == (
        "full", date(2020, 9, 1), "", True,
    )  # fmt: skip
    assert crypto.decrypt(b.phone_enc) == "13800001111" and b.phone_masked == "138****1111"
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


def _wrong_checksum(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:17] + last


@pytest.mark.parametrize(
    ("over", "column", "words"),
    [
        ({"公民身份号码": _wrong_checksum(ID_A)}, "公民身份号码", "check digit"),
        ({"公民身份号码": "1501021985"}, "公民身份号码", "18"),
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
    report = problems_of(tmp_path, [row(**{"公民身份号码": _wrong_checksum(ID_A)})])
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
        [row(**{"出生日期": "1985-03-15"}), woman(**{"公民身份号码": _wrong_checksum(ID_B)})],
    )
    assert ID_A not in caplog.text and ID_B[:17] not in caplog.text


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
def test_an_export_with_full_numbers_imports_back_unchanged(tree, tmp_path, fmt, monkeypatch):
    from massline.members import export

    rows = [
        row(**{"姓名": "=SUM(A1)", "流动情况": "流出", "流入流出地": "@上海"}),
        woman(**{"姓名": "'王丽"}),
    ]
    first = import_roster(write_csv(tmp_path / "in.csv", rows), actor=None, dry_run=False)
    assert not first.ok  # a formula in the roster itself is refused
    rows[0] = row(**{"姓名": "'=SUM(A1)", "流动情况": "流出", "流入流出地": "'@上海"})
    assert import_roster(write_csv(tmp_path / "in.csv", rows), actor=None, dry_run=False).ok
    before = list(Member.objects.order_by("id").values())
    monkeypatch.setattr(export, "XLSX_SHEET_ROWS", 2)  # one member a sheet: 花名册, 花名册2
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


@pytest.mark.parametrize(
    "cell",
    ["巴特尔", " 巴特尔", "巴特尔 ", "巴 特尔", "巴  特尔", "巴\t特尔", "巴\u3000特尔", "巴\u200b特尔",
     "ＡＢ", "a\nb", "\xa0x", "", " ", "x\x1fy"],
)  # fmt: skip
def test_the_fast_path_cleans_exactly_as_clean_cell(cell):
    import polars as pl

    from massline.core.normalize import clean_cell
    from massline.members.roster_import.columns import dirty_pattern

    for line in (f"ok,{cell},ok", f"{cell},ok", f"ok,{cell}", cell):
        dirty = pl.Series([line]).str.contains(dirty_pattern())[0]
        assert dirty == (clean_cell(cell) != cell), line


@pytest.mark.parametrize("cell", ["=1+1", "'0123", "=", "'"])
def test_the_fast_path_leaves_formulas_and_text_marks_to_the_careful_path(cell):
    import polars as pl

    from massline.members.roster_import.columns import dirty_pattern

    for line in (f"ok,{cell},ok", f"{cell},ok"):
        assert pl.Series([line]).str.contains(dirty_pattern())[0]
    assert not pl.Series(["ok,a=1,b'c"]).str.contains(dirty_pattern())[0]


def test_fast_and_careful_paths_agree_on_every_bad_row(tree):
    from django.utils import timezone

    from massline.members.roster_import import columns
    from massline.members.roster_import.context import Context
    from massline.members.roster_import.importing import scope_orgs
    from massline.members.roster_import.rows import check_row

    ctx = Context(orgs=scope_orgs(None), today=timezone.localdate(), postgres=False)
    cases = [row(), woman()] + [row(**{h: v}) for h, v in [
        ("公民身份号码", _wrong_checksum(ID_A)), ("出生日期", "1985-03-15"), ("性别", "女"),
        ("民族", "火星族"), ("所在党组织编码", "150102101000"), ("入党日期", "2000-01-01"),
        ("转正日期", "2009-01-01"), ("党员状态", "党员"), ("手机号码", "12345"),
        ("流动情况", "外出"), ("流入流出地", "北京"), ("是否失联", "不知道"), ("姓名", "=1"),
        ("姓名", " 巴特尔 "), ("公民身份号码", " " + ID_A), ("入党日期", "2010年7月1日"),
    ]]  # fmt: skip
    rows = [(2 + i, list(cells)) for i, cells in enumerate(cases)]
    accepted, rejected = columns.check(columns.frame_from_rows(rows), ctx)
    fast = {r[0]: r for r in accepted.rows()}
    assert len(fast) + len(rejected) == len(rows)
    for row_no, cells in rows:
        careful, problems = check_row(row_no, list(cells), ctx)
        if row_no in fast:
            assert careful == fast[row_no] and not problems, cells
        else:
            assert careful is not None or problems
    # the first row; the second writes its dates as 1990年11月2日 and 2019.9.1, which the
    # careful path reads; every other row has something wrong
    assert list(fast) == [2]


LEAP = make_id("150102", date(1988, 2, 29), 101)


@pytest.mark.parametrize("split", ["lines", "rows"])
def test_fast_and_careful_paths_agree_on_rows_written_otherwise(tree, split):
    """Right rows written in other ways than the template writes them: whatever the fast path
    accepts, it accepts with the careful path's values; the rest the careful path reads."""
    from django.utils import timezone

    from massline.members.roster_import import columns
    from massline.members.roster_import.context import Context
    from massline.members.roster_import.importing import scope_orgs
    from massline.members.roster_import.rows import check_row

    ctx = Context(orgs=scope_orgs(None), today=timezone.localdate(), postgres=False)
    cases = [row(**over) for over in [
        {"出生日期": ""}, {"性别": ""}, {"学历": ""}, {"转正日期": ""},
        {"公民身份号码": ID_A[:-1] + ID_A[-1].lower()}, {"手机号码": "+8613800138000"},
        {"手机号码": "138 0013 8000"}, {"手机号码": ""}, {"姓名": "張偉"}, {"姓名": "BATU"},
        {"姓名": "巴特尔·图门"}, {"公民身份号码": LEAP, "出生日期": "1988-02-29",
                              "入党日期": "2006-02-28"},
        {"公民身份号码": LEAP, "出生日期": "1988-02-29", "入党日期": "2006-03-01"},
        {"入党日期": "2003-03-14"}, {"入党日期": "2003-03-13"}, {"民族": "蒙古"}, {"民族": "02"},
        {"民族": "2"}, {"流动情况": "流出", "流入流出地": "北京市朝阳区"},
        {"流动情况": "流入", "流入流出地": "包头市"}, {"是否失联": "是"}, {"是否失联": ""},
        {"党员状态": "预备党员", "转正日期": ""}, {"出生日期": "1985-3-14"},
        {"入党日期": "2010-07-01 00:00:00"}, {"所在党组织编码": "１５０１０２１０１２０１"},
        {"转正日期": "2010-07-01"}, {"转正日期": "2010-06-30"},
    ]]  # fmt: skip
    rows = [(2 + i, [str(c) for c in cells]) for i, cells in enumerate(cases)]
    if split == "lines":
        frame = columns.frame_from_lines([",".join(cells) for _n, cells in rows], 2)
    else:
        frame = columns.frame_from_rows(rows)
    accepted, rejected = columns.check(frame, ctx)
    fast = {r[0]: r for r in accepted.rows()}
    assert sorted([*fast, *(2 + i for i in rejected)]) == [n for n, _cells in rows]
    for row_no, cells in rows:
        careful, problems = check_row(row_no, list(cells), ctx)
        if row_no in fast:
            assert careful == fast[row_no] and not problems, cells
        else:
            assert careful is not None or problems, cells
    # what the template writes goes the fast way
    assert {2, 3, 4, 5, 9, 10, 11, 12, 15, 17, 18, 19, 20, 21, 22, 23, 24, 28} <= set(fast)
    assert not {7, 8, 13, 14, 16, 25, 26, 27} & set(fast)


@pytest.mark.django_db(transaction=True)
def test_imported_names_are_folded_for_search_as_the_services_fold_them(tree, tmp_path):
    from massline.core.normalize import fold_for_search

    names = ["張偉", "BATU Erdene", "巴特尔", "王丽"]
    ids = [make_id("150102", date(1980, 1, 1 + i), 101 + 2 * i) for i in range(len(names))]
    path = write_csv(
        tmp_path / "r.csv",
        [
            row(**{"姓名": n, "公民身份号码": i, "出生日期": ""})
            for n, i in zip(names, ids, strict=True)
        ],
    )
    import_roster(path, actor=None, dry_run=False, workers=0)
    folded = dict(Member.objects.values_list("name", "name_folded"))
    assert folded == {n: fold_for_search(n) for n in names}
    assert folded["張偉"] == "张伟" and folded["BATU Erdene"] == "batu erdene"


def test_bulk_encryption_and_hashing_agree_with_one_at_a_time():
    values = ["150102198503141011", "13800138000", "", "巴特尔"]
    tokens = crypto.encrypt_column(values).to_list()
    assert [crypto.decrypt(t) for t in tokens] == values
    assert all(t.startswith("v1:") and "=" not in t for t in tokens)
    assert len(set(crypto.encrypt_column(["x", "x"]).to_list())) == 2  # a nonce each
    assert crypto.lookup_hash_many(values) == [crypto.lookup_hash(v) for v in values]


@pytest.mark.django_db(transaction=True)
def test_workers_started_from_a_thread_come_from_a_fork_server(tree, tmp_path):
    """A job in a web process runs in a thread; its checking processes must not be forked
    from it (they would copy locks other threads hold), and must set Django up themselves."""
    import threading

    path = write_csv(tmp_path / "r.csv", [row(), woman(**{"出生日期": "1990-11-03"})])
    out = {}

    def run():
        out["report"] = import_roster(path, actor=None, dry_run=True, workers=1)

    def run_and_close():
        try:
            run()
        finally:
            connection.close()

    thread = threading.Thread(target=run_and_close)
    thread.start()
    thread.join(60)
    report = out["report"]
    assert report.valid_rows == 1
    assert [(p.row, p.column) for p in report.problems] == [(3, "出生日期")]
    assert "身份证" in report.problems[0].message or "出生" in report.problems[0].message


def test_each_import_checks_against_its_own_scope():
    """The column checks keep the organizations of the import at hand; a later import, with
    another importer's scope, never gets the earlier one's (its dict may take the same
    address once the earlier one is freed)."""
    import datetime as dt

    from massline.members.roster_import import columns
    from massline.members.roster_import.context import Context

    for n in range(1, 40):
        orgs = {f"C{i}": (i, f"P{i}", "branch") for i in range(n)}
        ctx = Context(orgs=orgs, today=dt.date(2026, 1, 1), postgres=False)
        assert sorted(columns.orgs_frame(ctx)["code"].to_list()) == sorted(orgs)
        del ctx, orgs
