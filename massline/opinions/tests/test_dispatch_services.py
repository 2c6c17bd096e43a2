"""The dispatch service: every step of the map, who takes it, every refusal writing nothing,
the history, the audit and the counters."""

from __future__ import annotations

import datetime as dt

import pytest

from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.opinions import workflow
from massline.opinions.dispatch_services import opinion_act
from massline.opinions.models import (
    CoOrganization,
    Opinion,
    OpinionCategory,
    OpinionStep,
    Urgency,
)
from massline.orgs import counters

from .dispatch_fixtures import at_hour, figures, make_opinion


@pytest.fixture
def office(tree, make_user):
    """The campaign office of county_a1 (opinions.dispatch and handle over its subtree)."""
    return make_user("campaign_office", tree.county_a1, "subtree")


@pytest.fixture
def town_admin(tree, make_user):
    """The town's administrator (opinions.handle there, not dispatch)."""
    return make_user("org_admin", tree.town_a1, "this_org")


def state(o: Opinion) -> tuple:
    o.refresh_from_db()
    return (
        o.status,
        o.lead_org_id,
        o.due_at,
        o.reply,
        o.reply_published,
        o.merged_into_id,
        o.category_id,
        o.urgency,
        OpinionStep.objects.filter(opinion=o).count(),
        AuditEvent.objects.filter(action__startswith="opinions.").count(),
        CoOrganization.objects.filter(opinion=o).count(),
    )


def no_drift() -> None:
    assert counters.rebuild(check_only=True) == []


def dispatched(office, tree, **kw) -> Opinion:
    o = make_opinion(tree.village_a1, **kw)
    return opinion_act(actor=office, opinion=o, action="dispatch", lead_org=tree.town_a1)


# --- the happy path ---------------------------------------------------------------------


