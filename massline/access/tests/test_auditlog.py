"""The audit log as people read it: entries in words, filters (dates, person, action,
organization subtree), keyset pages both ways, the `.xlsx` export, and exports and reveals
recorded against the organizations they cover."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone, translation

from massline.access.auditlog import selectors
from massline.access.auditlog.selectors import PAGE
from massline.access.models import DataScope
from massline.conftest import login_client
from massline.core.audit import audit_record
from massline.core.models import AuditEvent, Job, JobStatus
from massline.members import services as members
from massline.orgs.models import OrgKind

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _member(org, actor=None, name="张三", id_number="11010519491231002X"):
    return members.member_create(
        actor=actor,
        org=org,
        name=name,
        gender="female",
        ethnicity="01",
        id_number=id_number,
        join_date=dt.date(2015, 7, 1),
        status="full",
        category="farmer_herder",
    )


def _entries(response):
    return response.context["events"]


# --- in words ----------------------------------------------------------------------------


def test_a_change_reads_as_field_labels_with_old_and_new_values(tree, make_user):
    # given: an organization renamed and given another kind, as orgs.update records it
    admin = make_user("system_admin", tree.root, DataScope.ALL)
    audit_record(
        actor=admin,
        action="orgs.update",
        org=tree.town_a1,
        target=tree.town_a1,
        before={
            "name": "旧名",
            "kind": OrgKind.COMMITTEE,
            "parent": tree.county_a1.pk,
            "path": "x",
        },
        after={
            "name": "新名",
            "kind": OrgKind.GENERAL_BRANCH,
            "parent": tree.county_a1.pk,
            "path": "y",
        },
    )
    # when
    with translation.override("zh-hans"):
        response = login_client(admin).get("/access/audit/", **ZH)
    # then
    entry = _entries(response)[0]
    assert entry.org == tree.town_a1.name
    assert entry.actor == str(admin)
    assert [(c.label, c.old, c.new) for c in entry.changes] == [
        ("名称", "旧名", "新名"),
        ("组织类别", str(OrgKind.COMMITTEE.label), str(OrgKind.GENERAL_BRANCH.label)),
    ]
    content = response.content.decode()
    assert "orgs.organization" not in content
    assert ">orgs.update<" not in content
    assert "{" not in entry.summary()


def test_a_creation_lists_what_was_set_and_a_reveal_names_the_fields(tree, make_user):
    # given
    admin = make_user("system_admin", tree.root, DataScope.ALL)
    member = _member(tree.village_a1, actor=admin)
    members.member_reveal(actor=admin, member=member)
    # when
    with translation.override("zh-hans"):
        response = login_client(admin).get("/access/audit/", **ZH)
    # then
    reveal, create = _entries(response)[:2]
    assert reveal.org == tree.village_a1.name and reveal.target == str(member)
    assert [(c.label, c.new, c.only_new) for c in reveal.changes] == [
        ("字段", "公民身份号码、手机号码", True)
    ]
    labels = {c.label: c.new for c in create.changes}
    assert labels["姓名"] == "张三"
    assert labels["党组织"] == tree.village_a1.name
    assert labels["失联"] == "否"
    assert "11010519491231002X" not in response.content.decode()


def test_a_name_no_longer_there_says_so(tree, make_user):
    # given: an assignment moved between two user ids that no user has any more
    admin = make_user("system_admin", tree.root, DataScope.ALL)
    audit_record(
        actor=None,
        action="access.end",
        org=tree.town_a1,
        target_type="access.roleassignment",
        target_id=5,
        before={"user": 999_999},
        after={"user": 999_998},
    )
    # when
    with translation.override("zh-hans"):
        entry = _entries(login_client(admin).get("/access/audit/", **ZH))[0]
    # then
    [change] = entry.changes
    assert change.label == "用户"
    assert change.old == "用户 999999（已不存在）"
    assert change.new == "用户 999998（已不存在）"


# --- filters -----------------------------------------------------------------------------


@pytest.fixture(params=["in-memory", "walk"])
def way(request, monkeypatch):
    """Both ways a page is read: the filtered ids sorted here, or the log walked newest first
    with conditions no index serves (when the filters keep more than IN_MEMORY rows)."""
    if request.param == "walk":
        monkeypatch.setattr(selectors, "IN_MEMORY", 0)
        # windows of a few ids, so that a page spans several
        monkeypatch.setattr(selectors, "WINDOW", 2)
        monkeypatch.setattr(selectors, "MAX_WINDOW", 8)
    return request.param


@pytest.fixture
def log(tree, make_user, way):
    """Events of two people on two days in two counties."""
    admin = make_user("system_admin", tree.root, DataScope.ALL)
    alice = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    alice.display_name = "李丽"
    alice.save()
    AuditEvent.objects.all().delete()
    events = {
        "old_a1": audit_record(actor=alice, action="members.status", org=tree.village_a1),
        "old_a2": audit_record(actor=admin, action="members.create", org=tree.branch_a2),
        "new_a1": audit_record(actor=alice, action="members.create", org=tree.town_a1),
        "new_b1": audit_record(actor=admin, action="members.status", org=tree.branch_b1),
    }
    long_ago = timezone.now() - timedelta(days=10)
    AuditEvent.objects.filter(pk__in=[events["old_a1"].pk, events["old_a2"].pk]).update(
        created_at=long_ago
    )
    return admin, alice, events


def _shown(response, events):
    pks = {e.event.pk for e in _entries(response)}
    return {k for k, e in events.items() if e.pk in pks}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"old_a1", "old_a2", "new_a1", "new_b1"}),
        ({"action": "members.create"}, {"old_a2", "new_a1"}),
        ({"action": "members."}, {"old_a1", "old_a2", "new_a1", "new_b1"}),
        ({"person": "李丽"}, {"old_a1", "new_a1"}),
        ({"person": "nobody-such"}, set()),
        ({"org": "county_a1"}, {"old_a1", "new_a1"}),
        ({"org": "pref_a", "action": "members.create"}, {"old_a2", "new_a1"}),
        ({"date_from": "today"}, {"new_a1", "new_b1"}),
        ({"date_to": "last_week"}, {"old_a1", "old_a2"}),
    ],
)
def test_filters_keep_what_they_say(tree, log, params, expected):
    # given
    admin, _alice, events = log
    today = timezone.localdate()
    values = {"today": today, "last_week": today - timedelta(days=7)}
    query = {}
    for key, value in params.items():
        if key == "org":
            query[key] = getattr(tree, value).pk
        elif value in values:
            query[key] = values[value].isoformat()
        else:
            query[key] = value
    # when
    response = login_client(admin).get("/access/audit/", query)
    # then
    assert response.status_code == 200
    assert _shown(response, events) == expected


def test_the_person_filter_takes_a_user_name(log):
    admin, alice, events = log
    response = login_client(admin).get("/access/audit/", {"person": alice.username.upper()})
    assert _shown(response, events) == {"old_a1", "new_a1"}


def test_a_filtered_reader_still_sees_only_their_scope(tree, log):
    # given
    _admin, alice, events = log
    # when: the whole of pref_a asked for by someone who sees county_a1
    response = login_client(alice).get("/access/audit/", {"org": tree.pref_a.pk})
    # then
    assert response.status_code == 200
    assert "org" in response.context["filters"].errors
    assert _shown(response, events) == {"old_a1", "new_a1"}


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"date_from": "2026-13-01"}, "date_from", "不是日期"),
        ({"date_from": "2026-12-04", "date_to": "2026-12-01"}, "date_to", "早于"),
        ({"action": "no.such"}, "action", "没有这种操作"),
        ({"org_q": "没有这个组织"}, "org", "没有"),
        ({"org_q": "中共"}, "org", "多个"),
    ],
)
def test_a_filter_that_cannot_be_used_says_which_and_why(log, params, field, words):
    admin, _alice, _events = log
    response = login_client(admin).get("/access/audit/", params, **ZH)
    assert response.status_code == 200
    message = response.context["filters"].errors[field]
    assert words in message
    assert message in response.content.decode()


def test_an_organization_typed_without_the_picker_is_found_by_its_words(tree, log):
    admin, _alice, events = log
    response = login_client(admin).get("/access/audit/", {"org_q": tree.county_a1.name})
    assert response.context["filters"].org == tree.county_a1
    assert _shown(response, events) == {"old_a1", "new_a1"}


# --- pages -------------------------------------------------------------------------------


def test_pages_go_older_and_back_newer(tree, make_user, way):
    # given: two and a half pages
    admin = make_user("system_admin", tree.root, DataScope.ALL)
    AuditEvent.objects.all().delete()
    made = [
        audit_record(actor=None, action="members.status", org=tree.town_a1).pk
        for _ in range(PAGE * 2 + PAGE // 2)
    ]
    client = login_client(admin)
    # when
    first = client.get("/access/audit/", {"action": "members.status"})
    second = client.get("/access/audit/" + first.context["older_url"])
    third = client.get("/access/audit/" + second.context["older_url"])
    back = client.get("/access/audit/" + third.context["newer_url"])
    again = client.get("/access/audit/" + back.context["newer_url"])

    # then
    def pks(r):
        return [e.event.pk for e in _entries(r)]

    assert pks(first) + pks(second) + pks(third) == sorted(made, reverse=True)
    assert third.context["older_url"] == ""
    assert pks(back) == pks(second)
    assert pks(again) == pks(first)
    assert again.context["newer_url"] == ""
    assert "action=members.status" in second.context["older_url"]


# --- export ------------------------------------------------------------------------------


def test_the_export_writes_the_filtered_rows_in_words_and_is_audited(tree, log):
    # given
    _admin, alice, _events = log
    client = login_client(alice)
    # when
    response = client.post("/access/audit/export/", {"action": "members.create"}, **ZH)
    # then
    job = Job.objects.get(kind="access.audit_export")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.DONE, job.error
    book = openpyxl.load_workbook(job_file(job), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2  # the header and the one create in alice's view
    assert rows[1][1] == "李丽"
    assert rows[1][3] == tree.town_a1.name
    record = AuditEvent.objects.get(action="access.audit_export")
    assert record.org_id == tree.county_a1.pk
    assert record.after["count"] == 1


def test_an_export_past_a_sheet_continues_on_the_next(tree, make_user, monkeypatch, tmp_path):
    from massline.access.auditlog import export

    admin = make_user("system_admin", tree.root, DataScope.ALL)
    for _ in range(5):
        audit_record(actor=admin, action="members.status", org=tree.town_a1)
    monkeypatch.setattr(export, "SHEET_ROWS", 3)
    qs = AuditEvent.objects.all()
    count = export.write_workbook(export._entries(qs), tmp_path / "a.xlsx")
    book = openpyxl.load_workbook(tmp_path / "a.xlsx", read_only=True)
    sizes = [len(list(s.iter_rows(values_only=True))) for s in book.worksheets]
    assert count == qs.count()
    assert sum(size - 1 for size in sizes) == count
    assert all(size <= 3 for size in sizes)


def job_file(job):
    from massline.core import jobs

    return jobs.folder(job) / job.result["files"][0]["name"]


# --- exports and reveals reach the levels above ------------------------------------------


def test_an_unfiltered_member_export_is_seen_by_every_level_above(tree, make_user):
    # given
    county = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    prefecture = make_user("campaign_office", tree.pref_a, DataScope.SUBTREE)
    sibling = make_user("org_admin", tree.county_a2, DataScope.SUBTREE)
    _member(tree.village_a1)
    # when
    response = login_client(county).post("/members/export/", {"format": "csv"})
    b"".join(response.streaming_content)
    # then
    record = AuditEvent.objects.get(action="members.export")
    assert record.org_id == tree.county_a1.pk
    for user, sees in ((prefecture, True), (county, True), (sibling, False)):
        shown = _entries(login_client(user).get("/access/audit/", {"action": "members.export"}))
        assert bool(shown) is sees
