"""Campaigns, batches, the rollout schedule, overrides and phases through their services:
every rule and every bad input, with a frozen clock where "started" matters."""

from __future__ import annotations

import datetime as dt

import pytest

from massline.campaigns import schedule, schedule_services, services
from massline.campaigns.models import (
    Batch,
    Campaign,
    CampaignTemplate,
    Participation,
    ScheduleOverride,
)
from massline.campaigns.rollout import add_months
from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent

from .conftest import START, apply, make_campaign, override_kwargs

D10 = dt.timedelta(days=10)


def window(campaign, org):
    row = Participation.objects.get(campaign=campaign, org=org)
    return row.starts_on, row.ends_on


def state():
    """Everything a refused change must leave as it was."""
    return (
        list(Participation.objects.order_by("pk").values_list()),
        list(ScheduleOverride.objects.values_list()),
        list(Batch.objects.order_by("pk").values_list()),
        Campaign.objects.count(),
        AuditEvent.objects.count(),
    )


def refused(code, call, *args, **kwargs):
    before = state()
    with pytest.raises(ApplicationError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert state() == before
    return caught.value.message


# --- templates ---------------------------------------------------------------------------


def test_the_record_of_past_campaigns_is_seeded_as_built_in_templates(db):
    # given / when: the migrations ran
    by_code = {t.code: t for t in CampaignTemplate.objects.all()}
    # then
    assert set(by_code) == {
        "mass-line-2013",
        "theme-education-2019",
        "two-studies-2016",
        "theme-education-2023",
    }
    assert all(t.builtin for t in by_code.values())
    mass_line = by_code["mass-line-2013"]
    assert mass_line.phased and mass_line.kind == "mass_line"
    assert [p.code for p in mass_line.phases.all()] == ["learn", "review", "rectify"]
    second = mass_line.batches.get(position=2)
    assert (second.starts_on, second.ends_on, second.duration_months) == (
        dt.date(2014, 1, 1),
        dt.date(2014, 9, 30),
        8,
    )
    assert (mass_line.level_offset_days, mass_line.min_concentrated_months) == (10, 3)
    assert not by_code["theme-education-2019"].phased
    assert by_code["theme-education-2023"].throughout[1] == "调查研究"
    assert by_code["two-studies-2016"].routine


def test_a_campaign_office_makes_its_own_template_from_a_copy(tree):
    # given
    source = CampaignTemplate.objects.get(code="mass-line-2013")
    # when
    copy = services.template_copy(
        actor=None,
        template=source,
        org=tree.pref_a,
        code="hohhot-mass-line",
        title="呼和浩特市教育实践活动",
        level_offset_days=7,
    )
    # then
    assert not copy.builtin and copy.owner == tree.pref_a and copy.copied_from == source
    assert copy.level_offset_days == 7 and copy.subordinate_offset_days == 10
    assert [p.title for p in copy.phases.all()] == [p.title for p in source.phases.all()]
    assert copy.batches.count() == 2


# --- campaigns and batches -----------------------------------------------------------------


def test_a_campaign_takes_its_kind_rules_and_batches_from_the_template(tree):
    # when
    c = make_campaign(tree, "mass-line-2013", start=dt.date(2030, 6, 1), months=16)
    # then: batch 2 starts seven months after batch 1, as in 2013-14, and lasts as long
    assert c.kind == "mass_line" and c.phased
    b1, b2 = c.batches.order_by("position")
    assert (b1.starts_on, b2.starts_on) == (dt.date(2030, 6, 1), dt.date(2031, 1, 1))
    assert b2.ends_on == dt.date(2031, 9, 30)
    assert b1.kinds == ["committee", "working_committee"] and b2.rest


def test_the_schedule_staggers_levels_and_subordinates(w):
    t, c = w.tree, w.campaign
    b1, b2 = w.b1, w.b2
    # then: batch 1 by level, ten days apart
    assert window(c, t.root) == (b1.starts_on, b1.ends_on)
    assert window(c, t.pref_a)[0] == b1.starts_on + D10
    assert window(c, t.county_a1)[0] == b1.starts_on + 2 * D10
    # batch 2 starts with its shallowest level; villages ten days after their township
    assert window(c, t.town_a1) == (b2.starts_on, b2.ends_on)
    assert window(c, t.village_a1)[0] == b2.starts_on + D10
    village = Participation.objects.get(campaign=c, org=t.village_a1)
    assert village.flexible and village.level == 5 and village.batch_id == b2.pk
    assert not Participation.objects.get(campaign=c, org=t.town_a1).flexible
    assert Participation.objects.filter(campaign=c).count() == 11


def test_every_window_lasts_at_least_the_minimum(tree):
    # given: a batch just over three months long, and five levels ten days apart
    c = make_campaign(tree, "two-studies-2016", months=4)
    Batch.objects.filter(campaign=c).update(ends_on=add_months(START, 3) + dt.timedelta(days=15))
    # when
    apply(c)
    # then: the deepest starts no later than the end minus three months
    latest = Participation.objects.filter(campaign=c).order_by("-starts_on").first()
    assert add_months(latest.starts_on, 3) <= latest.ends_on
    assert latest.starts_on == START + dt.timedelta(days=15)


def test_applying_again_changes_nothing(w):
    # when
    p = schedule.plan(w.campaign)
    # then
    assert p.changes == []


def test_an_end_before_the_start_is_refused(tree):
    template = CampaignTemplate.objects.get(code="theme-education-2019")
    message = refused(
        "end_before_start",
        services.campaign_create,
        actor=None,
        template=template,
        org=tree.root,
        title="x",
        starts_on=START,
        ends_on=START - dt.timedelta(days=1),
    )
    assert message == f"结束日期（{START - dt.timedelta(days=1)}）早于开始日期（{START}）。"


def test_two_campaigns_of_one_kind_cannot_overlap_on_one_organization(w):
    template = CampaignTemplate.objects.get(code="theme-education-2023")
    # when / then: the same kind, inside the first's subtree, meeting its period
    message = refused(
        "campaigns_overlap",
        services.campaign_create,
        actor=None,
        template=template,
        org=w.tree.county_a1,
        title="x",
        starts_on=START + dt.timedelta(days=60),
        ends_on=START + dt.timedelta(days=200),
    )
    assert w.campaign.title in message and w.tree.root.name in message
    # another kind, or after the first ends, is fine
    make_campaign(w.tree, "mass-line-2013", org=w.tree.county_a1, months=16)
    make_campaign(
        w.tree, "theme-education-2023", start=w.campaign.ends_on + dt.timedelta(days=1), months=12
    )


def batch_input(**changes):
    values = {
        "name": "第三批",
        "scope": "",
        "starts_on": START,
        "ends_on": add_months(START, 4),
        "levels": [],
        "kinds": [],
        "unit_types": [],
        "rest": False,
        "picks": [],
    }
    return services.BatchInput(**{**values, **changes})


def test_a_batch_that_selects_nothing_is_refused(w):
    message = refused(
        "batch_selects_nothing",
        services.batch_save,
        actor=None,
        campaign=w.campaign,
        batch=None,
        data=batch_input(levels=[5], kinds=["committee"]),
    )
    assert "第三批" in message


def test_an_organization_in_two_batches_is_refused(w):
    message = refused(
        "org_in_two_batches",
        services.batch_save,
        actor=None,
        campaign=w.campaign,
        batch=None,
        data=batch_input(levels=[1]),
    )
    assert w.tree.root.name in message and "第一批" in message


def test_an_explicit_pick_moves_a_subtree_between_batches(w):
    # when: batch 1 also takes 保合少镇 and what is under it
    services.batch_save(
        actor=None,
        campaign=w.campaign,
        batch=w.b1,
        data=batch_input(
            name=w.b1.name,
            starts_on=w.b1.starts_on,
            ends_on=w.b1.ends_on,
            levels=w.b1.levels,
            kinds=w.b1.kinds,
            picks=[(w.tree.town_a1, True)],
        ),
    )
    p = schedule.plan(w.campaign)
    # then: three organizations move to batch 1
    assert p.counts[schedule.MOVED] == 3
    schedule_services.schedule_apply(actor=None, campaign=w.campaign, token=p.token)
    row = Participation.objects.get(campaign=w.campaign, org=w.tree.village_a1)
    assert row.batch_id == w.b1.pk


def test_a_batch_outside_the_campaign_or_ending_before_it_starts_is_refused(w):
    refused(
        "end_before_start",
        services.batch_save,
        actor=None,
        campaign=w.campaign,
        batch=None,
        data=batch_input(ends_on=START - dt.timedelta(days=1), levels=[5]),
    )
    refused(
        "batch_outside_campaign",
        services.batch_save,
        actor=None,
        campaign=w.campaign,
        batch=None,
        data=batch_input(starts_on=START - dt.timedelta(days=1), levels=[5]),
    )


# --- overrides ---------------------------------------------------------------------------


def override(w, org, start, end=None, *, subtree=False, reason="春耕", today=None):
    kwargs = override_kwargs(w, org, start, end, subtree=subtree, reason=reason)
    p = schedule_services.override_preview(**kwargs, today=today)
    return p, kwargs


def test_an_override_moves_the_organization_and_its_subordinates_follow(w):
    # given
    start = w.b2.starts_on + 3 * D10
    p, kwargs = override(w, w.tree.town_a1, start)
    # then: the preview lists the township and its two villages with old and new dates
    assert {c.org_id for c in p.changes} == {
        w.tree.town_a1.pk,
        w.tree.village_a1.pk,
        w.tree.village_a2.pk,
    }
    change = next(c for c in p.changes if c.org_id == w.tree.village_a1.pk)
    assert change.old[0] == w.b2.starts_on + D10 and change.new[0] == start + D10
    # when
    schedule_services.override_set(actor=None, token=p.token, **kwargs)
    # then
    assert window(w.campaign, w.tree.village_a2)[0] == start + D10
    row = Participation.objects.get(campaign=w.campaign, org=w.tree.town_a1)
    assert row.override_reason == "春耕"
    assert AuditEvent.objects.filter(action="campaigns.override", org_id=w.tree.town_a1.pk).exists()


def test_a_subtree_override_gives_every_organization_in_it_the_dates(w):
    start = w.b2.starts_on + 2 * D10
    p, kwargs = override(w, w.tree.town_a1, start, subtree=True)
    schedule_services.override_set(actor=None, token=p.token, **kwargs)
    for org in (w.tree.town_a1, w.tree.village_a1, w.tree.village_a2):
        assert window(w.campaign, org) == (start, w.b2.ends_on)


def test_overrides_that_break_the_rules_are_refused_and_change_nothing(w):
    t = w.tree
    # a reason is required
    refused("reason_required", override, w, t.town_a1, w.b2.starts_on + D10, reason=" ")
    # never shorter than the minimum
    refused(
        "shorter_than_minimum",
        override,
        w,
        t.town_a1,
        w.b2.starts_on + D10,
        w.b2.starts_on + D10 + dt.timedelta(days=60),
    )
    # never outside the batch
    message = refused("outside_batch", override, w, t.town_a1, w.b2.starts_on - D10)
    assert t.town_a1.name in message and "第二批" in message
    # never before the parent starts (a county in batch 1 before its prefecture)
    message = refused("before_parent", override, w, t.county_a1, w.b1.starts_on + D10 / 2)
    assert t.pref_a.name in message
    # an end before the start
    refused("end_before_start", override, w, t.town_a1, w.b2.ends_on, w.b2.starts_on + D10)


def test_a_village_sets_its_own_dates_inside_the_window_even_before_its_township(w):
    # given: the township moved later
    p, kwargs = override(w, w.tree.town_a1, w.b2.starts_on + 3 * D10)
    schedule_services.override_set(actor=None, token=p.token, **kwargs)
    # when: a village (flexible) starts on the batch's first day
    p, kwargs = override(w, w.tree.village_a1, w.b2.starts_on)
    schedule_services.override_set(actor=None, token=p.token, **kwargs)
    # then
    assert window(w.campaign, w.tree.village_a1)[0] == w.b2.starts_on
    # but never outside the batch
    refused("outside_batch", override, w, w.tree.village_a1, w.b2.starts_on - D10)


def test_an_organization_that_has_started_is_never_moved(w, frozen):
    # given: today the prefectures have started, the counties not yet
    today = w.b1.starts_on + D10
    frozen(today)
    # when: an override of a prefecture
    message = refused(
        "already_started", override, w, w.tree.pref_a, today + D10, w.b1.ends_on, today=today
    )
    assert w.tree.pref_a.name in message
    # when: the rules change so that everything would move
    Campaign.objects.filter(pk=w.campaign.pk).update(level_offset_days=20)
    w.campaign.refresh_from_db()
    p = schedule.plan(w.campaign, today=today)
    # then: the started ones are listed as kept, the others move
    status = {c.org_id: c.status for c in p.changes}
    assert status[w.tree.pref_a.pk] == schedule.KEPT
    assert status[w.tree.county_a1.pk] == schedule.MOVED
    assert w.tree.root.pk not in status  # started, and the rules would not move it
    schedule_services.schedule_apply(actor=None, campaign=w.campaign, token=p.token)
    assert window(w.campaign, w.tree.pref_a)[0] == w.b1.starts_on + D10
    assert window(w.campaign, w.tree.county_a1)[0] == w.b1.starts_on + 4 * D10


def test_an_override_start_in_the_past_is_refused(w, frozen):
    today = w.b2.starts_on - D10
    frozen(today)
    refused("start_in_past", override, w, w.tree.town_a1, today - D10, today=today)


def test_applying_a_stale_preview_is_refused(w):
    # given: a preview, then a change made by someone else
    p, kwargs = override(w, w.tree.town_a1, w.b2.starts_on + D10)
    Campaign.objects.filter(pk=w.campaign.pk).update(subordinate_offset_days=20)
    w.campaign.refresh_from_db()
    kwargs["campaign"] = w.campaign
    # when / then
    refused("stale_preview", schedule_services.override_set, actor=None, token=p.token, **kwargs)


# --- phases ------------------------------------------------------------------------------


@pytest.fixture
def phased(tree):
    c = make_campaign(tree, "two-studies-2016")
    Campaign.objects.filter(pk=c.pk).update(phased=True)
    c.refresh_from_db()
    apply(c)
    return c


def advance(campaign, org, today):
    return services.phase_advance(actor=None, campaign=campaign, org=org, today=today)


def test_phases_move_per_organization_once_it_has_started(tree, phased):
    root_start = Participation.objects.get(campaign=phased, org=tree.root).starts_on
    # before its window opens: refused
    refused("not_started", advance, phased, tree.root, root_start - dt.timedelta(days=1))
    # when
    row = advance(phased, tree.root, root_start)
    # then: only the root moved
    assert row.phase == "review" and row.phase_since == root_start
    assert Participation.objects.get(campaign=phased, org=tree.pref_a).phase == "learn"
    assert AuditEvent.objects.filter(action="campaigns.phase_advance").count() == 1


def test_an_organization_cannot_move_ahead_of_its_parent(tree, phased):
    day = Participation.objects.get(campaign=phased, org=tree.pref_a).starts_on
    message = refused("ahead_of_parent", advance, phased, tree.pref_a, day)
    assert tree.root.name in message


def test_the_last_phase_has_no_next_and_a_closed_window_moves_nothing(tree, phased):
    row = Participation.objects.get(campaign=phased, org=tree.root)
    advance(phased, tree.root, row.starts_on)
    advance(phased, tree.root, row.starts_on)
    refused("last_phase", advance, phased, tree.root, row.starts_on)
    refused("window_closed", advance, phased, tree.root, row.ends_on + dt.timedelta(days=1))


def test_a_campaign_without_phases_runs_everything_throughout(w):
    row = Participation.objects.get(campaign=w.campaign, org=w.tree.root)
    assert row.phase == ""
    refused("not_phased", advance, w.campaign, w.tree.root, row.starts_on)


def test_a_batch_change_that_leaves_an_override_outside_it_is_not_applied(w):
    # given: the township's dates set by hand, then batch 2 shortened to end before them
    p, kwargs = override(w, w.tree.town_a1, w.b2.starts_on + 3 * D10)
    schedule_services.override_set(actor=None, token=p.token, **kwargs)
    services.batch_save(
        actor=None,
        campaign=w.campaign,
        batch=w.b2,
        data=batch_input(
            name=w.b2.name,
            starts_on=w.b2.starts_on,
            ends_on=w.b2.ends_on - D10,
            rest=True,
        ),
    )
    p = schedule.plan(w.campaign)
    # when / then: the apply names the township and its batch, and writes nothing
    message = refused(
        "outside_batch",
        schedule_services.schedule_apply,
        actor=None,
        campaign=w.campaign,
        token=p.token,
    )
    assert w.tree.town_a1.name in message and w.b2.name in message


def test_a_preview_counts_the_windows_that_would_open_on_a_day_already_come(tree, make_user):
    from django.utils import timezone

    from massline.conftest import login_client

    today = timezone.localdate()
    # a campaign whose first batch started forty days ago
    late = make_campaign(tree, start=today - dt.timedelta(days=40))
    p = schedule.plan(late, today=today)
    opened = sum(1 for c in p.changes if c.new and c.new[0] <= today)
    assert p.backdated == opened > 0
    # a campaign that starts next month: nothing opens at once
    assert schedule.plan(make_campaign(tree, "two-studies-2016"), today=today).backdated == 0
    # the preview says so
    page = login_client(make_user("campaign_office", tree.root)).get(
        f"/campaigns/{late.pk}/schedule/"
    )
    assert 'data-testid="backdated"' in page.content.decode()