def test_the_whole_loop_dispatch_contact_reply_publish_close(tree, office, town_admin, frozen):
    # given an opinion at a village, and the clock at noon
    now = at_hour(12)
    frozen(now)
    o = make_opinion(tree.village_a1, urgency=Urgency.URGENT)
    # when the office dispatches it to the town, with the county as co-organization
    o = opinion_act(
        actor=office,
        opinion=o,
        action="dispatch",
        lead_org=tree.town_a1,
        co_orgs=[tree.village_a2, tree.village_a2],
    )
    # then it is due in one day (urgent) and the co-organization is kept once
    assert o.status == "dispatched"
    assert o.lead_path == tree.town_a1.path
    assert o.due_at == now + dt.timedelta(days=1)
    assert list(CoOrganization.objects.filter(opinion=o).values_list("org_id", flat=True)) == [
        tree.village_a2.pk
    ]
    # when the town records the contact, replies, the office publishes and closes
    o = opinion_act(actor=town_admin, opinion=o, action="contact")
    assert (o.status, o.first_contact_at) == ("handling", now)
    o = opinion_act(actor=town_admin, opinion=o, action="reply", note="  路灯已修好  ")
    assert (o.status, o.reply, o.replied_at) == ("replied", "路灯已修好", now)
    o = opinion_act(actor=office, opinion=o, action="publish")
    assert (o.status, o.reply_published) == ("replied", True)
    o = opinion_act(actor=office, opinion=o, action="close")
    # then
    assert o.status == "closed"
    kinds = list(OpinionStep.objects.filter(opinion=o).values_list("kind", flat=True))
    assert kinds == ["dispatched", "contacted", "replied", "published", "closed"]
    audits = list(
        AuditEvent.objects.filter(target_id=str(o.pk), action__startswith="opinions.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert audits == [
        "opinions.dispatch",
        "opinions.contact",
        "opinions.reply",
        "opinions.publish",
        "opinions.close",
    ]
    assert figures(tree.root, "opinions.status.closed", "opinions.open") == {
        "opinions.status.closed": 1,
        "opinions.open": 0,
    }
    no_drift()


@pytest.mark.parametrize(("urgency", "days"), [("urgent", 1), ("general", 7), ("complex", 15)])
def test_the_time_limit_follows_the_urgency(tree, office, frozen, urgency, days):
    now = at_hour(9)
    frozen(now)
    o = dispatched(office, tree, urgency=urgency)
    assert o.due_at == now + dt.timedelta(days=days)


def test_the_time_limits_come_from_the_settings(tree, office, settings, frozen):
    now = at_hour(9)
    frozen(now)
    settings.OPINION_DUE_DAYS = {"general": 3}
    assert dispatched(office, tree).due_at == now + dt.timedelta(days=3)
    assert workflow.due_days("urgent") == 1  # the others keep their defaults


def test_return_with_a_reason_then_reassign(tree, office, town_admin):
    o = dispatched(office, tree)
    o = opinion_act(actor=town_admin, opinion=o, action="return", note="不属于本镇职责")
    assert (o.status, o.lead_org_id) == ("returned", tree.town_a1.pk)
    o = opinion_act(
        actor=office, opinion=o, action="reassign", lead_org=tree.county_a1, note="改由区里办"
    )
    assert (o.status, o.lead_org_id) == ("dispatched", tree.county_a1.pk)
    steps = list(OpinionStep.objects.filter(opinion=o).values_list("kind", "note"))
    assert steps[1:] == [("returned", "不属于本镇职责"), ("reassigned", "改由区里办")]
    no_drift()


def test_a_returned_opinion_may_be_dispatched_again(tree, office, town_admin):
    o = dispatched(office, tree)
    o = opinion_act(actor=town_admin, opinion=o, action="return", note="不归我们")
    o = opinion_act(actor=office, opinion=o, action="dispatch", lead_org=tree.village_a1)
    assert (o.status, o.lead_org_id) == ("dispatched", tree.village_a1.pk)


def test_a_reply_straight_from_dispatched(tree, office, town_admin):
    o = dispatched(office, tree)
    o = opinion_act(actor=town_admin, opinion=o, action="reply", note="已答复")
    assert o.status == "replied"
    assert o.first_contact_at is None


def test_triage_sets_category_and_urgency(tree, office):
    cat = OpinionCategory.objects.create(
        source="local", code="roads", title="道路", org=tree.county_a1, org_path=tree.county_a1.path
    )
    o = make_opinion(tree.village_a1)
    o = opinion_act(actor=office, opinion=o, action="triage", category=cat, urgency="complex")
    assert (o.status, o.category_id, o.urgency) == ("received", cat.pk, "complex")
    assert OpinionStep.objects.get(opinion=o).kind == "triaged"


def test_merge_keeps_the_chain_of_receipts_one_step_long(tree, office):
    target = make_opinion(tree.town_a1)
    a = make_opinion(tree.village_a1)
    b = make_opinion(tree.village_a1)
    opinion_act(actor=office, opinion=a, action="merge", into=b)
    b = opinion_act(actor=office, opinion=b, action="merge", into=target)
    a.refresh_from_db()
    assert (b.status, b.merged_into_id) == ("merged", target.pk)
    assert (a.status, a.merged_into_id) == ("merged", target.pk)
    assert figures(tree.root, "opinions.status.merged", "opinions.open") == {
        "opinions.status.merged": 2,
        "opinions.open": 1,
    }
    no_drift()


def test_the_system_acts_without_a_permission_check(tree):
    o = make_opinion(tree.village_a1)
    o = opinion_act(actor=None, opinion=o, action="dispatch", lead_org=tree.branch_b1)
    assert o.status == "dispatched"


# --- refusals: nothing half-written -----------------------------------------------------


def refused(o: Opinion, exc_type=ApplicationError, field: str | None = None, **kw):
    before = state(o)
    with pytest.raises(exc_type) as caught:
        opinion_act(opinion=o, **kw)
    assert state(o) == before
    if field is not None:
        assert caught.value.field == field
    assert caught.value.message
    return caught.value


def test_a_return_without_a_reason_is_refused(tree, office, town_admin):
    o = dispatched(office, tree)
    err = refused(o, field="note", actor=town_admin, action="return", note="   ")
    assert "退回" in err.message  # translated


def test_a_reassign_without_a_reason_is_refused(tree, office):
    o = dispatched(office, tree)
    refused(o, field="note", actor=office, action="reassign", lead_org=tree.county_a1)


def test_a_reassign_to_the_same_lead_is_refused(tree, office):
    o = dispatched(office, tree)
    err = refused(
        o, field="lead_org", actor=office, action="reassign", lead_org=tree.town_a1, note="x"
    )
    assert err.code == "same_org"


def test_an_empty_reply_is_refused(tree, office, town_admin):
    refused(dispatched(office, tree), field="note", actor=town_admin, action="reply", note="\n ")


def test_an_oversized_reply_is_refused(tree, office, town_admin):
    o = dispatched(office, tree)
    err = refused(o, field="note", actor=town_admin, action="reply", note="长" * 10001)
    assert err.code == "too_long"


def test_an_oversized_reason_is_refused(tree, office, town_admin):
    o = dispatched(office, tree)
    refused(o, field="note", actor=town_admin, action="return", note="长" * 2001)


def test_a_nul_in_a_note_is_refused(tree, office, town_admin):
    refused(dispatched(office, tree), field="note", actor=town_admin, action="reply", note="a\x00b")


def test_html_in_a_reply_is_kept_as_text(tree, office, town_admin):
    o = dispatched(office, tree)
    o = opinion_act(
        actor=town_admin, opinion=o, action="reply", note="<script>alert(1)</script>😀𠀀"
    )
    assert o.reply == "<script>alert(1)</script>😀𠀀"


def test_dispatch_without_a_lead_is_refused(tree, office):
    refused(make_opinion(tree.village_a1), field="lead_org", actor=office, action="dispatch")


def test_dispatch_outside_the_dispatchers_scope_is_refused(tree, office):
    o = make_opinion(tree.village_a1)
    err = refused(o, field="lead_org", actor=office, action="dispatch", lead_org=tree.county_a2)
    assert err.code == "out_of_scope"
    assert tree.county_a2.name not in err.message


def test_a_co_organization_outside_the_scope_is_refused(tree, office):
    o = make_opinion(tree.village_a1)
    err = refused(
        o,
        field="co_orgs",
        actor=office,
        action="dispatch",
        lead_org=tree.town_a1,
        co_orgs=[tree.branch_b1],
    )
    assert err.code == "out_of_scope"


def test_the_lead_as_its_own_co_organization_is_refused(tree, office):
    o = make_opinion(tree.village_a1)
    refused(
        o,
        field="co_orgs",
        actor=office,
        action="dispatch",
        lead_org=tree.town_a1,
        co_orgs=[tree.town_a1],
    )


def test_too_many_co_organizations_are_refused(tree, office):
    from massline.conftest import make_org

    many = [
        make_org(tree.town_a1, f"150102101{300 + i}", f"中共测试{i}村支部委员会") for i in range(21)
    ]
    o = make_opinion(tree.village_a1)
    refused(
        o, field="co_orgs", actor=office, action="dispatch", lead_org=tree.town_a1, co_orgs=many
    )


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("received", "return"),
        ("received", "reply"),
        ("received", "close"),
        ("received", "contact"),
        ("received", "reassign"),
        ("dispatched", "dispatch"),
        ("dispatched", "merge"),
        ("dispatched", "triage"),
        ("handling", "return"),
        ("replied", "reply"),
        ("closed", "publish"),
        ("merged", "dispatch"),
    ],
)
def test_a_step_outside_the_map_is_refused(tree, status, action):
    o = make_opinion(tree.village_a1, status=status, lead_org=tree.town_a1)
    err = refused(o, field="status", actor=None, action=action, note="x", lead_org=tree.town_a1)
    assert err.code == "opinion_state"


