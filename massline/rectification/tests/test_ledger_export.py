"""The ledger export (整改台账): the file's cells read back, the k rule in 群众评价, the reader's
scope, the filters and their bad values, the page and the API, the audit row."""

from __future__ import annotations

import json

import openpyxl
import pytest
from django.utils import timezone

from massline.conftest import api_client, login_client
from massline.core import jobs
from massline.core.models import AuditEvent, Job, JobStatus
from massline.rectification import workflow
from massline.rectification.fix_services import fix_act
from massline.rectification.models import Fix

from .conftest import TODAY, a_fix, a_problem

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def rows_of(job: Job) -> list[tuple]:
    assert job.status == JobStatus.DONE, job.error
    path = jobs.folder(job) / job.result["files"][0]["name"]
    book = openpyxl.load_workbook(path, read_only=True)
    return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def export(client, org, **filters) -> Job:
    response = client.post(f"/rectification/orgs/{org.pk}/export/", filters, **ZH)
    job = Job.objects.order_by("-pk").first()
    assert job is not None and response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    return job


def evaluated(fix, a: int, b: int, c: int) -> None:
    """The round's figures as the evaluation service keeps them on the fix."""
    Fix.objects.filter(pk=fix.pk).update(satisfied=a, basically_satisfied=b, unsatisfied=c)


@pytest.fixture
def ledger(tree, people):
    """At the village: a fix in progress, one closed out and evaluated by 3, one closed out and
    evaluated by 6, one overdue in its second round; at the other village one more."""
    p = a_problem(tree.village_a1, actor=people.village, description="村务公开栏长期不更新")
    f1 = a_fix(p, actor=people.village, co_orgs=[tree.village_a2])
    closed = []
    for n in (3, 6):
        f = a_fix(p, actor=people.village, measure=f"措施{n}")
        fix_act(
            actor=people.village, fix=f, action=workflow.REQUEST_CLOSE, note="完成", today=TODAY
        )
        fix_act(actor=people.town, fix=f, action=workflow.APPROVE_CLOSE, today=TODAY)
        closed.append(f)
    evaluated(closed[0], 2, 1, 0)
    evaluated(closed[1], 3, 2, 1)
    late = a_fix(p, actor=people.village, measure="返工措施")
    fix_act(actor=people.village, fix=late, action=workflow.REQUEST_CLOSE, note="完成", today=TODAY)
    fix_act(actor=people.town, fix=late, action=workflow.APPROVE_CLOSE, today=TODAY)
    fix_act(actor=people.town, fix=late, action=workflow.REWORK, note="群众不认可", today=TODAY)
    Fix.objects.filter(pk=late.pk).update(overdue=True)
    other = a_fix(a_problem(tree.village_a2, actor=people.other_village), measure="另一村")
    return f1, closed, late, other


def test_the_file_has_the_title_the_columns_and_a_row_per_fix(tree, people, ledger):
    # given
    f1, _closed, _late, _other = ledger
    # when the village exports its ledger
    rows = rows_of(export(login_client(people.village), tree.village_a1))
    # then a title with the organization and the day, the usual columns, one row per fix
    assert tree.village_a1.name in rows[0][0] and "整改台账" in rows[0][0]
    assert timezone.localdate().isoformat() in rows[0][0]
    assert rows[1] == (
        "序号", "问题描述", "整改措施", "责任单位", "责任人", "整改时限", "完成情况", "群众评价",
    )  # fmt: skip
    body = rows[2:]
    assert [r[0] for r in body] == [1, 2, 3, 4]
    first = body[0]
    assert first[1] == "村务公开栏长期不更新" and first[2] == f1.measure
    assert first[3] == f"{tree.village_a1.name}（配合：{tree.village_a2.name}）"
    assert first[4] == "王书记"
    assert first[5] == f"{f1.deadline.isoformat()}（限期整改）"
    assert (first[6], first[7]) == ("整改中", "未评价")
    assert body[1][6] == f"已于 {TODAY.isoformat()} 销号"
    # the k rule: 3 evaluations are not broken down, 6 are
    assert body[1][7] == "评价 3 份（不足 5 份不分项）"
    assert body[2][7] == "满意 3 / 基本满意 2 / 不满意 1"
    assert body[3][6] == "整改中；超期；第 2 轮返工"
    # and the export is audited with its row count
    record = AuditEvent.objects.get(action="rectification.ledger_export")
    assert record.org_id == tree.village_a1.pk and record.after["count"] == 4


def test_k_comes_from_the_settings(tree, people, ledger, settings):
    # given a k of 3
    settings.RECTIFICATION_EVALUATION_K = 3
    # when
    rows = rows_of(export(login_client(people.village), tree.village_a1))
    # then three evaluations are broken down
    assert rows[3][7] == "满意 2 / 基本满意 1 / 不满意 0"


