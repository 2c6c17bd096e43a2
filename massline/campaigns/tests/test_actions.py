"""Campaign actions: definitions, checklists computed from windows, completion with evidence
and its refusals (each one names what and where and writes nothing), withdrawal, counters and
their recount (decision 0017)."""

from __future__ import annotations

import datetime as dt

import pytest

from massline.campaigns import action_services, checklist, evidence
from massline.campaigns.models import ActionDefinition, Completion, EvidenceFile
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.orgs import counters

from .action_fixtures import HTML, PDF, PNG, docx, upload, window
from .conftest import make_campaign

pytestmark = pytest.mark.django_db


def figures(org) -> dict[str, tuple[int, int]]:
    return counters.read([org.pk]).get(org.pk, {})


def record(a, org, action, day, **kw):
    return action_services.completion_record(
        actor=None, campaign=a.campaign, org=org, action_id=action.pk, today=day, **kw
    )


def test_required_at_the_campaign_optional_below(acts):
    assert acts.study.required and not acts.meeting.required


def test_checklists_inherit_down_the_tree_and_filter_by_kind(acts):
    t = acts.tree
    day = window(acts.campaign, t.village_a1).starts_on
    village = checklist.checklist(acts.campaign, t.village_a1, day)
    assert [i.action.pk for i in village] == [acts.study.pk, acts.meeting.pk]
    town = checklist.checklist(acts.campaign, t.town_a1, day)  # a committee, not a branch
    assert [i.action.pk for i in town] == [acts.study.pk]
    other = checklist.checklist(acts.campaign, t.branch_b1, day)  # outside 新城区
    assert [i.action.pk for i in other] == [acts.study.pk]


def test_due_dates_come_from_each_window_and_status_follows_the_clock(acts):
    t = acts.tree
    row = window(acts.campaign, t.county_a1)
    due = row.starts_on + dt.timedelta(days=5)

    def status(day):
        return checklist.checklist(acts.campaign, t.county_a1, day)[0]

    assert status(row.starts_on - dt.timedelta(days=1)).status == checklist.NOT_OPEN
    assert status(row.starts_on).due_on == due
    assert status(due).status == checklist.DUE
    assert status(due + dt.timedelta(days=1)).status == checklist.LATE


def test_checklist_reads_are_a_few_queries(acts, django_assert_max_num_queries):
    t = acts.tree
    with django_assert_max_num_queries(4):
        checklist.checklist(acts.campaign, t.village_a1, dt.date.today())


def test_recording_and_withdrawing_move_the_counters_up_the_tree(acts, evidence_dir):
    t = acts.tree
    row = window(acts.campaign, t.village_a1)
    late_day = row.starts_on + dt.timedelta(days=6)
    done = record(acts, t.village_a1, acts.study, late_day, text="学习了", links=["https://a.cn/x"])
    assert done.late and done.due_on == row.starts_on + dt.timedelta(days=5)
    record(
        acts,
        t.village_a1,
        acts.meeting,
        row.starts_on,
        files=[upload("会议记录.pdf", PDF), upload("照片.png", PNG)],
    )
    assert EvidenceFile.objects.count() == 2
    assert all(
        evidence.path_of(f.stored).read_bytes()[:4] in (PDF[:4], PNG[:4])
        for f in EvidenceFile.objects.all()
    )
    for org in (t.village_a1, t.town_a1, t.county_a1, t.root):
        assert figures(org)["campaigns.actions_done"][1] == 2
        assert figures(org)["campaigns.actions_late"][1] == 1
    assert figures(t.village_a1)["campaigns.actions_done"][0] == 2
    assert counters.rebuild(check_only=True) == []
    action_services.completion_withdraw(
        actor=None, campaign=acts.campaign, org=t.village_a1, action_id=acts.study.pk
    )
    assert figures(t.root)["campaigns.actions_done"][1] == 1
    assert figures(t.root)["campaigns.actions_late"][1] == 0
    assert counters.rebuild(check_only=True) == []
    assert AuditEvent.objects.filter(action="campaigns.action_withdraw").count() == 1
    assert AuditEvent.objects.filter(action="campaigns.action_complete").count() == 2


