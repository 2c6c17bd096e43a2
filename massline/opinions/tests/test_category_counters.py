"""The per-category counter family (`opinion_category.<id>`): bumped by every service that
sets or changes an opinion's category, in its transaction, and equal to a recount."""

from __future__ import annotations

import pytest

from massline.core.errors import ApplicationError
from massline.opinions import intake_services as intake
from massline.opinions.counters import category_code, changes, counts
from massline.opinions.dispatch_services import opinion_act
from massline.opinions.models import OpinionCategory
from massline.orgs import counters

from .dispatch_fixtures import figures, make_opinion


@pytest.fixture
def office(tree, make_user):
    return make_user("campaign_office", tree.county_a1, "subtree")


@pytest.fixture
def cats(tree):
    def local(code: str, title: str) -> OpinionCategory:
        return OpinionCategory.objects.create(
            source="local", code=code, title=title, org=tree.county_a1, org_path=tree.county_a1.path
        )

    return local("roads", "道路"), local("water", "饮水")


def no_drift() -> None:
    assert counters.rebuild(check_only=True) == []


def at(org, cat: OpinionCategory) -> tuple[int, int]:
    return counters.read([org.pk]).get(org.pk, {}).get(category_code(cat.pk), (0, 0))


def test_a_submission_with_a_category_counts_at_its_organization_and_above(tree, cats):
    roads, _water = cats
    intake.opinion_submit(org=tree.village_a1, text="路灯坏了", anonymous=True, category=roads.pk)
    intake.opinion_submit(org=tree.village_a1, text="路面塌了", anonymous=True, category=roads.pk)
    intake.opinion_submit(org=tree.village_a1, text="没有分类", anonymous=True)
    assert [at(org, roads) for org in (tree.village_a1, tree.town_a1, tree.root)] == [
        (2, 2),
        (0, 2),
        (0, 2),
    ]
    no_drift()


def test_staff_entry_with_a_category_counts(tree, cats, make_user):
    roads, _water = cats
    clerk = make_user("org_admin", tree.town_a1)
    intake.opinion_enter(
        actor=clerk, org=tree.town_a1, channel="visit", text="修路", category=roads.pk
    )
    assert at(tree.town_a1, roads) == (1, 1)
    no_drift()


def test_a_refused_submission_counts_nothing(tree, cats):
    roads, _water = cats
    with pytest.raises(ApplicationError):
        intake.opinion_submit(org=tree.village_a1, text="", anonymous=True, category=roads.pk)
    assert at(tree.root, roads) == (0, 0)
    no_drift()


def test_triage_sets_then_changes_the_category(tree, cats, office):
    roads, water = cats
    o = make_opinion(tree.village_a1)
    o = opinion_act(actor=office, opinion=o, action="triage", category=roads)
    assert at(tree.root, roads) == (0, 1)
    no_drift()
    o = opinion_act(actor=office, opinion=o, action="triage", category=water)
    assert (at(tree.root, roads), at(tree.root, water), at(tree.village_a1, water)) == (
        (0, 0),
        (0, 1),
        (1, 1),
    )
    no_drift()


def test_triage_of_the_urgency_alone_keeps_the_category(tree, cats, office):
    roads, _water = cats
    o = make_opinion(tree.village_a1, category=roads)
    opinion_act(actor=office, opinion=o, action="triage", urgency="urgent")
    assert at(tree.root, roads) == (0, 1)
    no_drift()


def test_a_refused_triage_changes_no_counter(tree, cats, office):
    roads, _water = cats
    elsewhere = OpinionCategory.objects.create(
        source="local", code="x", title="外地", org=tree.pref_b, org_path=tree.pref_b.path
    )
    o = make_opinion(tree.village_a1, category=roads)
    with pytest.raises(ApplicationError):
        opinion_act(actor=office, opinion=o, action="triage", category=elsewhere)
    assert at(tree.root, roads) == (0, 1)
    assert at(tree.root, elsewhere) == (0, 0)
    no_drift()


def test_merged_opinions_keep_their_category_like_their_status_counts(tree, cats, office):
    # a merged opinion stays in the total (as status merged): its category stays counted too
    roads, water = cats
    target = make_opinion(tree.town_a1, category=water)
    a = make_opinion(tree.village_a1, category=roads)
    opinion_act(actor=office, opinion=a, action="merge", into=target)
    assert figures(tree.root, "opinions.total", "opinions.status.merged") == {
        "opinions.total": 2,
        "opinions.status.merged": 1,
    }
    assert (at(tree.root, roads), at(tree.root, water)) == ((0, 1), (0, 1))
    no_drift()


def test_dispatch_and_escalation_keep_the_category(tree, cats, office, frozen):
    import datetime as dt

    from django.utils import timezone

    from massline.opinions.dispatch_services import opinions_escalate

    roads, _water = cats
    o = make_opinion(tree.village_a1, category=roads)
    opinion_act(actor=office, opinion=o, action="dispatch", lead_org=tree.town_a1)
    frozen(timezone.now() + dt.timedelta(days=30))
    assert opinions_escalate() == 1
    assert at(tree.root, roads) == (0, 1)
    no_drift()


def test_changes_takes_down_a_category_left_behind():
    before = {"opinions.total": 1, "opinion_category.3": 1}
    after = {"opinions.total": 1, "opinion_category.4": 1}
    assert changes(before, after) == {"opinion_category.3": -1, "opinion_category.4": 1}
    assert changes(after, after) == {}


def test_counts_has_no_category_code_without_a_category(tree):
    o = make_opinion(tree.village_a1)
    assert not any(k.startswith("opinion_category.") for k in counts(o))