def test_nothing_outside_the_readers_scope(tree, people, ledger):
    # given a fix elsewhere in the county too
    a_fix(a_problem(tree.county_a2))
    # when the township exports, then both its villages' fixes and nothing else
    town = rows_of(export(login_client(people.town), tree.town_a1))
    assert len(town) - 2 == 5
    assert {r[3].split("（")[0] for r in town[2:]} == {tree.village_a1.name, tree.village_a2.name}
    # when the village exports, then its own only
    assert len(rows_of(export(login_client(people.village), tree.village_a1))) - 2 == 4
    # and the village cannot export the township's ledger, nor the other village's
    client = login_client(people.village)
    before = Job.objects.count()
    assert client.post(f"/rectification/orgs/{tree.town_a1.pk}/export/").status_code == 404
    assert client.post(f"/rectification/orgs/{tree.village_a2.pk}/export/").status_code == 404
    assert Job.objects.count() == before


def test_the_filters_narrow_the_rows(tree, people, ledger):
    client = login_client(people.village)
    assert len(rows_of(export(client, tree.village_a1, state="closed"))) - 2 == 2
    assert len(rows_of(export(client, tree.village_a1, overdue="1"))) - 2 == 1
    assert len(rows_of(export(client, tree.village_a1, overdue="0", kind="immediate"))) == 2
    assert Job.objects.order_by("-pk").first().params["filters"] == {
        "kind": "immediate",
        "overdue": "0",
    }


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("state", "done", "未知的状态"),
        ("kind", "someday", "未知的整改类型"),
        ("overdue", "maybe", "超期"),
    ],
)
def test_a_bad_filter_is_refused_with_its_field_and_no_job(tree, people, field, value, words):
    client = login_client(people.village)
    # when the page is sent a bad value
    response = client.post(
        f"/rectification/orgs/{tree.village_a1.pk}/export/", {field: value}, **ZH
    )
    # then it says which, and nothing starts
    assert response.status_code == 400
    assert words in response.content.decode() and value in response.content.decode()
    # and so does the API
    api = api_client(people.village)
    response = api.post(
        f"/api/v1/rectification/orgs/{tree.village_a1.pk}/export",
        json.dumps({field: value}),
        content_type="application/json",
        **ZH,
    )
    assert response.status_code == 400 and response.json()["field"] == field
    assert not Job.objects.exists()


def test_the_api_starts_the_export_and_returns_the_job(tree, people, ledger):
    api = api_client(people.village)
    response = api.post(
        f"/api/v1/rectification/orgs/{tree.village_a1.pk}/export",
        json.dumps({"state": "in_progress"}),
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert response.json()["url"] == f"/jobs/{job.pk}/"
    assert len(rows_of(job)) - 2 == 2
    outside = api.post(
        f"/api/v1/rectification/orgs/{tree.town_a1.pk}/export",
        "{}",
        content_type="application/json",
    )
    assert outside.status_code == 404


@pytest.mark.parametrize("body", ["[null, null]", '"state"', "7"])
def test_the_api_refuses_a_body_that_is_not_the_filters(tree, people, body):
    # Schemathesis found an array accepted as "no filters"
    api = api_client(people.village)
    response = api.post(
        f"/api/v1/rectification/orgs/{tree.village_a1.pk}/export",
        body,
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not Job.objects.exists()


def test_the_page_shows_the_filters_and_the_job_page_the_file(tree, people, ledger):
    client = login_client(people.village)
    page = client.get(f"/rectification/orgs/{tree.village_a1.pk}/export/?state=closed", **ZH)
    assert page.status_code == 200
    text = page.content.decode()
    assert "导出整改台账" in text and 'value="closed" selected' in text
    job = export(client, tree.village_a1)
    shown = client.get(f"/jobs/{job.pk}/", **ZH).content.decode()
    assert f"/jobs/{job.pk}/files/ledger.xlsx" in shown
    assert client.get(f"/jobs/{job.pk}/files/ledger.xlsx").status_code == 200


def test_an_ongoing_fix_shows_its_kind_as_time_limit(tree, people):
    p = a_problem(tree.village_a1, actor=people.village)
    a_fix(p, actor=people.village, kind="ongoing", deadline=None)
    rows = rows_of(export(login_client(people.village), tree.village_a1))
    assert rows[2][5] == "长期坚持"


def test_the_page_names_a_bad_value_in_the_ledgers_link(tree, people):
    client = login_client(people.village)
    page = client.get(f"/rectification/orgs/{tree.village_a1.pk}/export/?kind=someday", **ZH)
    assert page.status_code == 400 and "未知的整改类型 someday" in page.content.decode()