def test_an_unknown_action_is_refused(tree):
    refused(make_opinion(tree.village_a1), field="action", actor=None, action="delete")


def test_a_stale_page_is_refused(tree, office):
    o = make_opinion(tree.village_a1)
    err = refused(
        o, field="status", actor=office, action="triage", urgency="urgent", seen="dispatched"
    )
    assert err.code == "opinion_state"


def test_publishing_twice_is_refused(tree, office, town_admin):
    o = dispatched(office, tree)
    opinion_act(actor=town_admin, opinion=o, action="reply", note="好")
    opinion_act(actor=town_admin, opinion=o, action="publish")
    err = refused(o, field="status", actor=office, action="publish")
    assert err.code == "opinion_state"


@pytest.mark.parametrize(
    ("status", "action", "who"),
    [
        ("received", "dispatch", "town_admin"),  # handle, not dispatch
        ("received", "triage", "town_admin"),
        ("dispatched", "return", "office_elsewhere"),
        ("dispatched", "reply", "village_admin"),  # not the lead
        ("replied", "close", "town_admin"),  # the lead does not close
    ],
)
def test_the_wrong_side_is_forbidden(tree, make_user, office, town_admin, status, action, who):
    users = {
        "town_admin": town_admin,
        "office_elsewhere": make_user("campaign_office", tree.county_a2, "subtree"),
        "village_admin": make_user("org_admin", tree.village_a1, "this_org"),
    }
    o = make_opinion(tree.village_a1, status=status, lead_org=tree.town_a1, reply="x")
    refused(o, Forbidden, actor=users[who], action=action, note="x", lead_org=tree.town_a1)


