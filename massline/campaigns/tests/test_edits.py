"""Editing a running campaign (decision 0019) through its services: an action's definition
changed (refused where recorded completions would become wrong, lateness and counters
recomputed when its due day moves), dates set by hand cleared, a batch removed; every
refusal names what and where and writes nothing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from massline.campaigns import action_services, schedule, schedule_services
from massline.campaigns.models import (
    ActionDefinition,
    Batch,
    Completion,
    Participation,
    ScheduleOverride,
)
from massline.conftest import login_client
from massline.core.db import is_postgres
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.orgs import counters

from .action_fixtures import PDF, upload, window
from .conftest import set_override

pytestmark = pytest.mark.django_db

D10 = dt.timedelta(days=10)


def fields(a: ActionDefinition, **changes):
    data = {f: getattr(a, f) for f in action_services.EDITABLE}
    return {**data, **changes}


def update(a, actor=None, **changes):
    return action_services.action_update(actor=actor, action=a, **fields(a, **changes))


def state():
    return (
        list(ActionDefinition.objects.order_by("pk").values_list()),
        list(Completion.objects.order_by("pk").values_list()),
        list(Participation.objects.order_by("pk").values_list()),
        list(ScheduleOverride.objects.order_by("pk").values_list()),
        list(Batch.objects.order_by("pk").values_list()),
        AuditEvent.objects.count(),
    )


def refused(code, call, *args, **kwargs):
    before = state()
    with pytest.raises(ApplicationError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert state() == before
    assert counters.rebuild(check_only=True) == []
    return caught.value


def late_figure(org) -> int:
    return counters.read([org.pk]).get(org.pk, {}).get("campaigns.actions_late", (0, 0))[1]


def record(acts, org, action, day, **kw):
    return action_services.completion_record(
        actor=None, campaign=acts.campaign, org=org, action_id=action.pk, today=day, **kw
    )


# --- an action's definition -----------------------------------------------------------------


def test_an_action_nobody_recorded_changes_freely_and_is_audited(acts):
    # when
    a = update(
        acts.study,
        kind="research",
        title="  调查研究  ",
        offset_days=None,
        due_on=acts.campaign.ends_on,
        levels=[5, 4, 4],
        unit_types=["rural"],
        evidence_text="",
        evidence_link="required",
    )
    # then
    a.refresh_from_db()
    assert (a.kind, a.title, a.due_on, a.offset_days) == (
        "research",
        "调查研究",
        acts.campaign.ends_on,
        None,
    )
    assert a.levels == [4, 5] and a.unit_types == ["rural"] and a.evidence_link == "required"
    event = AuditEvent.objects.get(action="campaigns.action_update")
    assert event.before["title"] == "集中学习研讨" and event.after["title"] == "调查研究"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"kind": "dancing"}, "kind", "kind"),
        ({"title": " "}, "title", "title"),
        ({"due_on": None, "offset_days": None}, "due", "due_on"),
        ({"due_on": dt.date(2031, 1, 1), "offset_days": 3}, "due", "due_on"),
        ({"due_on": dt.date(2000, 1, 1), "offset_days": None}, "due_outside", "due_on"),
        ({"levels": [9]}, "choice", "levels"),
        ({"kinds": ["club"]}, "choice", "kinds"),
        ({"unit_types": ["moon"]}, "choice", "unit_types"),
        ({"evidence_file": "maybe"}, "evidence", "evidence_file"),
    ],
)
def test_bad_changes_are_refused(acts, changes, code, field):
    e = refused(code, update, acts.study, **changes)
    assert e.field == field


def test_only_who_may_define_it_may_change_it(acts, make_user):
    t = acts.tree
    county_office = make_user("campaign_office", t.county_a1)
    with pytest.raises(Forbidden) as exc:
        update(acts.study, actor=county_office, title="x")
    assert t.root.name in exc.value.message
    supervisor = make_user("supervisor", t.county_a1)
    with pytest.raises(Forbidden):
        update(acts.meeting, actor=supervisor, title="x")
    # the county's own office may change the county's optional action
    update(acts.meeting, actor=county_office, title="专题组织生活会（延期）")
    assert ActionDefinition.objects.get(pk=acts.meeting.pk).title == "专题组织生活会（延期）"


@pytest.fixture
def recorded(acts):
    """The village 古路板村 recorded the study a day late (with a written account only) and
    the meeting on its first day (with a file only)."""
    t = acts.tree
    start = window(acts.campaign, t.village_a1).starts_on
    record(acts, t.village_a1, acts.study, start + dt.timedelta(days=6), text="学了")
    record(acts, t.village_a1, acts.meeting, start, files=[upload("记录.pdf", PDF)])
    return acts


def test_the_kind_of_a_recorded_action_stays(recorded):
    e = refused("kind_in_use", update, recorded.study, kind="research", title="调查研究")
    assert recorded.tree.village_a1.name in e.message and e.field == "kind"
    assert "集中学习研讨" in e.message  # named as it was recorded


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kinds": ["committee"]}, "kinds"),
        ({"unit_types": ["agency"]}, "unit_types"),
        ({"levels": [1, 2]}, "levels"),
    ],
)
def test_an_organization_that_recorded_it_stays_covered(recorded, changes, field):
    e = refused("completion_uncovered", update, recorded.study, **changes)
    assert recorded.tree.village_a1.name in e.message and e.field == field


def test_narrowing_that_keeps_every_recorder_covered_is_allowed(recorded):
    level = window(recorded.campaign, recorded.tree.village_a1).level
    update(recorded.study, kinds=["branch"], unit_types=["rural"], levels=[level])
    assert ActionDefinition.objects.get(pk=recorded.study.pk).kinds == ["branch"]


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ("meeting", "evidence_text"),
        ("meeting", "evidence_link"),
        ("study", "evidence_file"),
    ],
)
def test_evidence_a_record_lacks_cannot_be_made_required(recorded, action, field):
    e = refused("evidence_in_use", update, getattr(recorded, action), **{field: "required"})
    assert recorded.tree.village_a1.name in e.message and e.field == field


def test_evidence_every_record_has_can_be_made_required(recorded):
    update(recorded.meeting, evidence_file="required", evidence_text="optional")
    update(recorded.study, evidence_text="required", evidence_link="optional")


def test_a_later_due_day_makes_a_late_record_on_time_and_the_counters_follow(recorded):
    t = recorded.tree
    start = window(recorded.campaign, t.village_a1).starts_on
    assert late_figure(t.root) == 1
    # when: ten days after the window starts instead of five
    update(recorded.study, offset_days=10)
    # then
    c = Completion.objects.get(action=recorded.study)
    assert (c.due_on, c.late) == (start + D10, False)
    for org in (t.village_a1, t.town_a1, t.county_a1, t.root):
        assert late_figure(org) == 0
    assert counters.rebuild(check_only=True) == []
    event = AuditEvent.objects.filter(action="campaigns.action_update").latest("pk")
    assert event.after["now_on_time"] == 1 and event.after["now_late"] == 0
    # when: a fixed date before the meeting was recorded
    update(recorded.meeting, due_on=start - dt.timedelta(days=1))
    # then: the meeting is late now
    c = Completion.objects.get(action=recorded.meeting)
    assert c.late and c.due_on == start - dt.timedelta(days=1)
    assert late_figure(t.root) == 1
    assert counters.rebuild(check_only=True) == []


def test_a_title_change_leaves_records_as_they_were(recorded):
    before = list(Completion.objects.order_by("pk").values_list())
    update(recorded.study, title="集中学习研讨（第二次）")
    assert list(Completion.objects.order_by("pk").values_list()) == before


# --- dates set by hand, cleared ---------------------------------------------------------------


def dates(w, org):
    row = Participation.objects.get(campaign=w.campaign, org=org)
    return row.starts_on, row.ends_on


def test_clearing_an_override_gives_back_the_computed_dates(w):
    # given
    t = w.tree
    computed = {o.pk: dates(w, o) for o in (t.town_a1, t.village_a1, t.village_a2)}
    set_override(w, t.town_a1, w.b2.starts_on + 3 * D10)
    assert dates(w, t.village_a1) != computed[t.village_a1.pk]
    # when
    p = schedule_services.override_clear_preview(campaign=w.campaign, org=t.town_a1)
    # then: the preview lists what would move back
    assert {c.org_id for c in p.changes} == set(computed)
    assert all(c.status == schedule.MOVED for c in p.changes)
    written = schedule_services.override_clear(
        actor=None, campaign=w.campaign, org=t.town_a1, token=p.token
    )
    assert written["moved"] == 3
    for org in (t.town_a1, t.village_a1, t.village_a2):
        assert dates(w, org) == computed[org.pk]
    row = Participation.objects.get(campaign=w.campaign, org=t.town_a1)
    assert row.override_reason == "" and not ScheduleOverride.objects.exists()
    event = AuditEvent.objects.get(action="campaigns.override_clear")
    assert event.before["reason"] == "春耕" and event.after["moved"] == 3


def test_clearing_a_subtree_override(w):
    t = w.tree
    computed = dates(w, t.village_a2)
    set_override(w, t.town_a1, w.b2.starts_on + 2 * D10, subtree=True)
    p = schedule_services.override_clear_preview(campaign=w.campaign, org=t.town_a1)
    schedule_services.override_clear(actor=None, campaign=w.campaign, org=t.town_a1, token=p.token)
    assert dates(w, t.village_a2) == computed


def test_clearing_dates_equal_to_the_computed_ones_still_clears_the_reason(w):
    t = w.tree
    start, _end = dates(w, t.town_a1)
    set_override(w, t.town_a1, start)
    assert Participation.objects.get(campaign=w.campaign, org=t.town_a1).override_reason
    p = schedule_services.override_clear_preview(campaign=w.campaign, org=t.town_a1)
    assert [c.org_id for c in p.changes] == [t.town_a1.pk]
    schedule_services.override_clear(actor=None, campaign=w.campaign, org=t.town_a1, token=p.token)
    assert Participation.objects.get(campaign=w.campaign, org=t.town_a1).override_reason == ""


def test_dates_set_for_an_organization_that_left_the_campaign_can_be_cleared(w, make_user):
    # given: the township's dates set by hand, then its batch removed
    t = w.tree
    set_override(w, t.town_a1, w.b2.starts_on + 3 * D10)
    p = schedule_services.batch_remove_preview(campaign=w.campaign, batch=w.b2)
    schedule_services.batch_remove(actor=None, campaign=w.campaign, batch=w.b2, token=p.token)
    assert not Participation.objects.filter(campaign=w.campaign, org=t.town_a1).exists()
    # when: its page offers to clear them, and they are cleared
    page = login_client(make_user("campaign_office", t.root)).get(
        f"/campaigns/{w.campaign.pk}/orgs/{t.town_a1.pk}/"
    )
    assert 'data-testid="clear-override"' in page.content.decode()
    p = schedule_services.override_clear_preview(campaign=w.campaign, org=t.town_a1)
    assert p.changes == []
    schedule_services.override_clear(actor=None, campaign=w.campaign, org=t.town_a1, token=p.token)
    # then
    assert not ScheduleOverride.objects.exists()


def test_clearing_where_nothing_was_set_is_refused(w):
    e = refused(
        "no_override",
        schedule_services.override_clear_preview,
        campaign=w.campaign,
        org=w.tree.town_a1,
    )
    assert w.tree.town_a1.name in e.message


def test_clearing_the_dates_of_an_organization_that_has_started_is_refused(w, frozen):
    t = w.tree
    set_override(w, t.town_a1, w.b2.starts_on + 3 * D10)
    p = schedule_services.override_clear_preview(campaign=w.campaign, org=t.town_a1)
    today = w.b2.starts_on + 3 * D10
    frozen(today)
    e = refused(
        "already_started",
        schedule_services.override_clear,
        actor=None,
        campaign=w.campaign,
        org=t.town_a1,
        token=p.token,
    )
    assert t.town_a1.name in e.message


def test_subordinates_that_have_started_keep_their_dates(w, frozen):
    # given: a village set earlier than its township by hand, and it has started
    t = w.tree
    set_override(w, t.town_a1, w.b2.starts_on + 3 * D10)
    set_override(w, t.village_a1, w.b2.starts_on)
    today = w.b2.starts_on + dt.timedelta(days=1)
    frozen(today)
    # when: the township's dates are cleared
    p = schedule_services.override_clear_preview(campaign=w.campaign, org=t.town_a1, today=today)
    schedule_services.override_clear(actor=None, campaign=w.campaign, org=t.town_a1, token=p.token)
    # then: the started village keeps its dates
    assert dates(w, t.village_a1)[0] == w.b2.starts_on


def test_clearing_after_a_stale_preview_is_refused(w):
    t = w.tree
    set_override(w, t.town_a1, w.b2.starts_on + 3 * D10)
    p = schedule_services.override_clear_preview(campaign=w.campaign, org=t.town_a1)
    set_override(w, t.village_a2, w.b2.starts_on)
    refused(
        "stale_preview",
        schedule_services.override_clear,
        actor=None,
        campaign=w.campaign,
        org=t.town_a1,
        token=p.token,
    )


def test_clearing_is_refused_while_another_override_lies_outside_its_batch(w):
    t = w.tree
    set_override(w, t.town_a1, w.b2.starts_on + 3 * D10)
    set_override(w, t.branch_b1, w.b2.starts_on + 3 * D10)
    Batch.objects.filter(pk=w.b2.pk).update(ends_on=w.b2.ends_on - D10)
    e = refused(
        "outside_batch",
        schedule_services.override_clear_preview,
        campaign=w.campaign,
        org=t.town_a1,
    )
    assert t.branch_b1.name in e.message


# --- a batch removed --------------------------------------------------------------------------


def test_removing_a_batch_moves_its_organizations_to_the_rest(w):
    # given: batch 1 (committees of levels 1-3), batch 2 everything else
    t = w.tree
    in_b1 = set(
        Participation.objects.filter(campaign=w.campaign, batch=w.b1).values_list(
            "org_id", flat=True
        )
    )
    # when
    p = schedule_services.batch_remove_preview(campaign=w.campaign, batch=w.b1)
    # then: the preview lists them, moved
    assert {c.org_id for c in p.changes if c.status == schedule.MOVED} >= in_b1
    written = schedule_services.batch_remove(
        actor=None, campaign=w.campaign, batch=w.b1, token=p.token
    )
    assert written["moved"] >= len(in_b1)
    assert not Batch.objects.filter(pk=w.b1.pk).exists()
    assert set(
        Participation.objects.filter(campaign=w.campaign).values_list("batch_id", flat=True)
    ) == {w.b2.pk}
    assert dates(w, t.root)[0] >= w.b2.starts_on
    assert AuditEvent.objects.filter(action="campaigns.batch_remove").count() == 1


def test_removing_the_rest_batch_takes_its_organizations_out(w):
    in_b2 = Participation.objects.filter(campaign=w.campaign, batch=w.b2).count()
    p = schedule_services.batch_remove_preview(campaign=w.campaign, batch=w.b2)
    assert p.counts[schedule.REMOVED] == in_b2
    schedule_services.batch_remove(actor=None, campaign=w.campaign, batch=w.b2, token=p.token)
    assert not Participation.objects.filter(campaign=w.campaign, batch_id=w.b2.pk).exists()
    assert Participation.objects.filter(campaign=w.campaign).count() > 0


def test_a_batch_whose_organization_has_started_stays(w, frozen):
    today = w.b1.starts_on
    frozen(today)
    e = refused(
        "batch_started",
        schedule_services.batch_remove_preview,
        campaign=w.campaign,
        batch=w.b1,
        today=today,
    )
    assert w.tree.root.name in e.message and w.b1.name in e.message


def test_the_only_batch_stays(w):
    p = schedule_services.batch_remove_preview(campaign=w.campaign, batch=w.b2)
    schedule_services.batch_remove(actor=None, campaign=w.campaign, batch=w.b2, token=p.token)
    e = refused(
        "last_batch", schedule_services.batch_remove_preview, campaign=w.campaign, batch=w.b1
    )
    assert w.b1.name in e.message


def test_removing_a_batch_with_a_stale_preview_is_refused(w):
    p = schedule_services.batch_remove_preview(campaign=w.campaign, batch=w.b1)
    set_override(w, w.tree.town_a1, w.b2.starts_on + 3 * D10)
    refused(
        "stale_preview",
        schedule_services.batch_remove,
        actor=None,
        campaign=w.campaign,
        batch=w.b1,
        token=p.token,
    )


def test_removing_a_batch_that_would_leave_an_override_outside_its_new_batch_is_refused(w):
    # given: the prefecture's dates set by hand inside batch 1, before batch 2 starts
    t = w.tree
    start = dates(w, t.pref_a)[0] + dt.timedelta(days=1)
    set_override(w, t.pref_a, start, end=w.b1.ends_on, reason="换届")
    # when / then: without batch 1 it would run outside batch 2
    e = refused(
        "outside_batch", schedule_services.batch_remove_preview, campaign=w.campaign, batch=w.b1
    )
    assert t.pref_a.name in e.message


@pytest.mark.skipif(not is_postgres(), reason="the key-share lock is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_record_in_flight_waits_for_an_edit_and_reads_the_new_due_day(builtin_templates, acts):
    # given: an edit of the study's due day holds its lock, not yet committed
    t = acts.tree
    start = window(acts.campaign, t.village_a1).starts_on
    out = {}

    def record_in_another_connection():
        try:
            out["c"] = record(
                acts, t.village_a1, acts.study, start + dt.timedelta(days=6), text="x"
            )
        finally:
            connection.close()

    with transaction.atomic():
        update(acts.study, offset_days=10)
        # when: the village records meanwhile
        thread = threading.Thread(target=record_in_another_connection)
        thread.start()
        thread.join(timeout=1)
        # then: it waits for the edit
        assert thread.is_alive()
    thread.join(timeout=10)
    # and: it read the edited due day (day 6 is on time now)
    c = Completion.objects.get(action=acts.study)
    assert (c.due_on, c.late) == (start + D10, False)
    assert counters.rebuild(check_only=True) == []