def refused(code, call):
    before = (Completion.objects.count(), EvidenceFile.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as exc:
        call()
    assert exc.value.code == code, exc.value.message
    after = (Completion.objects.count(), EvidenceFile.objects.count(), AuditEvent.objects.count())
    assert after == before
    assert counters.rebuild(check_only=True) == []
    return exc.value


def test_an_action_not_in_the_checklist_is_refused(acts):
    t = acts.tree
    day = window(acts.campaign, t.town_a1).starts_on
    e = refused("not_in_checklist", lambda: record(acts, t.town_a1, acts.meeting, day))
    assert t.town_a1.name in e.message and e.field == "action"
    other = make_campaign(t, "two-studies-2016", org=t.pref_b, start=dt.date(2031, 1, 1))
    foreign = ActionDefinition.objects.create(
        campaign=other,
        org=t.pref_b,
        org_path=t.pref_b.path,
        kind="study",
        title="x",
        due_on=other.ends_on,
    )
    refused("not_in_checklist", lambda: record(acts, t.town_a1, foreign, day))


def test_before_the_window_opens_is_refused(acts):
    t = acts.tree
    day = window(acts.campaign, t.county_a1).starts_on - dt.timedelta(days=1)
    e = refused("window_not_open", lambda: record(acts, t.county_a1, acts.study, day, text="x"))
    assert t.county_a1.name in e.message


def test_a_later_phase_is_refused_early(tree):
    from .conftest import apply

    c = make_campaign(tree, "mass-line-2013", start=dt.date(2030, 6, 1), months=16)
    apply(c, today=dt.date(2030, 1, 1))
    assess = action_services.action_define(
        actor=None, campaign=c, org=tree.root, kind="assessment", title="满意度测评", offset_days=30
    )
    row = window(c, tree.county_a1)
    assert row.phase == "learn"
    ns = type("A", (), {"campaign": c})
    e = refused("not_in_this_phase", lambda: record(ns, tree.county_a1, assess, row.starts_on))
    assert tree.county_a1.name in e.message
    item = checklist.checklist(c, tree.county_a1, row.starts_on)[0]
    assert item.status == checklist.NOT_OPEN and item.open_reason == "phase"


def test_already_done_is_refused(acts):
    t = acts.tree
    day = window(acts.campaign, t.county_a1).starts_on
    record(acts, t.county_a1, acts.study, day, text="x")
    refused("already_done", lambda: record(acts, t.county_a1, acts.study, day, text="x"))


@pytest.mark.parametrize(
    ("files", "code", "named"),
    [
        ([upload("报告.pdf", HTML)], "evidence_type", "报告.pdf"),
        ([upload("报告.exe", b"MZ\x90\x00")], "evidence_type", "报告.exe"),
        ([upload("照片.pdf", PNG)], "evidence_name", "照片.pdf"),
        ([upload("a.zip.docx", b"PK\x03\x04" + b"\0" * 30)], "evidence_type", "a.zip.docx"),
        ([upload("大.pdf", PDF + b"\0" * evidence.MAX_BYTES)], "evidence_too_big", "大.pdf"),
    ],
)
def test_bad_evidence_files_are_refused(acts, files, code, named):
    t = acts.tree
    day = window(acts.campaign, t.village_a1).starts_on
    e = refused(code, lambda: record(acts, t.village_a1, acts.meeting, day, files=files))
    assert named in e.message and e.field == "attachments"


def test_office_documents_pass_by_content(acts):
    t = acts.tree
    day = window(acts.campaign, t.village_a1).starts_on
    record(acts, t.village_a1, acts.meeting, day, files=[upload("记录.docx", docx())])
    assert EvidenceFile.objects.get().content_type.endswith("wordprocessingml.document")


def test_missing_required_evidence_and_bad_links_are_refused(acts):
    t = acts.tree
    day = window(acts.campaign, t.village_a1).starts_on
    e = refused("evidence_missing", lambda: record(acts, t.village_a1, acts.study, day))
    assert e.field == "text"
    e = refused("evidence_missing", lambda: record(acts, t.village_a1, acts.meeting, day))
    assert e.field == "attachments"
    refused(
        "link",
        lambda: record(
            acts, t.village_a1, acts.study, day, text="x", links=["javascript:alert(1)"]
        ),
    )


def test_a_user_outside_their_scope_is_refused(acts, make_user):
    t = acts.tree
    day = window(acts.campaign, t.branch_b1).starts_on
    user = make_user("org_admin", t.county_a1)
    before = Completion.objects.count()
    with pytest.raises(Forbidden) as exc:
        action_services.completion_record(
            actor=user,
            campaign=acts.campaign,
            org=t.branch_b1,
            action_id=acts.study.pk,
            text="x",
            today=day,
        )
    assert t.branch_b1.name in exc.value.message
    assert Completion.objects.count() == before
    supervisor = make_user("supervisor", t.county_a1)
    with pytest.raises(Forbidden):
        action_services.completion_record(
            actor=supervisor,
            campaign=acts.campaign,
            org=t.county_a1,
            action_id=acts.study.pk,
            text="x",
            today=day,
        )


def test_withdrawing_what_was_not_done_is_refused(acts):
    t = acts.tree
    refused(
        "not_done",
        lambda: action_services.completion_withdraw(
            actor=None, campaign=acts.campaign, org=t.county_a1, action_id=acts.study.pk
        ),
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "dancing"}, "kind"),
        ({"title": " "}, "title"),
        ({"due_on": None, "offset_days": None}, "due_on"),
        ({"offset_days": 3}, "due_on"),
        ({"due_on": dt.date(2000, 1, 1)}, "due_on"),
        ({"levels": [9]}, "levels"),
        ({"kinds": ["club"]}, "kinds"),
        ({"unit_types": ["moon"]}, "unit_types"),
        ({"evidence_file": "maybe"}, "evidence_file"),
    ],
)
def test_bad_definitions_are_refused(w, changes, field):
    data = {
        "kind": "study",
        "title": "学习",
        "due_on": w.campaign.ends_on,
        "offset_days": None,
        **changes,
    }
    with pytest.raises(ApplicationError) as exc:
        action_services.action_define(actor=None, campaign=w.campaign, org=w.tree.root, **data)
    assert exc.value.field == field
    assert not ActionDefinition.objects.exists()


def test_a_definition_outside_the_campaign_and_removal(acts):
    t = acts.tree
    other = make_campaign(t, "two-studies-2016", org=t.pref_b, start=dt.date(2031, 1, 1))
    with pytest.raises(ApplicationError) as exc:
        action_services.action_define(
            actor=None, campaign=other, org=t.pref_a, kind="study", title="x", offset_days=1
        )
    assert t.pref_a.name in exc.value.message
    day = window(acts.campaign, t.county_a1).starts_on
    record(acts, t.county_a1, acts.study, day, text="x")
    with pytest.raises(ApplicationError):
        action_services.action_remove(actor=None, action=acts.study)
    action_services.action_remove(actor=None, action=acts.meeting)
    assert not ActionDefinition.objects.filter(pk=acts.meeting.pk).exists()
