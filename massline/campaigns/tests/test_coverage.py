"""Coverage (decision 0020): each member expected once, where they take part; reached
recorded by the organization there; counters that match a recount at every level; records
that follow a member who moves; every bad input refused with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from massline.campaigns import coverage, coverage_services
from massline.campaigns.action_counters import REACHED, code
from massline.campaigns.models import Participation, Reach
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.members.models import Member, Mobility
from massline.members.services import member_change_save, member_locked, member_set_mobility
from massline.orgs import counters
from massline.orgs.models import Organization

pytestmark = pytest.mark.django_db


def _reach(cov, org, *members, on=None, way="meeting"):
    return coverage_services.reach_record(
        actor=None,
        campaign=cov.campaign,
        org=org,
        member_ids=[m.pk for m in members],
        on=on or cov.today,
        way=way,
    )


def _figures(cov, org):
    org = Organization.objects.get(pk=org.pk)
    return coverage.coverage(cov.campaign, org).own


def _direct(cov, org):
    """What the counters must say, counted from the rows: members whose place of taking part
    is in the subtree, and the reach records there."""
    org = Organization.objects.get(pk=org.pk)
    expected = 0
    for m in Member.objects.select_related("org", "attached_org"):
        where = m.attached_org if m.attached_org_id else m.org
        expected += where.path.startswith(org.path)
    reached = Reach.objects.filter(campaign=cov.campaign, org_path__startswith=org.path).count()
    return expected, reached


def _every_level_matches(cov):
    for org in Organization.objects.all():
        f = _figures(cov, org)
        assert (f.expected, f.reached) == _direct(cov, org), org.name
    assert counters.rebuild(check_only=True) == []


def test_each_member_is_expected_once_where_they_take_part(cov):
    t = cov.tree
    # then: 钱五 is held by village_a1 but counts at village_a2, where she lives
    assert _figures(cov, t.village_a1).expected == 3
    assert _figures(cov, t.village_a2).expected == 2
    assert _figures(cov, t.town_a1).expected == 5
    assert _figures(cov, t.root).expected == 7
    assert _figures(cov, t.root).reached == 0
    assert _figures(cov, t.root).rate == 0
    _every_level_matches(cov)


def test_recording_members_counts_them_up_the_tree_once(cov):
    t, m = cov.tree, cov.m
    # when
    done = _reach(cov, t.village_a1, m.zhang, m.wang)
    again = _reach(cov, t.village_a1, m.zhang, m.li)
    # then
    assert (done.added, done.already) == (2, 0)
    assert (again.added, again.already) == (1, 1)
    root = _figures(cov, t.root)
    assert (root.expected, root.reached, root.missing) == (7, 3, 4)
    assert f"{root.rate:.4f}" == f"{3 / 7:.4f}"
    assert _figures(cov, t.village_a1).rate == 1
    assert Reach.objects.get(campaign=cov.campaign, member=m.zhang).reached_on == cov.today
    assert AuditEvent.objects.filter(action="campaigns.reach").count() == 2
    _every_level_matches(cov)


def test_an_inflow_member_is_recorded_where_she_lives_and_not_at_home(cov):
    t, m = cov.tree, cov.m
    # when at home
    with pytest.raises(ApplicationError) as refused:
        _reach(cov, t.village_a1, m.qian)
    # then
    assert refused.value.code == "elsewhere"
    assert "钱五" in refused.value.message and t.village_a2.name in refused.value.message
    # when where she lives
    _reach(cov, t.village_a2, m.qian, way="visit")
    # then
    assert _figures(cov, t.village_a2).reached == 1
    assert _figures(cov, t.village_a1).reached == 0
    _every_level_matches(cov)


def test_missing_members_are_listed_at_both_ends_and_counted_once(cov):
    t, m = cov.tree, cov.m
    _reach(cov, t.village_a1, m.zhang)
    # when
    rows, more = coverage.missing_page(cov.campaign, t.village_a1)
    hosted_home = coverage.hosted_missing(
        cov.campaign, t.village_a1, _figures(cov, t.village_a1).hosted
    )
    rows_a2, _ = coverage.missing_page(cov.campaign, t.village_a2)
    hosted_a2 = coverage.hosted_missing(
        cov.campaign, t.village_a2, _figures(cov, t.village_a2).hosted
    )
    # then: 钱五 is listed at home, counted at village_a2; and there among the hosted
    assert [r.name for r in rows] == ["李二", "王三", "钱五"]
    assert more is None
    assert [r.counted_here for r in rows] == [True, True, False]
    assert hosted_home == []
    assert [r.name for r in rows_a2] == ["赵四"]
    assert [r.name for r in hosted_a2] == ["钱五"]
    # at the town both ends are inside: listed once, counted there
    town, _ = coverage.missing_page(cov.campaign, t.town_a1)
    assert sorted(r.name for r in town) == ["李二", "王三", "赵四", "钱五"]
    assert all(r.counted_here for r in town)


def test_missing_members_come_a_page_at_a_time(cov, monkeypatch):
    monkeypatch.setattr(coverage, "PAGE", 2)
    seen, after = [], None
    while True:
        rows, after = coverage.missing_page(cov.campaign, cov.tree.root, after)
        seen += [r.name for r in rows]
        if after is None:
            break
    assert sorted(seen) == sorted(["张一", "李二", "王三", "赵四", "钱五", "孙六", "周七"])
    assert len(seen) == 7


def test_withdrawing_a_record_takes_it_off_the_counters(cov):
    t, m = cov.tree, cov.m
    _reach(cov, t.village_a1, m.zhang)
    # when
    coverage_services.reach_withdraw(actor=None, campaign=cov.campaign, member_id=m.zhang.pk)
    # then
    assert _figures(cov, t.root).reached == 0
    assert AuditEvent.objects.filter(action="campaigns.reach_withdraw").count() == 1
    _every_level_matches(cov)
    # when again
    with pytest.raises(ApplicationError) as refused:
        coverage_services.reach_withdraw(actor=None, campaign=cov.campaign, member_id=m.zhang.pk)
    assert refused.value.code == "not_reached"


def test_a_reached_member_who_transfers_takes_the_record_along(cov):
    t, m = cov.tree, cov.m
    _reach(cov, t.village_a1, m.zhang)
    # when 张一 moves to branch_b1 (the member service a transfer ends with)
    member, before = member_locked(m.zhang)
    member.org = t.branch_b1
    member.org_path = t.branch_b1.path
    member_change_save(
        actor=None,
        member=member,
        before=before,
        action="members.transfer_move",
        kind="transferred",
        on=cov.today,
        fields=["org", "org_path"],
        detail={},
    )
    # then
    assert Reach.objects.get(member=m.zhang).org_id == t.branch_b1.pk
    assert _figures(cov, t.branch_b1).reached == 1
    assert _figures(cov, t.village_a1).reached == 0
    _every_level_matches(cov)


def test_a_reached_member_who_moves_to_live_elsewhere_takes_the_record_along(cov):
    t, m = cov.tree, cov.m
    _reach(cov, t.village_a2, m.qian)
    # when 钱五 now lives at branch_a2
    member_set_mobility(
        actor=None,
        member=m.qian,
        mobility=Mobility.INFLOW,
        since=dt.date(2025, 1, 1),
        place="呼和浩特",
        attached_org=t.branch_a2,
    )
    # then
    assert _figures(cov, t.branch_a2).reached == 1
    assert _figures(cov, t.village_a2).reached == 0
    # when she is no longer mobile: back at her branch
    member_set_mobility(actor=None, member=m.qian, mobility="")
    assert _figures(cov, t.village_a1).reached == 1
    _every_level_matches(cov)


def test_counters_are_kept_per_campaign(cov):
    from .conftest import apply, make_campaign

    t, m = cov.tree, cov.m
    other = make_campaign(t, "two-studies-2016", org=t.pref_a)
    apply(other)
    Participation.objects.filter(campaign=other).update(starts_on=cov.today)
    _reach(cov, t.village_a1, m.zhang)
    # when
    coverage_services.reach_record(
        actor=None,
        campaign=other,
        org=t.village_a1,
        member_ids=[m.zhang.pk, m.li.pk],
        on=cov.today,
    )
    # then
    root = counters.read([t.root.pk])[t.root.pk]
    assert root[code(cov.campaign.pk, REACHED)] == (0, 1)
    assert root[code(other.pk, REACHED)] == (0, 2)
    _every_level_matches(cov)


# --- bad input: refused, naming what, nothing written ------------------------------------


@pytest.mark.parametrize(
    ("how", "code_", "field"),
    [
        ("future", "future", "on"),
        ("before_window", "before_window", "on"),
        ("unknown_member", "unknown", "members"),
        ("nobody", "no_members", "members"),
        ("too_many", "too_many", "members"),
        ("elsewhere", "elsewhere", "members"),
        ("way", "way", "way"),
    ],
)
def test_bad_records_are_refused_and_write_nothing(cov, how, code_, field, monkeypatch):
    t, m = cov.tree, cov.m
    args = {
        "org": t.village_a1,
        "member_ids": [m.zhang.pk],
        "on": cov.today,
        "way": "meeting",
    }
    if how == "future":
        args["on"] = cov.today + dt.timedelta(days=1)
    elif how == "before_window":
        args["on"] = cov.today - dt.timedelta(days=11)
    elif how == "unknown_member":
        args["member_ids"] = [m.zhang.pk, 999999]
    elif how == "nobody":
        args["member_ids"] = []
    elif how == "too_many":
        monkeypatch.setattr(coverage_services, "MAX_MEMBERS", 1)
        args["member_ids"] = [m.zhang.pk, m.li.pk]
    elif how == "elsewhere":
        args["member_ids"] = [m.zhang.pk, m.sun.pk]
    elif how == "way":
        args["way"] = "telepathy"
    # when
    with pytest.raises(ApplicationError) as refused:
        coverage_services.reach_record(actor=None, campaign=cov.campaign, **args)
    # then
    assert (refused.value.code, refused.value.field) == (code_, field)
    assert Reach.objects.count() == 0
    assert not AuditEvent.objects.filter(action="campaigns.reach").exists()
    assert counters.rebuild(check_only=True) == []


def test_an_organization_without_a_window_cannot_record(cov):
    t, m = cov.tree, cov.m
    Participation.objects.filter(campaign=cov.campaign, org=t.village_a1).delete()
    with pytest.raises(ApplicationError) as refused:
        _reach(cov, t.village_a1, m.zhang)
    assert refused.value.code == "no_window"
    assert Reach.objects.count() == 0


def test_a_user_outside_the_scope_cannot_record(cov, make_user):
    t, m = cov.tree, cov.m
    user = make_user("org_admin", t.county_a2)
    with pytest.raises(Forbidden):
        coverage_services.reach_record(
            actor=user,
            campaign=cov.campaign,
            org=t.village_a1,
            member_ids=[m.zhang.pk],
            on=cov.today,
        )
    assert Reach.objects.count() == 0
