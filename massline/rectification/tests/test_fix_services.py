"""The fix services: every step of the map, its refusals, the version check, the one-level-up
approvals, commitments, moves, and the counters (checked against a recount)."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.rectification import workflow
from massline.rectification.fix_services import commitments_publish, fix_act
from massline.rectification.models import (
    Audience,
    Fix,
    FixKind,
    FixState,
    FixStep,
    FixStepKind,
)

from .conftest import TODAY, a_fix, a_problem, figures, no_drift

pytestmark = pytest.mark.django_db


def act(fix, actor, action, **kw):
    kw.setdefault("today", TODAY)
    return fix_act(actor=actor, fix=fix, action=action, **kw)


def test_a_fix_is_recorded_with_its_step_audit_and_counters(tree, people):
    p = a_problem(tree.village_a1, actor=people.village)
    f = a_fix(p, actor=people.village)
    assert (f.state, f.round, f.version) == (FixState.IN_PROGRESS, 1, 1)
    assert f.org == tree.village_a1 and f.origin_org == tree.village_a1
    assert [s.kind for s in FixStep.objects.filter(fix=f)] == [FixStepKind.CREATED]
    assert AuditEvent.objects.filter(action="rectification.fix_create").count() == 1
    assert figures(tree.village_a1, "fixes.total", "fixes.open") == {
        "fixes.total": (1, 1),
        "fixes.open": (1, 1),
    }
    assert figures(tree.root, "fixes.open", "problems.total") == {
        "fixes.open": (0, 1),
        "problems.total": (0, 1),
    }
    no_drift()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"measure": "  "}, "measure"),
        ({"responsible_person": ""}, "responsible_person"),
        ({"kind": "someday"}, "kind"),
        ({"deadline": None}, "deadline"),
        ({"deadline": TODAY - dt.timedelta(days=1)}, "deadline"),
        ({"measure": "长" * 5001}, "measure"),
    ],
)
def test_bad_fixes_are_refused_and_nothing_is_written(tree, people, kw, field):
    p = a_problem(tree.village_a1)
    with pytest.raises(ApplicationError) as e:
        a_fix(p, actor=people.village, **kw)
    assert e.value.field == field
    assert not Fix.objects.exists() and not FixStep.objects.exists()
    no_drift()


def test_an_ongoing_fix_needs_no_deadline(tree, people):
    p = a_problem(tree.village_a1)
    f = a_fix(p, actor=people.village, kind=FixKind.ONGOING, deadline=None)
    assert f.deadline is None
    assert workflow.REQUEST_EXTENSION not in workflow.actions_for(people.village, f)


def test_the_whole_loop_progress_extension_close_out(tree, people):
    f = a_fix(a_problem(tree.village_a1), actor=people.village)
    assert workflow.actions_for(people.village, f) == [
        workflow.PROGRESS,
        workflow.REQUEST_EXTENSION,
        workflow.REQUEST_CLOSE,
        workflow.PREPARE_COMMITMENT,
    ]
    # the township approves the village's steps; the village does not approve its own
    assert workflow.actions_for(people.town, f) == [
        workflow.PROGRESS,
        workflow.REQUEST_EXTENSION,
        workflow.REQUEST_CLOSE,
        workflow.PREPARE_COMMITMENT,
    ]
    act(f, people.village, workflow.PROGRESS, note="已更新 11 月公开栏", public=True)
    f = act(
        f,
        people.village,
        workflow.REQUEST_EXTENSION,
        note="等村民代表会",
        until=TODAY + dt.timedelta(days=60),
    )
    assert f.state == FixState.EXTENSION_REQUESTED
    with pytest.raises(Forbidden):
        act(f, people.village, workflow.APPROVE_EXTENSION)
    f = act(f, people.town, workflow.APPROVE_EXTENSION)
    assert (f.state, f.deadline, f.extension_until) == (
        FixState.IN_PROGRESS,
        TODAY + dt.timedelta(days=60),
        None,
    )
    f = act(f, people.village, workflow.REQUEST_CLOSE, note="连续三个月按时公开")
    assert figures(tree.village_a1, "fixes.state.close_requested")[
        "fixes.state.close_requested"
    ] == (1, 1)
    f = act(f, people.town, workflow.APPROVE_CLOSE)
    assert (f.state, f.closed_on) == (FixState.CLOSED, TODAY)
    assert figures(tree.county_a1, "fixes.open", "fixes.state.closed") == {
        "fixes.open": (0, 0),
        "fixes.state.closed": (0, 1),
    }
    kinds = list(FixStep.objects.filter(fix=f).values_list("kind", flat=True))
    assert kinds == [
        "created",
        "progress",
        "extension_requested",
        "extension_approved",
        "close_requested",
        "close_approved",
    ]
    assert FixStep.objects.get(fix=f, kind="progress").public
    no_drift()


def test_progress_after_close_out_is_refused(tree, people):
    f = a_fix(a_problem(tree.village_a1))
    f = act(f, None, workflow.REQUEST_CLOSE, note="完成")
    f = act(f, None, workflow.APPROVE_CLOSE)
    with pytest.raises(ApplicationError) as e:
        act(f, people.village, workflow.PROGRESS, note="又做了一些")
    assert e.value.code == "fix_state"
    assert "已销号" in str(e.value.message) or "closed out" in str(e.value.message)


def test_an_extension_asked_after_the_deadline_is_refused(tree, people):
    f = a_fix(a_problem(tree.village_a1), deadline=TODAY + dt.timedelta(days=3))
    late = TODAY + dt.timedelta(days=4)
    with pytest.raises(ApplicationError) as e:
        act(
            f,
            people.village,
            workflow.REQUEST_EXTENSION,
            note="来不及",
            until=late + dt.timedelta(days=9),
            today=late,
        )
    assert e.value.code == "past_deadline"
    f.refresh_from_db()
    assert (f.state, f.extension_until, f.version) == (FixState.IN_PROGRESS, None, 1)


def test_an_extension_must_name_a_later_day(tree, people):
    f = a_fix(a_problem(tree.village_a1))
    with pytest.raises(ApplicationError) as e:
        act(f, people.village, workflow.REQUEST_EXTENSION, note="x", until=f.deadline)
    assert e.value.field == "until"


def test_a_close_out_is_not_approved_by_who_asked_for_it(tree, people):
    # the county office may do both sides at a village; it still cannot approve its own request
    f = a_fix(a_problem(tree.village_a1))
    f = act(f, people.county, workflow.REQUEST_CLOSE, note="完成")
    with pytest.raises(ApplicationError) as e:
        act(f, people.county, workflow.APPROVE_CLOSE)
    assert e.value.code == "same_level"
    f.refresh_from_db()
    assert f.state == FixState.CLOSE_REQUESTED
    # the village itself holds no approval one level up
    with pytest.raises(Forbidden):
        act(f, people.village, workflow.APPROVE_CLOSE)
    f = act(f, people.county2, workflow.APPROVE_CLOSE)
    assert f.state == FixState.CLOSED


def test_two_people_closing_at_once_one_wins(tree, people):
    f = a_fix(a_problem(tree.village_a1))
    f = act(f, people.village, workflow.REQUEST_CLOSE, note="完成")
    seen = f.version
    act(Fix.objects.get(pk=f.pk), people.town, workflow.APPROVE_CLOSE, version=seen)
    with pytest.raises(ApplicationError) as e:
        act(
            Fix.objects.get(pk=f.pk), people.town2, workflow.REFUSE_CLOSE, version=seen, note="不行"
        )
    assert e.value.code == "fix_changed"
    assert FixStep.objects.filter(fix=f, kind__in=["close_approved", "close_refused"]).count() == 1


def test_refusals_need_a_reason(tree, people):
    f = a_fix(a_problem(tree.village_a1))
    f = act(f, people.village, workflow.REQUEST_CLOSE, note="完成")
    with pytest.raises(ApplicationError) as e:
        act(f, people.town, workflow.REFUSE_CLOSE, note=" ")
    assert e.value.field == "note"
    f = act(f, people.town, workflow.REFUSE_CLOSE, note="缺村民代表签字")
    assert f.state == FixState.IN_PROGRESS and f.close_requested_by is None


def test_commitments_are_prepared_then_published_together(tree, people):
    p = a_problem(tree.village_a1)
    f1, f2 = a_fix(p), a_fix(p, measure="建立公开台账")
    with pytest.raises(ApplicationError) as e:
        act(f1, people.village, workflow.PREPARE_COMMITMENT, note="承诺", audience="")
    assert e.value.field == "audience"
    for f in (f1, f2):
        act(
            f,
            people.village,
            workflow.PREPARE_COMMITMENT,
            note="每月 5 日前公开",
            audience=Audience.PUBLIC,
            promised_on=TODAY + dt.timedelta(days=20),
        )
    f1.refresh_from_db()
    assert f1.commitment_prepared_at and not f1.published
    assert commitments_publish(actor=people.village, org=tree.village_a1) == 2
    f1.refresh_from_db()
    f2.refresh_from_db()
    assert f1.published and f1.commitment_published_at == f2.commitment_published_at
    assert f1.commitment_published_at >= f1.commitment_prepared_at
    assert figures(tree.town_a1, "fixes.committed")["fixes.committed"] == (0, 2)
    assert commitments_publish(actor=people.village, org=tree.village_a1) == 0
    with pytest.raises(Forbidden):
        commitments_publish(actor=people.other_village, org=tree.village_a1)
    no_drift()


def test_rework_starts_a_new_round_with_time_to_do_it(tree, people):
    f = a_fix(a_problem(tree.village_a1), deadline=TODAY + dt.timedelta(days=2))
    f = act(f, people.village, workflow.REQUEST_CLOSE, note="完成")
    f = act(f, people.town, workflow.APPROVE_CLOSE)
    with pytest.raises(Forbidden):
        act(f, people.village, workflow.REWORK, note="群众不认可")
    f = act(f, people.town, workflow.REWORK, note="群众不认可")
    assert (f.state, f.round, f.reworked, f.closed_on) == (FixState.IN_PROGRESS, 2, True, None)
    assert f.deadline == TODAY + dt.timedelta(days=30)
    assert FixStep.objects.filter(fix=f, round=2).count() == 1
    assert figures(tree.town_a1, "fixes.reworked", "fixes.open") == {
        "fixes.reworked": (0, 1),
        "fixes.open": (0, 1),
    }
    no_drift()


def test_outsiders_and_readers_take_no_step(tree, people):
    f = a_fix(a_problem(tree.village_a1))
    for user in (people.other_village, people.supervisor, people.nobody):
        assert workflow.actions_for(user, f) == []
        with pytest.raises(Forbidden):
            act(f, user, workflow.PROGRESS, note="x")
    assert FixStep.objects.filter(fix=f).count() == 1


def test_evidence_files_come_with_progress_only(tree, people):
    f = a_fix(a_problem(tree.village_a1))
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    f = act(
        f, people.village, workflow.PROGRESS, note="照片", files=[("公开栏.png", io.BytesIO(png))]
    )
    step = FixStep.objects.get(fix=f, kind="progress")
    assert [x.name for x in step.files.all()] == ["公开栏.png"]
    with pytest.raises(ApplicationError) as e:
        act(
            f,
            people.village,
            workflow.PROGRESS,
            note="假图",
            files=[("x.png", io.BytesIO(b"<html>"))],
        )
    assert e.value.field == "attachments"
    with pytest.raises(ApplicationError):
        act(
            f,
            people.village,
            workflow.PREPARE_COMMITMENT,
            note="x",
            audience="public",
            promised_on=TODAY,
            files=[("a.png", io.BytesIO(png))],
        )
