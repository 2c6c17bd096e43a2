"""The hotline and petition import: a good workbook and a GB18030 CSV go in; every bad
input is a row (or the file) refused with a clear message; a dry run writes nothing, an
import with a bad row writes nothing; the counters are exact after an import."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook

from massline.core import crypto
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.opinions import hotline_import as hi
from massline.opinions import hotline_uploads as uploads
from massline.opinions.models import Opinion, OpinionCategory
from massline.orgs import counters as org_counters
from massline.orgs.models import OrgCounter

HEADER = ["受理日期", "诉求内容", "来源", "姓名", "联系电话", "分类", "紧急程度", "工单编号"]


def xlsx(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def csv_file(path: Path, rows: list[list[str]], encoding: str, header=HEADER) -> Path:
    text = "\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def clerk(tree, make_user):
    return make_user("org_admin", tree.town_a1)


def dry(clerk, org, path: Path, **kw) -> hi.HotlineReport:
    return hi.hotline_import(actor=clerk, org=org, path=path, file_name=path.name, **kw)


def apply(clerk, org, path: Path) -> hi.HotlineReport:
    report = dry(clerk, org, path)
    return hi.hotline_import(
        actor=clerk, org=org, path=path, file_name=path.name, dry_run=False, token=report.token
    )


def nothing_written() -> None:
    assert Opinion.objects.count() == 0
    assert not OrgCounter.objects.filter(metric__startswith="opinions.", own__gt=0).exists()


def only_problem(report: hi.HotlineReport) -> tuple[int | None, str, str]:
    assert report.problem_count == 1, [p.as_dict() for p in report.problems]
    p = report.problems[0]
    return p.row, p.column, p.message


YESTERDAY = (timezone.localdate() - dt.timedelta(days=1)).isoformat()


# -- good files -------------------------------------------------------------------------------


def test_a_workbook_is_imported_whole_named_and_anonymous_with_counters_exact(
    tree, clerk, tmp_path
):
    # given
    category = OpinionCategory.objects.filter(org__isnull=True).first()
    path = xlsx(
        tmp_path / "12345.xlsx",
        [
            [dt.datetime(2026, 5, 3), "路灯坏了三个月", "热线", "", "", "", "", "GD-001"],
            [
                "2026/5/4",
                "<script>alert(1)</script> 🚧 𠀀",
                "信访",
                "张三丰",
                "13800138000",
                category.title if category else "",
                "紧急",
                "GD-002",
            ],
            ["2026年5月5日", "楼道堆物", "", "", "", "", "复杂", ""],
        ],
    )
    # when
    report = apply(clerk, tree.town_a1, path)
    # then
    assert (report.applied, report.added, report.refused, report.rows) == (True, 3, 0, 3)
    first, second, third = Opinion.objects.order_by("received_on")
    assert first.channel == second.channel == "hotline"
    assert first.anonymous and first.source_ref == "GD-001"
    assert first.received_on == dt.date(2026, 5, 3)
    assert second.text == "<script>alert(1)</script> 🚧 𠀀"
    assert second.anonymous is False
    assert second.name_masked == "张*丰" and second.contact_masked != "13800138000"
    assert crypto.decrypt(second.contact_enc) == "13800138000"
    assert second.urgency == "urgent" and third.urgency == "complex"
    assert second.category_id == (category.pk if category else None)
    assert third.submitter_category == "public" and third.source_ref == ""
    assert second.entered_by == clerk
    assert [o.receipts.count() for o in (first, second, third)] == [1, 1, 1]
    assert org_counters.rebuild(check_only=True) == []
    assert OrgCounter.objects.get(org=tree.town_a1, metric="opinions.channel.hotline").own == 3
    assert OrgCounter.objects.get(org=tree.root, metric="opinions.total").subtree == 3
    event = AuditEvent.objects.get(action="opinions.import")
    assert event.after["added"] == 3


def test_a_gb18030_csv_is_read_with_labels_and_an_organization_below(tree, clerk, tmp_path):
    # given
    header = ["日期", "内容", "人员类别", "受理单位", "工单编号"]
    rows = [[YESTERDAY, "村道积水", "党员", tree.village_a1.name, "X1"]]
    path = csv_file(tmp_path / "信访.csv", rows, "gb18030", header)
    # when
    report = apply(clerk, tree.town_a1, path)
    # then
    assert report.added == 1
    opinion = Opinion.objects.get()
    assert (opinion.org, opinion.org_path) == (tree.village_a1, tree.village_a1.path)
    assert opinion.submitter_category == "member"
    assert opinion.text == "村道积水"
    assert org_counters.rebuild(check_only=True) == []


def test_a_utf8_csv_with_a_bom_and_english_headers_is_read(tree, clerk, tmp_path):
    # given
    path = csv_file(tmp_path / "a.csv", [["2026-05-03", "路面坑洼"]], "utf-8-sig", ["date", "text"])
    # when
    report = dry(clerk, tree.town_a1, path)
    # then
    assert (report.ok, report.added) == (True, 1)


def test_the_dry_run_writes_nothing(tree, clerk, tmp_path):
    # given
    path = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "路灯坏了", "", "", "", "", "", "T1"]])
    # when
    report = dry(clerk, tree.town_a1, path)
    # then
    assert (report.ok, report.added, report.dry_run, bool(report.token)) == (True, 1, True, True)
    nothing_written()
    assert not AuditEvent.objects.filter(action="opinions.import").exists()


# -- the import needs a dry run of the same file ------------------------------------------------


def test_an_import_without_the_dry_runs_token_is_refused(tree, clerk, tmp_path):
    path = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "路灯坏了"]], HEADER[:2])
    with pytest.raises(ApplicationError) as exc:
        hi.hotline_import(actor=clerk, org=tree.town_a1, path=path, dry_run=False, token="x")
    assert exc.value.code == "no_dry_run"
    nothing_written()


def test_the_token_of_another_file_does_not_import_this_one(tree, clerk, tmp_path):
    first = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "路灯坏了"]], HEADER[:2])
    token = dry(clerk, tree.town_a1, first).token
    other = xlsx(tmp_path / "b.xlsx", [[YESTERDAY, "别的内容"]], HEADER[:2])
    with pytest.raises(ApplicationError):
        hi.hotline_import(actor=clerk, org=tree.town_a1, path=other, dry_run=False, token=token)
    nothing_written()


def test_an_import_with_a_bad_row_writes_nothing(tree, clerk, tmp_path):
    # given
    path = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "好的一行"], [YESTERDAY, ""]], HEADER[:2])
    token = dry(clerk, tree.town_a1, path).token
    # when
    with pytest.raises(ApplicationError) as exc:
        hi.hotline_import(actor=clerk, org=tree.town_a1, path=path, dry_run=False, token=token)
    # then
    assert exc.value.code == "bad_rows"
    nothing_written()


def test_permission_is_refused_without_opinions_enter(tree, make_user, tmp_path):
    supervisor = make_user("supervisor", tree.town_a1)
    path = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "路灯坏了"]], HEADER[:2])
    with pytest.raises(Forbidden):
        dry(supervisor, tree.town_a1, path)


def test_permission_is_refused_above_the_users_organization(tree, clerk, tmp_path):
    path = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "路灯坏了"]], HEADER[:2])
    with pytest.raises(Forbidden):
        dry(clerk, tree.county_a1, path)


# -- bad files --------------------------------------------------------------------------------


def test_a_missing_required_column_refuses_the_file(tree, clerk, tmp_path):
    path = xlsx(tmp_path / "a.xlsx", [["路灯坏了", "热线"]], ["诉求内容", "来源"])
    with pytest.raises(ApplicationError) as exc:
        dry(clerk, tree.town_a1, path)
    assert exc.value.field == "file" and "受理日期" in exc.value.message


def test_a_file_that_is_not_a_spreadsheet_is_refused(tree, clerk, tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"just some text, not a workbook")
    with pytest.raises(ApplicationError) as exc:
        dry(clerk, tree.town_a1, path)
    assert exc.value.code == "not_xlsx"


def test_an_old_xls_file_is_refused(tree, clerk, tmp_path):
    path = tmp_path / "a.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(ApplicationError) as exc:
        dry(clerk, tree.town_a1, path)
    assert exc.value.code == "old_xls"


def test_too_many_rows_refuse_the_file(tree, clerk, tmp_path, monkeypatch):
    monkeypatch.setattr(hi, "MAX_ROWS", 3)
    path = csv_file(
        tmp_path / "a.csv", [[YESTERDAY, f"第{i}条"] for i in range(4)], "utf-8", HEADER[:2]
    )
    with pytest.raises(ApplicationError) as exc:
        dry(clerk, tree.town_a1, path)
    assert exc.value.code == "too_many_rows"


def test_a_file_too_large_is_refused_on_upload(clerk, monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(hi, "MAX_BYTES", 10)
    with pytest.raises(ApplicationError) as exc:
        uploads.keep_upload([b"x" * 8, b"x" * 8], actor=clerk, file_name="a.csv")
    assert exc.value.code == "too_large"
    assert list((tmp_path / "hotline-imports").iterdir()) == []


# -- bad rows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ([YESTERDAY, ""], "诉求内容", "为空"),
        ([YESTERDAY, "长" * 2001], "诉求内容", "2001"),
        (["2026-02-30", "路灯"], "受理日期", "2026-02-30"),
        (["昨天", "路灯"], "受理日期", "昨天"),
        (
            [(timezone.localdate() + dt.timedelta(days=3)).isoformat(), "路灯"],
            "受理日期",
            "晚于今天",
        ),
    ],
    ids=["empty text", "oversized text", "no such day", "not a date", "future date"],
)
def test_a_bad_cell_is_reported_by_row_and_column(tree, clerk, tmp_path, cells, column, words):
    # given
    path = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "好的一行"], cells], HEADER[:2])
    # when
    report = dry(clerk, tree.town_a1, path)
    # then
    row, col, message = only_problem(report)
    assert (row, col) == (3, column)
    assert words in message or words in report.problems[0].value
    assert (report.added, report.refused) == (1, 1)
    nothing_written()


@pytest.mark.parametrize(
    ("column", "value", "reported", "words"),
    [
        ("分类", "没有这个分类", "分类", "没有这个分类"),
        ("受理单位", "不存在的单位", "受理单位", "不存在的单位"),
        ("受理单位", "@branch_b1", "受理单位", "中共保合少镇委员会"),
        ("姓名", "张三", "联系电话", "联系电话"),
        ("来源", "微博", "来源", "微博"),
    ],
    ids=["unknown category", "unknown org", "org outside the subtree", "name alone", "source"],
)
def test_a_bad_optional_cell_is_reported(tree, clerk, tmp_path, column, value, reported, words):
    # given
    if value.startswith("@"):
        value = getattr(tree, value[1:]).name
    path = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "路灯", value]], ["日期", "内容", column])
    # when
    row, col, message = only_problem(dry(clerk, tree.town_a1, path))
    # then
    assert (row, col) == (2, reported)
    assert words in message
    nothing_written()


def test_an_unknown_urgency_and_submitter_are_reported(tree, clerk, tmp_path):
    path = xlsx(
        tmp_path / "a.xlsx",
        [[YESTERDAY, "路灯", "特急", "外星人"]],
        ["日期", "内容", "紧急程度", "人员类别"],
    )
    report = dry(clerk, tree.town_a1, path)
    assert sorted(p.column for p in report.problems) == ["人员类别", "紧急程度"]
    assert report.refused == 1


def test_a_bad_phone_number_is_reported_without_showing_it(tree, clerk, tmp_path):
    path = xlsx(
        tmp_path / "a.xlsx",
        [[YESTERDAY, "路灯", "张三", "1380013"]],
        ["日期", "内容", "姓名", "联系电话"],
    )
    report = dry(clerk, tree.town_a1, path)
    row, column, _message = only_problem(report)
    assert (row, column, report.problems[0].value) == (2, "联系电话", "")


def test_a_ticket_twice_in_the_file_is_reported_on_the_later_row(tree, clerk, tmp_path):
    rows = [[YESTERDAY, "路灯", "T9"], [YESTERDAY, "路灯又坏", "T9"]]
    path = xlsx(tmp_path / "a.xlsx", rows, ["日期", "内容", "工单编号"])
    report = dry(clerk, tree.town_a1, path)
    row, column, message = only_problem(report)
    assert (row, column, report.duplicates) == (3, "工单编号", 1)
    assert "2" in message


def test_a_ticket_imported_before_is_refused(tree, clerk, tmp_path):
    # given
    first = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "路灯", "T7"]], ["日期", "内容", "工单编号"])
    apply(clerk, tree.town_a1, first)
    again = xlsx(
        tmp_path / "b.xlsx",
        [[YESTERDAY, "路灯", "T7"], [YESTERDAY, "新的", "T8"]],
        ["日期", "内容", "工单编号"],
    )
    # when
    report = dry(clerk, tree.town_a1, again)
    # then
    row, column, message = only_problem(report)
    assert (row, column, report.duplicates, report.added) == (2, "工单编号", 1, 1)
    assert "T7" in message
    assert Opinion.objects.count() == 1


# -- the page and the API ---------------------------------------------------------------------


def workbook_bytes(rows, header=HEADER[:2]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_the_page_checks_then_imports_the_file(tree, clerk, settings, tmp_path):
    # given
    from massline.conftest import login_client

    settings.VAR_DIR = tmp_path
    client = login_client(clerk)
    url = f"/opinions/orgs/{tree.town_a1.pk}/import/"
    assert client.get(url).status_code == 200
    # when
    page = client.post(
        url, {"file": upload("a.xlsx", workbook_bytes([[YESTERDAY, "<b>路灯</b>"]]))}
    )
    # then
    assert page.status_code == 200
    assert 'data-testid="confirm-form"' in page.content.decode()
    nothing_written()
    key = page.context["key"]
    token = page.context["report"].token
    done = client.post(
        f"{url}confirm/", {"key": key, "token": token, "file_name": "a.xlsx", "encoding": "auto"}
    )
    assert done.status_code == 302
    assert Opinion.objects.get().text == "<b>路灯</b>"
    assert list((tmp_path / "hotline-imports").iterdir()) == []
    inbox = client.get(f"/opinions/orgs/{tree.town_a1.pk}/").content.decode()
    assert 'data-testid="import-link"' in inbox
    assert "&lt;b&gt;路灯" in inbox


def test_the_page_shows_the_bad_rows_and_no_confirmation(tree, clerk, settings, tmp_path):
    from massline.conftest import login_client

    settings.VAR_DIR = tmp_path
    client = login_client(clerk)
    page = client.post(
        f"/opinions/orgs/{tree.town_a1.pk}/import/",
        {"file": upload("a.xlsx", workbook_bytes([[YESTERDAY, ""]]))},
    )
    body = page.content.decode()
    assert 'data-testid="problems"' in body and 'data-testid="confirm-form"' not in body
    assert "诉求内容" in body
    assert list((tmp_path / "hotline-imports").iterdir()) == []


def test_the_page_and_template_are_refused_without_opinions_enter(tree, make_user):
    from massline.conftest import login_client

    client = login_client(make_user("supervisor", tree.town_a1))
    assert client.get(f"/opinions/orgs/{tree.town_a1.pk}/import/").status_code == 403
    assert client.get(f"/opinions/orgs/{tree.town_a1.pk}/import/template.xlsx").status_code == 403
    inbox = client.get(f"/opinions/orgs/{tree.town_a1.pk}/").content.decode()
    assert 'data-testid="import-link"' not in inbox


def test_the_template_has_the_columns(tree, clerk, tmp_path):
    from python_calamine import CalamineWorkbook

    from massline.conftest import login_client

    response = login_client(clerk).get(f"/opinions/orgs/{tree.town_a1.pk}/import/template.xlsx")
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert tuple(rows[0]) == hi.TEMPLATE_HEADERS


def test_the_api_dry_run_then_import(tree, clerk, settings, tmp_path):
    # given
    from massline.conftest import api_client

    settings.VAR_DIR = tmp_path
    client = api_client(clerk)
    url = f"/api/v1/opinions/imports?org={tree.town_a1.pk}"
    data = workbook_bytes([[YESTERDAY, "路灯"], [YESTERDAY, ""]])
    # when
    report = client.post(url, {"file": upload("a.xlsx", data)})
    # then
    assert report.status_code == 200, report.content
    body = report.json()
    assert (body["added"], body["refused"], body["dry_run"]) == (1, 1, True)
    assert body["problems"][0] == {
        "row": 3,
        "column": "诉求内容",
        "value": "",
        "message": body["problems"][0]["message"],
    }
    refused = client.post(
        url, {"file": upload("a.xlsx", data), "dry_run": "false", "token": body["token"]}
    )
    assert refused.status_code == 400
    nothing_written()
    good = workbook_bytes([[YESTERDAY, "路灯"]])
    token = client.post(url, {"file": upload("b.xlsx", good)}).json()["token"]
    done = client.post(url, {"file": upload("b.xlsx", good), "dry_run": "false", "token": token})
    assert done.status_code == 200 and done.json()["applied"] is True
    assert Opinion.objects.count() == 1


def test_the_api_refuses_an_organization_out_of_reach(tree, clerk, settings, tmp_path):
    from massline.conftest import api_client

    settings.VAR_DIR = tmp_path
    client = api_client(clerk)
    data = workbook_bytes([[YESTERDAY, "路灯"]])
    response = client.post(
        f"/api/v1/opinions/imports?org={tree.branch_b1.pk}", {"file": upload("a.xlsx", data)}
    )
    assert response.status_code == 404


def test_two_columns_for_the_same_field_refuse_the_file(tree, clerk, tmp_path):
    path = xlsx(tmp_path / "a.xlsx", [[YESTERDAY, "路灯", "路灯"]], ["日期", "诉求内容", "内容"])
    with pytest.raises(ApplicationError) as exc:
        dry(clerk, tree.town_a1, path)
    assert exc.value.code == "bad_header" and "内容" in exc.value.message


def test_a_checked_file_never_imported_is_removed_a_day_later(clerk, settings, tmp_path):
    # given
    import os
    import time

    settings.VAR_DIR = tmp_path
    old = uploads.keep_upload([b"a,b\r\n"], actor=clerk, file_name="old.csv")
    day_ago = time.time() - uploads.KEEP_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    # when
    new = uploads.keep_upload([b"a,b\r\n"], actor=clerk, file_name="new.csv")
    # then
    assert not old.exists() and new.exists()
    assert uploads.kept_upload(actor=clerk, key=new.name) == new
    assert uploads.kept_upload(actor=clerk, key="../" + new.name) is None