def test_triage_without_anything_is_refused(tree, office):
    refused(make_opinion(tree.village_a1), field="category", actor=office, action="triage")


def test_an_unknown_urgency_is_refused(tree, office):
    refused(
        make_opinion(tree.village_a1),
        field="urgency",
        actor=office,
        action="triage",
        urgency="asap",
    )


def test_a_category_of_another_subtree_is_refused(tree, office):
    cat = OpinionCategory.objects.create(
        source="local", code="x", title="其他", org=tree.county_a2, org_path=tree.county_a2.path
    )
    refused(
        make_opinion(tree.village_a1), field="category", actor=office, action="triage", category=cat
    )


def test_merge_refusals(tree, office):
    o = make_opinion(tree.village_a1)
    refused(o, field="into", actor=office, action="merge")
    refused(o, field="into", actor=office, action="merge", into=o)
    closed = make_opinion(tree.town_a1, status="closed")
    assert (
        refused(o, field="into", actor=office, action="merge", into=closed).code == "merge_target"
    )
    merged = make_opinion(tree.town_a1, status="merged")
    assert (
        refused(o, field="into", actor=office, action="merge", into=merged).code == "merge_target"
    )
    beside = make_opinion(tree.village_a2)  # a sibling: not one subtree
    assert (
        refused(o, field="into", actor=office, action="merge", into=beside).code == "merge_target"
    )
    outside = make_opinion(tree.branch_b1)
    err = refused(o, field="into", actor=office, action="merge", into=outside)
    assert tree.branch_b1.name not in err.message


def test_merging_into_an_opinion_above_is_allowed(tree, office):
    above = make_opinion(tree.county_a1)
    o = opinion_act(actor=office, opinion=make_opinion(tree.village_a1), action="merge", into=above)
    assert o.merged_into_id == above.pk


def test_the_audit_keeps_no_text_of_the_opinion(tree, office):
    dispatched(office, tree, text="张三的手机号13800000000")
    row = AuditEvent.objects.get(action="opinions.dispatch")
    assert "13800000000" not in str(row.before) + str(row.after)
    assert row.org_id == tree.village_a1.pk
