"""Member export: the file is exactly the import template (headers, labels, dates), formulas
are defused, numbers are in full only for a role that may see them everywhere in the export,
the list is read in keyset batches, large exports become a job, and nothing outside the
viewer's scope is written. The command: output, errors, exit codes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from urllib.parse import parse_qs

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext as _
from django.utils.translation import override

from massline.access.models import DataScope
from massline.access.services import assignment_create
from massline.conftest import login_client
from massline.core import jobs
from massline.core.models import AuditEvent, Job, JobStatus
from massline.members import roster_export as export
from massline.members import template
from massline.members.idnumber import make_id
from massline.members.models import Member
from massline.members.roster_export import writers
from massline.members.services import member_create, member_mark_lost, member_set_mobility

HEADERS = [
    "姓名",
    "性别",
    "民族",
    "公民身份号码",
    "出生日期",
    "学历",
    "人员类别",
    "入党日期",
    "转正日期",
    "党员状态",
    "所在党组织编码",
    "手机号码",
    "流动情况",
    "流入流出地",
    "是否失联",
    "党小组",
    "支部职务",
]


def add(org, name, seq, *, status="full", birth=dt.date(1980, 5, 17), phone="13800138000", **kw):
    number = make_id("150102", birth, seq)
    member = member_create(
        actor=None,
        org=org,
        name=name,
        gender="",
        ethnicity=kw.pop("ethnicity", "02"),
        id_number=number,
        join_date=dt.date(2005, 7, 1),
        status=status,
        category=kw.pop("category", "employed"),
        full_date=dt.date(2006, 7, 1) if status == "full" else None,
        phone=phone,
        education=kw.pop("education", "university"),
        party_group=kw.pop("party_group", ""),
        position=kw.pop("position", ""),
    )
    return member, number


@pytest.fixture
def roster(tree):
    a1, a1_id = add(
        tree.village_a1,
        "张国华",
        1,
        education="postgraduate",
        party_group="第一党小组",
        position="secretary",
    )
    a2, a2_id = add(
        tree.village_a2, "额尔敦·巴特尔", 2, status="probationary", phone="", ethnicity="02"
    )
    b1, b1_id = add(tree.branch_b1, "其其格", 3, category="farmer_herder")
    member_mark_lost(actor=None, member=a2, since=dt.date(2024, 3, 1))
    member_set_mobility(
        actor=None, member=a1, mobility="outflow", since=dt.date(2023, 1, 1), place="北京市朝阳区"
    )
    return {"a1": a1, "a1_id": a1_id, "a2": a2, "a2_id": a2_id, "b1": b1, "b1_id": b1_id}


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "CSV starts with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes | Path) -> dict[str, list[list[str]]]:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    book = openpyxl.load_workbook(source, read_only=True)
    sheets = {}
    for sheet in book.worksheets:
        sheets[sheet.title] = [
            ["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    book.close()
    return sheets


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def post_export(client, fmt, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(f"/members/export/{'?' + qs if qs else ''}", {"format": fmt})


# -- the template ----------------------------------------------------------------------------


def test_csv_is_the_import_template_with_labels_dates_and_full_numbers(tree, roster, make_user):
    # given a regional administrator who may see full numbers everywhere in their scope
    client = login_client(make_user("org_admin", tree.pref_a))
    # when
    response = post_export(client, "csv")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        "filename*=utf-8''%E5%85%9A%E5%91%98%E8%8A%B1%E5%90%8D%E5%86%8C"
        in (response["Content-Disposition"])
    )
    assert response["Cache-Control"] == "no-store"
    rows = read_csv(body(response))
    assert rows[0] == HEADERS == list(template.HEADERS)
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"张国华", "额尔敦·巴特尔"}
    assert by_name["张国华"] == [
        "张国华",
        template.GENDER_LABELS[roster["a1"].gender],
        "蒙古族",
        roster["a1_id"],
        "1980-05-17",
        "研究生",
        "在职",
        "2005-07-01",
        "2006-07-01",
        "正式党员",
        "150102101201",
        "13800138000",
        "流出",
        "北京市朝阳区",
        "否",
        "第一党小组",
        "支部书记",
    ]
    bater = by_name["额尔敦·巴特尔"]
    assert bater[3] == roster["a2_id"] and bater[8] == "" and bater[9] == "预备党员"
    assert bater[11] == "" and bater[12] == "" and bater[14] == "是"
    assert bater[15:] == ["", ""]


def test_xlsx_is_the_same_template_all_text(tree, roster, make_user):
    client = login_client(make_user("org_admin", tree.pref_a))
    csv_rows = read_csv(body(post_export(client, "csv")))
    response = post_export(client, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response["Content-Disposition"]
    sheets = read_xlsx(body(response))
    assert list(sheets) == ["花名册"]
    rows = sheets["花名册"]
    # every cell is text (an ID number is not a number, a date not a date)
    assert all(isinstance(v, str) for row in rows for v in row)
    assert rows == csv_rows


def test_masked_numbers_for_a_role_without_the_need(tree, roster, make_user):
    client = login_client(make_user("supervisor", tree.root))
    rows = read_csv(body(post_export(client, "csv")))
    text = "\n".join(",".join(r) for r in rows)
    assert len(rows) == 4
    for key in ("a1_id", "a2_id", "b1_id"):
        assert roster[key] not in text
    assert roster["a1"].id_masked in text and "138****8000" in text
    event = AuditEvent.objects.get(action="members.export")
    assert event.after["full_numbers"] is False and event.after["count"] == 3


def test_full_numbers_only_when_the_right_covers_the_whole_export(tree, roster, make_user, roles):
    # given a user who sees the roster of the whole region but full numbers only in one county
    user = make_user("supervisor", tree.root)
    assignment_create(
        actor=None,
        user=user,
        role=roles["org_admin"],
        org=tree.county_a1,
        scope=DataScope.SUBTREE,
        valid_from=dt.date.today() - dt.timedelta(days=1),
        valid_to=None,
        custom_orgs=[],
    )
    client = login_client(user)
    # when exporting everything: masked (the export reaches beyond the county)
    everything = body(post_export(client, "csv")).decode("utf-8-sig")
    assert roster["a1_id"] not in everything and roster["b1_id"] not in everything
    # when exporting the county: in full
    county = body(post_export(client, "csv", org=tree.county_a1.pk)).decode("utf-8-sig")
    assert roster["a1_id"] in county and roster["a2_id"] in county
    assert roster["b1_id"] not in county
    full = AuditEvent.objects.filter(action="members.export").order_by("id").last()
    assert full.after == {
        "count": 2,
        "format": "csv",
        "full_numbers": True,
        "filters": {"org": tree.county_a1.code},
    }
    assert full.org_id == tree.county_a1.pk


def test_this_org_and_custom_scopes_decide_full_numbers_org_by_org(tree, roster, make_user):
    branch_admin = login_client(make_user("org_admin", tree.village_a1, "this_org"))
    text = body(post_export(branch_admin, "csv")).decode("utf-8-sig")
    assert roster["a1_id"] in text and "额尔敦" not in text
    team = login_client(
        make_user("supervisor", tree.root, "custom", custom=[tree.village_a1, tree.village_a2])
    )
    text = body(post_export(team, "csv")).decode("utf-8-sig")
    assert "额尔敦·巴特尔" in text and roster["a2_id"] not in text


def test_audit_row_never_holds_a_number(tree, roster, make_user):
    client = login_client(make_user("org_admin", tree.root))
    post_export(client, "csv", q=roster["a1_id"])
    event = AuditEvent.objects.get(action="members.export")
    assert roster["a1_id"] not in str(event.after) and roster["a1_id"][-4:] not in str(event.after)
    assert event.after["filters"] == {"q": "***"} and event.after["count"] == 1


def test_formulas_are_defused_in_both_formats(tree, make_user):
    # given members whose text starts like a formula
    risky = ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "'quoted"]
    for i, name in enumerate(risky):
        add(tree.village_a1, name, 10 + i)
    client = login_client(make_user("org_admin", tree.root))
    expected = {"'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "''quoted"}
    csv_names = {r[0] for r in read_csv(body(post_export(client, "csv")))[1:]}
    xlsx_rows = read_xlsx(body(post_export(client, "xlsx")))["花名册"][1:]
    assert csv_names == expected
    assert {r[0] for r in xlsx_rows} == expected
    # and the importer's reading gives back exactly the stored names
    assert {template.unprotect(n) for n in csv_names} == set(risky)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+8613800138000", "'+8613800138000"),
        ("-", "'-"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'x", "''x"),
        ("x=1", "x=1"),
        ("", ""),
        ("150102-A001", "150102-A001"),
    ],
)
def test_protect_and_unprotect(text, written):
    assert template.protect(text) == written
    assert template.unprotect(written) == text


def test_gb18030_safe_and_rare_characters_survive(tree, make_user):
    # given names with characters outside GB2312 and a Mongolian-style name
    names = ["𠮷野家", "那日苏·孟和", "䶮", "乌力吉·巴雅尔"]
    for i, name in enumerate(names):
        add(tree.village_a1, name, 20 + i)
    client = login_client(make_user("org_admin", tree.root))
    csv_names = [r[0] for r in read_csv(body(post_export(client, "csv")))[1:]]
    xlsx_names = [r[0] for r in read_xlsx(body(post_export(client, "xlsx")))["花名册"][1:]]
    assert sorted(csv_names) == sorted(xlsx_names) == sorted(names)
    for name in names:  # every one can also be written in GB18030
        name.encode("gb18030")


# -- filters, scope, streaming ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"张国华", "额尔敦·巴特尔", "其其格"}),
        ({"status": "probationary"}, {"额尔敦·巴特尔"}),
        ({"lost_contact": "1"}, {"额尔敦·巴特尔"}),
        ({"mobility": "any"}, {"张国华"}),
        ({"category": "farmer_herder"}, {"其其格"}),
        ({"q": "巴特"}, {"额尔敦·巴特尔"}),
        ({"ethnicity": "01"}, set()),
    ],
)
def test_export_keeps_the_list_filters(tree, roster, make_user, query, expected):
    client = login_client(make_user("org_admin", tree.root, "all"))
    rows = read_csv(body(post_export(client, "csv", **query)))
    assert {r[0] for r in rows[1:]} == expected


def test_nothing_outside_the_viewers_subtree_is_exported(tree, roster, make_user):
    client = login_client(make_user("campaign_office", tree.pref_b))
    rows = read_csv(body(post_export(client, "csv")))
    assert [r[0] for r in rows[1:]] == ["其其格"]
    # an organization outside the scope is 404, as on the list page
    assert post_export(client, "csv", org=tree.pref_a.pk).status_code == 404
    assert not AuditEvent.objects.filter(action="members.export", org_id=tree.pref_a.pk).exists()


def test_export_access_rules(tree, roster, make_user, client):
    assert client.post("/members/export/", {"format": "csv"}).status_code == 302  # login
    nobody = login_client(make_user("member", tree.village_a1))
    assert post_export(nobody, "csv").status_code == 403
    viewer = login_client(make_user("supervisor", tree.root))
    assert post_export(viewer, "pdf").status_code == 400
    assert viewer.get("/members/export/?format=csv").status_code == 405


def test_list_page_has_export_buttons_keeping_the_filters(tree, roster, make_user):
    client = login_client(make_user("supervisor", tree.root))
    page = client.get("/members/", {"status": "full", "org": tree.pref_a.pk, "after": "x:1"})
    html = page.content.decode()
    action = re.search(r'action="/members/export/\?([^"]*)" [^>]*data-testid="export"', html)
    assert action is not None
    assert parse_qs(action.group(1).replace("&amp;", "&")) == {
        "org": [str(tree.pref_a.pk)],
        "status": ["full"],
    }
    assert 'name="format" value="xlsx"' in html and 'name="format" value="csv"' in html


def test_large_lists_are_read_in_keyset_batches(tree, make_user, settings):
    # given 23 members and batches of 5
    settings.MEMBER_EXPORT_BATCH = 5
    for i in range(23):
        add(tree.village_a1 if i % 2 else tree.village_a2, f"成员{i}", 100 + i)
    members = Member.objects.all()
    # when
    with CaptureQueriesContext(connection) as queries:
        rows = list(export.iter_rows(members, full_numbers=False))
    # then every member once, in tree order, read in 5 queries of at most 5 rows
    assert len(rows) == 23 and len({r[3] for r in rows}) == 23
    selects = [q["sql"] for q in queries.captured_queries if "members_member" in q["sql"]]
    assert len(selects) == 5
    assert all("LIMIT 5" in sql for sql in selects)
    ordered = list(Member.objects.order_by("org_path", "id").values_list("id_masked", flat=True))
    assert [r[3] for r in rows] == ordered


def test_streamed_csv_holds_every_row_over_many_batches(tree, make_user, settings):
    settings.MEMBER_EXPORT_BATCH = 4
    for i in range(11):
        add(tree.village_a1, f"成员{i}", 200 + i)
    client = login_client(make_user("org_admin", tree.root))
    response = post_export(client, "csv")
    assert response.streaming
    rows = read_csv(body(response))
    assert len(rows) == 12 and len({r[3] for r in rows[1:]}) == 11


def test_xlsx_continues_on_a_second_sheet_past_the_sheet_limit(tree, make_user, settings):
    # given a sheet of 3 members (and its header)
    settings.MEMBER_EXPORT_SHEET_ROWS = 3
    for i in range(7):
        add(tree.village_a1, f"成员{i}", 300 + i)
    client = login_client(make_user("org_admin", tree.root))
    sheets = read_xlsx(body(post_export(client, "xlsx")))
    assert list(sheets) == ["花名册", "花名册2", "花名册3"]
    assert [len(rows) for rows in sheets.values()] == [4, 4, 2]
    assert all(rows[0] == HEADERS for rows in sheets.values())
    names = [r[0] for rows in sheets.values() for r in rows[1:]]
    assert sorted(names) == sorted(f"成员{i}" for i in range(7))


@pytest.mark.parametrize(("setting", "rows"), [(3, 3), (10_000_000, 1_048_575), (0, 1)])
def test_the_sheet_size_setting_stays_within_what_a_sheet_holds(settings, setting, rows):
    settings.MEMBER_EXPORT_SHEET_ROWS = setting
    assert writers.sheet_rows() == rows


# -- the background job ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_above_the_threshold_the_export_is_a_job(tree, roster, make_user, settings, fmt):
    # given a threshold of 2 rows
    settings.MEMBER_EXPORT_STREAM_MAX = 2
    user = make_user("org_admin", tree.pref_a)
    client = login_client(user)
    # when 2 rows: sent at once
    assert post_export(client, fmt, org=tree.pref_a.pk).status_code == 200
    assert not Job.objects.exists()
    # when 3 rows (everything, for a root user)
    admin = make_user("org_admin", tree.root)
    client = login_client(admin)
    response = post_export(client, fmt, status="")
    # then a job, and the user is sent to its page
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.kind == "members.export" and job.actor == admin
    assert job.status == JobStatus.DONE, job.error
    assert job.result["count"] == 3 and job.result["full_numbers"] is True
    assert (job.done, job.total) == (3, 3)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "导出" in page and f"/jobs/{job.pk}/files/members.{fmt}" in page
    download = client.get(f"/jobs/{job.pk}/files/members.{fmt}")
    assert download.status_code == 200
    assert (
        "filename*=utf-8''%E5%85%9A%E5%91%98%E8%8A%B1%E5%90%8D%E5%86%8C"
        in (download["Content-Disposition"])
    )
    data = body(download)
    rows = read_csv(data) if fmt == "csv" else read_xlsx(data)["花名册"]
    assert rows[0] == HEADERS and len(rows) == 4
    assert roster["b1_id"] in {r[3] for r in rows}
    event = AuditEvent.objects.filter(action="members.export").order_by("id").last()
    assert event.actor == admin and event.after["count"] == 3
    # another user cannot see the job or its file
    other = login_client(make_user("org_admin", tree.root))
    assert other.get(f"/jobs/{job.pk}/").status_code == 404
    assert other.get(f"/jobs/{job.pk}/files/members.{fmt}").status_code == 404
    # and no .part file is left
    assert sorted(p.name for p in jobs.folder(job).iterdir()) == [f"members.{fmt}"]


def test_job_uses_the_filters_and_the_scope_of_its_user(tree, roster, make_user, settings):
    settings.MEMBER_EXPORT_STREAM_MAX = 0
    client = login_client(make_user("supervisor", tree.pref_a))
    post_export(client, "csv", lost_contact="1")
    job = Job.objects.get()
    rows = read_csv((jobs.folder(job) / "members.csv").read_bytes())
    assert [r[0] for r in rows[1:]] == ["额尔敦·巴特尔"]
    assert roster["a2_id"] not in str(rows) and job.result["full_numbers"] is False


def test_job_fails_clearly_when_the_user_lost_the_organization(tree, roster, make_user):
    user = make_user("supervisor", tree.pref_b)
    job = jobs.enqueue(
        "members.export",
        actor=user,
        params={"filters": {"org": str(tree.pref_a.pk)}, "format": "csv", "language": "zh-hans"},
    )
    with override("zh-hans"):
        expected = _("The organization of this export is no longer in your view.")
    assert job.status == JobStatus.FAILED and job.error == expected
    assert not list(jobs.folder(job).iterdir())


# -- the command -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_command_writes_the_subtree_with_full_numbers(tree, roster, tmp_path, capsys, suffix):
    output = tmp_path / f"out.{suffix}"
    call_command("export-members", "--org", tree.pref_a.code, "--output", str(output))
    rows = read_csv(output.read_bytes()) if suffix == "csv" else read_xlsx(output)["花名册"]
    assert rows[0] == HEADERS
    assert {r[3] for r in rows[1:]} == {roster["a1_id"], roster["a2_id"]}
    captured = capsys.readouterr()
    assert "2 / 2" in captured.err
    assert "已将 2 名党员写入" in captured.out and str(output) in captured.out
    assert not list(tmp_path.glob("*.part"))
    event = AuditEvent.objects.get(action="members.export")
    assert event.actor is None and event.after["full_numbers"] is True
    assert event.after["count"] == 2 and roster["a1_id"] not in str(event.after)


def test_command_masked_and_filters(tree, roster, tmp_path):
    output = tmp_path / "out.csv"
    call_command(
        "export-members",
        "--org",
        tree.root.code,
        "--output",
        str(output),
        "--masked",
        "--lost-contact",
        "--no-progress",
    )
    rows = read_csv(output.read_bytes())
    assert [r[0] for r in rows[1:]] == ["额尔敦·巴特尔"]
    assert rows[1][3] == roster["a2"].id_masked


def test_command_errors(tree, roster, tmp_path):
    with pytest.raises(CommandError, match="150999"):
        call_command("export-members", "--org", "150999", "--output", str(tmp_path / "a.csv"))
    with pytest.raises(CommandError, match=r"\.txt"):
        call_command("export-members", "--org", tree.root.code, "--output", str(tmp_path / "a.txt"))
    with pytest.raises(CommandError):
        call_command(
            "export-members", "--org", tree.root.code, "--output", str(tmp_path / "no" / "a.csv")
        )
    assert not list(tmp_path.iterdir())
    assert not AuditEvent.objects.filter(action="members.export").exists()


def test_command_exit_code_is_non_zero_on_error(tree, roster, tmp_path):
    # run_from_argv turns a CommandError into this exit status (it cannot be called here: it
    # closes the database connections the test runs in)
    with pytest.raises(CommandError) as raised:
        call_command("export-members", "--org", "nope", "--output", str(tmp_path / "x.csv"))
    assert raised.value.returncode == 1
    assert "nope" in str(raised.value)
