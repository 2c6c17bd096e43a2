"""Opinions coming in: the public box (anonymous and named), staff entry and forums; every
bad input refused with a clear error and nothing written; counters exact after each write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from massline.campaigns.models import Participation
from massline.core import crypto
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.notices.models import Notice
from massline.opinions import intake_services as intake
from massline.opinions import receipts
from massline.opinions.models import Forum, Opinion, OpinionCategory, Receipt
from massline.orgs import counters as org_counters
from massline.orgs.models import OrgCounter


def counter(org, metric: str, field: str = "own") -> int:
    row = OrgCounter.objects.filter(org=org, metric=metric).first()
    return getattr(row, field) if row else 0


def assert_exact_counters() -> None:
    assert org_counters.rebuild(check_only=True) == []


def nothing_written() -> None:
    assert Opinion.objects.count() == 0
    assert Receipt.objects.count() == 0
    assert Forum.objects.count() == 0
    assert not OrgCounter.objects.filter(metric__startswith="opinions.", own__gt=0).exists()


# -- the public box ---------------------------------------------------------------------------


def test_a_box_submission_writes_in_one_statement_on_postgresql_and_three_elsewhere(tree):
    # given: the box read as the portal reads it
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org = intake.box_org(tree.village_a1.pk)
    # when
    with CaptureQueriesContext(connection) as queries:
        opinion, code = intake.opinion_submit(
            org=org, text="<b>路灯</b>坏了😀", anonymous=False, name="王女士", contact="13800138000"
        )
    # then: the opinion, its receipt and its counters, as the ORM would have written them
    writes = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        assert len(writes) == 1 and writes[0].startswith("WITH o AS (INSERT INTO")
    else:
        assert len(writes) == 3  # the opinion, the receipt, the counters (one transaction)
    assert opinion.pk is not None and not opinion._state.adding
    stored = Opinion.objects.get(pk=opinion.pk)
    assert (stored.text, stored.status, stored.urgency) == (
        "<b>路灯</b>坏了😀",
        "received",
        "general",
    )
    assert (stored.name_masked, stored.contact_masked) == ("王*士", "138****8000")
    assert crypto.decrypt(stored.contact_enc) == "13800138000"
    assert stored.received_on == timezone.localdate()
    assert receipts.opinion_by_receipt(code) == stored
    assert counter(tree.village_a1, "opinions.total") == 1
    assert counter(tree.root, "opinions.total", "subtree") == 1
    assert_exact_counters()


def test_an_anonymous_submission_keeps_the_text_the_day_and_a_receipt_and_nothing_else(tree):
    # when
    opinion, code = intake.opinion_submit(
        org=tree.village_a1, text="  路灯坏了三个月  ", anonymous=True
    )
    # then
    opinion.refresh_from_db()
    assert opinion.text == "路灯坏了三个月"
    assert opinion.anonymous is True
    assert opinion.channel == "box"
    assert opinion.received_on == timezone.localdate()
    assert (opinion.name_enc, opinion.contact_enc, opinion.name_masked) == ("", "", "")
    assert opinion.entered_by_id is None
    assert opinion.campaign_id is None  # no campaign: the standing collection
    assert receipts.opinion_by_receipt(code) == opinion
    assert not AuditEvent.objects.filter(action__startswith="opinions").exists()
    assert Notice.objects.count() == 0
    assert counter(tree.village_a1, "opinions.total") == 1
    assert counter(tree.village_a1, "opinions.anonymous") == 1
    assert counter(tree.village_a1, "opinions.channel.box") == 1
    assert counter(tree.village_a1, "opinions.status.received") == 1
    assert counter(tree.village_a1, "opinions.open") == 1
    assert counter(tree.root, "opinions.total", "subtree") == 1
    assert_exact_counters()


def test_a_named_submission_stores_name_and_contact_encrypted_and_masked(tree):
    # when
    opinion, _code = intake.opinion_submit(
        org=tree.village_a1,
        text="希望修路",
        anonymous=False,
        name="张三丰",
        contact="138 0013 8000",
    )
    # then
    opinion.refresh_from_db()
    assert opinion.anonymous is False
    assert crypto.decrypt(opinion.contact_enc) == "13800138000"
    assert crypto.decrypt(opinion.name_enc) == "张三丰"
    assert opinion.contact_masked == "138****8000"
    assert opinion.name_masked == "张*丰"
    assert counter(tree.village_a1, "opinions.anonymous") == 0
    assert_exact_counters()


def test_a_contact_that_is_not_a_phone_number_is_masked_too(tree):
    opinion, _ = intake.opinion_submit(
        org=tree.village_a1, text="意见", anonymous=False, contact="wang.wu@example.cn"
    )
    assert opinion.contact_masked.startswith("wa") and opinion.contact_masked.endswith("cn")
    assert "example" not in opinion.contact_masked
    assert crypto.decrypt(opinion.contact_enc) == "wang.wu@example.cn"


def test_html_and_script_are_stored_as_text(tree):
    text = '<script>alert("x")</script><b>路灯</b> & "引号"'
    opinion, _ = intake.opinion_submit(org=tree.village_a1, text=text, anonymous=True)
    opinion.refresh_from_db()
    assert opinion.text == text


def test_emoji_and_rare_characters_are_stored_intact(tree):
    text = "😀👍🏽 𠀀𪚥𰻞 ﷽ 𝒜 e\u0301 家"
    opinion, _ = intake.opinion_submit(org=tree.village_a1, text=text, anonymous=True)
    opinion.refresh_from_db()
    assert opinion.text == text


def test_exactly_the_longest_text_fits(tree):
    opinion, _ = intake.opinion_submit(org=tree.village_a1, text="长" * 2000, anonymous=True)
    assert len(opinion.text) == 2000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n\t "}, "text"),
        ({"text": None}, "text"),
        ({"text": "长" * 2001}, "text"),
        ({"text": "ok", "contact": "13800138000"}, "contact"),
        ({"text": "ok", "name": "张三"}, "name"),
        ({"text": "ok", "anonymous": False}, "contact"),
        ({"text": "ok", "anonymous": False, "name": "张三"}, "contact"),
        ({"text": "ok", "anonymous": False, "contact": "1234567"}, "contact"),
        ({"text": "ok", "anonymous": False, "contact": "x" * 101}, "contact"),
        ({"text": "ok", "anonymous": False, "contact": "a@b.cn", "name": "名" * 51}, "name"),
        ({"text": "ok", "category": 999999}, "category"),
        ({"text": "ok", "category": "formalism"}, "category"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_written(tree, kwargs, field):
    kwargs = {"anonymous": True, **kwargs}
    with pytest.raises(ApplicationError) as caught:
        intake.opinion_submit(org=tree.village_a1, **kwargs)
    assert caught.value.field == field
    assert caught.value.message
    nothing_written()


def test_the_checklists_are_seeded_and_a_category_is_kept(tree):
    # given
    sources = set(OpinionCategory.objects.values_list("source", flat=True))
    formalism = OpinionCategory.objects.get(source="four_winds", code="formalism")
    # when
    opinion, _ = intake.opinion_submit(
        org=tree.village_a1, text="会议太多", anonymous=True, category=formalism.pk
    )
    # then
    assert sources == {"four_winds", "special_2019", "weak_org"}
    assert OpinionCategory.objects.filter(source="four_winds").count() == 4
    assert OpinionCategory.objects.filter(source="special_2019").count() == 8
    assert OpinionCategory.objects.filter(source="weak_org").count() == 12
    assert formalism.title == "形式主义"
    assert formalism.effective_from == dt.date(2013, 6, 18)
    assert opinion.category == formalism


def test_a_local_category_is_offered_below_its_organization_only(tree):
    # given
    local = OpinionCategory.objects.create(
        source="local", code="roads", title="道路", org=tree.county_a1, org_path=tree.county_a1.path
    )
    # when / then
    assert local in intake.categories_for(tree.village_a1)
    assert local not in intake.categories_for(tree.branch_b1)
    intake.opinion_submit(org=tree.village_a1, text="修路", anonymous=True, category=local.pk)
    with pytest.raises(ApplicationError) as caught:
        intake.opinion_submit(org=tree.branch_b1, text="修路", anonymous=True, category=local.pk)
    assert caught.value.field == "category"


def test_an_open_campaign_window_at_the_organization_is_attached(tree, frozen):
    # given: a campaign whose window at village_a1 is open today
    from massline.campaigns.tests.conftest import apply, make_campaign

    campaign = make_campaign(tree, start=timezone.localdate() - dt.timedelta(days=200))
    apply(campaign)
    window = Participation.objects.get(campaign=campaign, org=tree.village_a1)
    frozen(window.starts_on)
    # when
    inside, _ = intake.opinion_submit(org=tree.village_a1, text="意见", anonymous=True)
    frozen(window.ends_on + dt.timedelta(days=1))
    after, _ = intake.opinion_submit(org=tree.village_a1, text="意见", anonymous=True)
    frozen(window.starts_on - dt.timedelta(days=1))
    before, _ = intake.opinion_submit(org=tree.village_a1, text="意见", anonymous=True)
    # then
    assert inside.campaign_id == campaign.pk
    assert after.campaign_id is None
    assert before.campaign_id is None
    assert_exact_counters()


@pytest.mark.parametrize("org_id", [999999, "abc", "", None, "1e9", 2**70, "-1"])
def test_a_missing_organization_is_a_clear_error(tree, org_id):
    with pytest.raises(ApplicationError) as caught:
        intake.box_org(org_id)
    assert caught.value.code == "not_found"
    assert "二维码" in caught.value.message or "QR" in caught.value.message


# -- staff entry and forums -------------------------------------------------------------------


def test_staff_enter_an_interview_with_an_audit_row_and_a_receipt(tree, make_user):
    # given
    clerk = make_user("org_admin", tree.town_a1)
    # when
    opinion, code = intake.opinion_enter(
        actor=clerk,
        org=tree.village_a1,
        channel="interview",
        text="低保评定不公开",
        submitter_category="retired",
        anonymous=False,
        name="李四",
        contact="13900139000",
        received_on=timezone.localdate() - dt.timedelta(days=3),
    )
    # then
    assert opinion.entered_by == clerk
    assert opinion.channel == "interview"
    assert receipts.opinion_by_receipt(code) == opinion
    row = AuditEvent.objects.get(action="opinions.enter")
    assert row.actor == clerk and row.org_id == tree.village_a1.pk
    assert row.after["contact"] == "139****9000"
    assert "13900139000" not in str(row.after) and "李四" not in str(row.after)
    assert counter(tree.village_a1, "opinions.channel.interview") == 1
    assert_exact_counters()


def test_a_forum_and_the_opinions_raised_there(tree, make_user):
    # given
    clerk = make_user("org_admin", tree.village_a1)
    day = timezone.localdate() - dt.timedelta(days=1)
    # when
    forum = intake.forum_create(
        actor=clerk,
        org=tree.village_a1,
        held_on=day,
        place="村委会",
        attendees={"public": 12, "member": 5, "retired": 0},
    )
    opinion, _ = intake.opinion_enter(
        actor=clerk, org=tree.village_a1, channel="forum", text="多开会少", forum=forum
    )
    # then
    assert forum.attendees == {"public": 12, "member": 5}
    assert opinion.forum == forum and opinion.received_on == day
    assert AuditEvent.objects.filter(action="opinions.forum").count() == 1
    assert_exact_counters()


def test_entering_needs_opinions_enter_at_the_organization(tree, make_user):
    # given: a supervisor (opinions.view only), and an administrator of another county
    supervisor = make_user("supervisor", tree.county_a1)
    other = make_user("org_admin", tree.county_b1)
    # when / then
    for actor in (supervisor, other):
        with pytest.raises(Forbidden):
            intake.opinion_enter(actor=actor, org=tree.village_a1, channel="visit", text="x")
        with pytest.raises(Forbidden):
            intake.forum_create(actor=actor, org=tree.village_a1, held_on=timezone.localdate())
    nothing_written()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channel": "box"}, "channel"),
        ({"channel": "hotline"}, "channel"),
        ({"channel": "nonsense"}, "channel"),
        ({"submitter_category": "alien"}, "submitter_category"),
        ({"received_on": "2020-01-01"}, "received_on"),
        ({"received_on": "future"}, "received_on"),
        ({"text": ""}, "text"),
        ({"text": "长" * 2001}, "text"),
        ({"anonymous": True, "contact": "13800138000"}, "contact"),
        ({"forum": "other"}, "forum"),
        ({"forum": "mine", "channel": "visit"}, "forum"),
    ],
)
def test_bad_staff_entries_are_refused_and_nothing_written(tree, make_user, kwargs, field):
    # given
    clerk = make_user("system_admin", tree.root, "all")
    other_forum = Forum.objects.create(
        org=tree.village_a2, org_path=tree.village_a2.path, held_on=timezone.localdate()
    )
    my_forum = Forum.objects.create(
        org=tree.village_a1, org_path=tree.village_a1.path, held_on=timezone.localdate()
    )
    args = {"channel": "forum", "text": "意见", **kwargs}
    if args.get("received_on") == "future":
        args["received_on"] = timezone.localdate() + dt.timedelta(days=1)
    if "forum" in args:
        args["forum"] = other_forum if args["forum"] == "other" else my_forum
    # when
    with pytest.raises(ApplicationError) as caught:
        intake.opinion_enter(actor=clerk, org=tree.village_a1, **args)
    # then
    assert caught.value.field == field
    assert Opinion.objects.count() == 0 and Receipt.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="opinions").exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"held_on": "2020-01-01"}, "held_on"),
        ({"held_on": "future"}, "held_on"),
        ({"place": "地" * 201}, "place"),
        ({"notes": "记" * 5001}, "notes"),
        ({"attendees": ["public"]}, "attendees"),
        ({"attendees": {"aliens": 3}}, "attendees"),
        ({"attendees": {"public": -1}}, "attendees"),
        ({"attendees": {"public": "3"}}, "attendees"),
        ({"attendees": {"public": True}}, "attendees"),
        ({"attendees": {"public": 100_001}}, "attendees"),
    ],
)
def test_bad_forums_are_refused_and_nothing_written(tree, make_user, kwargs, field):
    clerk = make_user("system_admin", tree.root, "all")
    args = {"held_on": timezone.localdate(), **kwargs}
    if args["held_on"] == "future":
        args["held_on"] = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ApplicationError) as caught:
        intake.forum_create(actor=clerk, org=tree.village_a1, **args)
    assert caught.value.field == field
    nothing_written()


def test_a_submission_is_folded_for_the_duplicate_search_and_found_by_it(tree):
    from massline.opinions import similar

    first, _ = intake.opinion_submit(
        org=tree.village_a1, text="幸福小區門口，路燈壞了！！😡", anonymous=True
    )
    assert first.text_folded == similar.fold("幸福小区门口路灯坏了")
    found = similar.candidates(tree.village_a1, "幸福小区门口的路灯坏了好几天")
    assert [c.opinion.pk for c in found] == [first.pk]
