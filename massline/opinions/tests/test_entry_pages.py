"""The staff entry pages: one opinion from an interview, a visit or the paper box; forums and
the opinions raised at them; the possible duplicates on an opinion's page and merging from
them. Everything through the test client, each refusal a test."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from massline.conftest import login_client
from massline.core.models import AuditEvent
from massline.opinions.models import Forum, Opinion, OpinionCategory
from massline.opinions.receipts import opinion_by_receipt
from massline.opinions.similar import fold
from massline.orgs import counters as org_counters

from .dispatch_fixtures import make_opinion as make_unfolded

STREETLIGHT = "保合少镇幸福小区门口的路灯坏了三个月没人修，晚上出门很不方便"
STREETLIGHT_AGAIN = "幸福小区门口路灯坏了好几个月，一直没人修，晚上走路不方便"


@pytest.fixture
def clerk(tree, make_user):
    """Enters opinions at the town and below; does not dispatch."""
    return make_user("org_admin", tree.town_a1, "subtree")


@pytest.fixture
def office(tree, make_user):
    """The county's campaign office: enters and dispatches."""
    return make_user("campaign_office", tree.county_a1, "subtree")


def make_opinion(org, *, text, **fields):
    """An opinion as intake leaves it: with its folded text, which duplicates compare."""
    return make_unfolded(org, text=text, text_folded=fold(text), **fields)


def _entry(**fields):
    values = {
        "channel": "interview",
        "received_on": timezone.localdate().isoformat(),
        "text": "村里的垃圾清运不及时",
        "submitter_category": "public",
        "identity": "anonymous",
        "name": "",
        "contact": "",
        "category": "",
        "urgency": "general",
    }
    return {**values, **fields}


def _url(org, tail="enter/"):
    return f"/opinions/orgs/{org.pk}/{tail}"


@pytest.mark.parametrize("channel", ["interview", "visit", "paper"])
def test_each_channel_is_entered_with_a_receipt_shown_once(tree, clerk, channel):
    # given
    client = login_client(clerk)
    day = timezone.localdate() - dt.timedelta(days=3)
    # when
    response = client.post(
        _url(tree.village_a1), _entry(channel=channel, received_on=day.isoformat())
    )
    # then
    assert response.status_code == 200
    page = response.content.decode()
    opinion = Opinion.objects.get()
    assert opinion.channel == channel and opinion.received_on == day
    assert opinion.entered_by == clerk and opinion.org == tree.village_a1
    receipt = re.search(r'data-testid="receipt">([A-Z0-9-]+)<', page)
    assert receipt and opinion_by_receipt(receipt.group(1)) == opinion
    assert "no-store" in response["Cache-Control"]
    # enter another: the same channel and day are kept
    assert f'<option value="{channel}" selected>' in page
    assert f'value="{day.isoformat()}"' in page
    assert f'href="/opinions/{opinion.pk}/"' in page
    assert AuditEvent.objects.filter(action="opinions.enter").count() == 1
    assert org_counters.rebuild(check_only=True) == []


def test_a_named_opinion_shows_its_contact_masked_never_in_clear(tree, clerk):
    # given
    client = login_client(clerk)
    # when
    response = client.post(
        _url(tree.village_a1),
        _entry(identity="named", name="王小明", contact="13800138000", urgency="urgent"),
    )
    # then
    page = response.content.decode()
    opinion = Opinion.objects.get()
    assert not opinion.anonymous and opinion.urgency == "urgent"
    assert "138****8000" in page and "13800138000" not in page and "王小明" not in page
    detail = client.get(f"/opinions/{opinion.pk}/").content.decode()
    assert "138****8000" in detail and "13800138000" not in detail


def test_the_entry_page_offers_the_categories_of_the_organization(tree, clerk):
    local = OpinionCategory.objects.create(
        source="local",
        code="town-roads",
        title="镇里道路",
        org=tree.town_a1,
        org_path=tree.town_a1.path,
    )
    page = login_client(clerk).get(_url(tree.village_a1)).content.decode()
    assert "镇里道路" in page and f'value="{local.pk}"' in page
    assert 'data-testid="entry-form"' in page


def _other_org_category(tree):
    return OpinionCategory.objects.create(
        source="local",
        code="elsewhere",
        title="别处的",
        org=tree.county_a2,
        org_path=tree.county_a2.path,
    ).pk


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "   "}, "text"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"received_on": "not a day"}, "received_on"),
        ({"category": "999999"}, "category"),
        ({"category": "other-org"}, "category"),
        ({"identity": "named", "contact": ""}, "contact"),
        ({"identity": "anonymous", "contact": "13800138000"}, "contact"),
        ({"identity": "named", "contact": "123"}, "contact"),
        ({"channel": "forum"}, "channel"),
        ({"channel": "box"}, "channel"),
        ({"urgency": "whenever"}, "urgency"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_written(tree, clerk, fields, field):
    # given
    if fields.get("category") == "other-org":
        fields = {**fields, "category": str(_other_org_category(tree))}
    # when
    response = login_client(clerk).post(_url(tree.village_a1), _entry(**fields))
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="error-{field}"' in page, page
    assert 'data-testid="receipt"' not in page
    assert not Opinion.objects.exists()
    assert not AuditEvent.objects.filter(action="opinions.enter").exists()


def test_errors_are_translated(tree, clerk):
    page = login_client(clerk).post(_url(tree.village_a1), _entry(text="")).content.decode()
    assert "请填写意见内容：内容为空。" in page


def test_a_user_without_opinions_enter_is_refused(tree, make_user):
    # given: reads opinions, enters none
    supervisor = make_user("supervisor", tree.county_a1, "subtree")
    client = login_client(supervisor)
    # when / then
    assert client.get(_url(tree.village_a1)).status_code == 403
    assert client.post(_url(tree.village_a1), _entry()).status_code == 403
    assert client.post(_url(tree.village_a1, "forums/new/"), {}).status_code == 403
    assert not Opinion.objects.exists()
    inbox = client.get(_url(tree.village_a1, "")).content.decode()
    assert 'data-testid="enter-link"' not in inbox


def test_an_organization_outside_the_scope_is_not_found(tree, clerk):
    client = login_client(clerk)
    assert client.get(_url(tree.county_a2)).status_code == 404
    assert client.post(_url(tree.county_a2), _entry()).status_code == 404
    assert client.get(_url(tree.county_a2, "forums/")).status_code == 404
    assert not Opinion.objects.exists()


def test_the_inbox_links_to_entry_for_those_who_enter(tree, clerk):
    page = login_client(clerk).get(_url(tree.town_a1, "")).content.decode()
    assert f'href="/opinions/orgs/{tree.town_a1.pk}/enter/"' in page
    assert f'href="/opinions/orgs/{tree.town_a1.pk}/forums/"' in page


# --- forums ---------------------------------------------------------------------------


def _forum_post(**fields):
    values = {
        "held_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "place": "村委会会议室",
        "notes": "",
        "attendees_public": "12",
        "attendees_member": "5",
    }
    return {**values, **fields}


def test_a_forum_with_its_opinions_one_after_another(tree, clerk):
    # given
    client = login_client(clerk)
    # when: the forum, then two opinions raised at it
    created = client.post(_url(tree.village_a1, "forums/new/"), _forum_post())
    assert created.status_code == 302, created.content.decode()
    forum = Forum.objects.get()
    assert created["Location"] == f"/opinions/orgs/{tree.village_a1.pk}/forums/{forum.pk}/"
    assert forum.attendees == {"public": 12, "member": 5}
    for text in ("希望多开几次这样的会", "建议公开村务账目"):
        response = client.post(
            created["Location"],
            {
                "text": text,
                "submitter_category": "member",
                "identity": "anonymous",
                "urgency": "general",
                "category": "",
            },
        )
        assert response.status_code == 200
        assert 'data-testid="receipt"' in response.content.decode()
    # then
    opinions = list(Opinion.objects.order_by("id"))
    assert [o.forum_id for o in opinions] == [forum.pk, forum.pk]
    assert {o.channel for o in opinions} == {"forum"}
    assert {o.received_on for o in opinions} == {forum.held_on}
    page = client.get(created["Location"]).content.decode()
    assert "建议公开村务账目" in page and "希望多开几次这样的会" in page
    assert re.search(r'data-testid="attendance">群众 12、党员 5<', page)
    listing = client.get(_url(tree.village_a1, "forums/")).content.decode()
    row = re.search(rf'data-testid="forum-{forum.pk}">(.*?)</tr>', listing, re.S)
    assert row and ">2</td>" in row.group(1) and "村委会会议室" in row.group(1)
    assert org_counters.rebuild(check_only=True) == []


@pytest.mark.parametrize(
    ("fields", "marker"),
    [
        ({"held_on": "2999-01-01"}, "error-held_on"),
        ({"held_on": ""}, "error-held_on"),
        ({"attendees_public": "-3"}, "error-attendees"),
        ({"attendees_member": "1000000"}, "error-attendees"),
        ({"attendees_member": "two"}, "error-attendees_member"),
        ({"place": "地" * 201}, "error-place"),
    ],
)
def test_a_bad_forum_is_refused_at_its_field(tree, clerk, fields, marker):
    response = login_client(clerk).post(_url(tree.village_a1, "forums/new/"), _forum_post(**fields))
    assert response.status_code == 200
    assert f'data-testid="{marker}"' in response.content.decode()
    assert not Forum.objects.exists()


def test_a_bad_opinion_at_a_forum_is_refused(tree, clerk):
    client = login_client(clerk)
    client.post(_url(tree.village_a1, "forums/new/"), _forum_post())
    forum = Forum.objects.get()
    response = client.post(
        _url(tree.village_a1, f"forums/{forum.pk}/"),
        {"text": "", "submitter_category": "public", "identity": "anonymous", "urgency": "general"},
    )
    assert 'data-testid="error-text"' in response.content.decode()
    assert not Opinion.objects.exists()


def test_a_forum_of_another_organization_is_not_found(tree, clerk):
    client = login_client(clerk)
    client.post(_url(tree.village_a1, "forums/new/"), _forum_post())
    forum = Forum.objects.get()
    assert client.get(_url(tree.village_a2, f"forums/{forum.pk}/")).status_code == 404
    response = client.post(
        _url(tree.village_a2, f"forums/{forum.pk}/"),
        {
            "text": "意见",
            "submitter_category": "public",
            "identity": "anonymous",
            "urgency": "general",
        },
    )
    assert response.status_code == 404
    assert not Opinion.objects.exists()


def test_forum_pages_take_a_bounded_number_of_queries(tree, clerk, django_assert_max_num_queries):
    client = login_client(clerk)
    for i in range(8):
        client.post(_url(tree.village_a1, "forums/new/"), _forum_post(place=f"会场{i}"))
    forum = Forum.objects.first()
    for i in range(6):
        client.post(
            _url(tree.village_a1, f"forums/{forum.pk}/"),
            {
                "text": f"意见{i}",
                "submitter_category": "public",
                "identity": "anonymous",
                "urgency": "general",
            },
        )
    # the session, the user, the grants, the organization, then the page's own reads
    with django_assert_max_num_queries(8):
        assert client.get(_url(tree.village_a1, "forums/")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(_url(tree.village_a1, f"forums/{forum.pk}/")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(_url(tree.village_a1)).status_code == 200


# --- possible duplicates --------------------------------------------------------------


def test_an_entered_opinion_shows_what_it_repeats(tree, office):
    # given: an open opinion at the town
    first = make_opinion(tree.town_a1, text=STREETLIGHT)
    client = login_client(office)
    # when: the same complaint is entered at a village below
    response = client.post(_url(tree.village_a1), _entry(text=STREETLIGHT_AGAIN))
    # then: the answer and the new opinion's page suggest the first one
    assert f'data-testid="duplicate-{first.pk}"' in response.content.decode()
    new = Opinion.objects.exclude(pk=first.pk).get()
    page = client.get(f"/opinions/{new.pk}/").content.decode()
    assert f'data-testid="duplicate-{first.pk}"' in page
    assert re.search(r'data-testid="score">相似度 \d+%<', page)


def test_duplicates_stay_within_what_a_merge_accepts(tree, office):
    # given: the same complaint at the town (above), at a sibling village and in another county
    above = make_opinion(tree.town_a1, text=STREETLIGHT)
    sibling = make_opinion(tree.village_a2, text=STREETLIGHT)
    elsewhere = make_opinion(tree.county_a2, text=STREETLIGHT)
    closed = make_opinion(tree.town_a1, text=STREETLIGHT, status="closed")
    o = make_opinion(tree.village_a1, text=STREETLIGHT_AGAIN)
    # when
    page = login_client(office).get(f"/opinions/{o.pk}/").content.decode()
    # then
    assert f'data-testid="duplicate-{above.pk}"' in page
    for other in (sibling, elsewhere, closed):
        assert f'data-testid="duplicate-{other.pk}"' not in page


@pytest.mark.parametrize("status", ["received", "returned"])
def test_duplicates_are_shown_while_the_opinion_can_be_merged(tree, office, status):
    first = make_opinion(tree.town_a1, text=STREETLIGHT)
    extra = {"lead_org": tree.town_a1} if status == "returned" else {}
    o = make_opinion(tree.town_a1, text=STREETLIGHT_AGAIN, status=status, **extra)
    page = login_client(office).get(f"/opinions/{o.pk}/").content.decode()
    assert f'data-testid="duplicate-{first.pk}"' in page


@pytest.mark.parametrize("status", ["dispatched", "replied", "closed", "merged"])
def test_no_duplicates_once_the_opinion_has_moved_on(tree, office, status):
    make_opinion(tree.town_a1, text=STREETLIGHT)
    o = make_opinion(tree.town_a1, text=STREETLIGHT_AGAIN, status=status, lead_org=tree.town_a1)
    page = login_client(office).get(f"/opinions/{o.pk}/").content.decode()
    assert 'data-testid="duplicates"' not in page


def test_no_duplicates_for_who_may_not_merge(tree, clerk):
    make_opinion(tree.town_a1, text=STREETLIGHT)
    o = make_opinion(tree.village_a1, text=STREETLIGHT_AGAIN)
    page = login_client(clerk).get(f"/opinions/{o.pk}/").content.decode()
    assert page and 'data-testid="duplicates"' not in page


def test_no_duplicates_says_so(tree, office):
    o = make_opinion(tree.village_a1, text="完全不同的一条关于学校食堂的意见")
    page = login_client(office).get(f"/opinions/{o.pk}/").content.decode()
    assert 'data-testid="no-duplicates"' in page


def test_merge_from_the_panel(tree, office):
    # given
    first = make_opinion(tree.town_a1, text=STREETLIGHT)
    o = make_opinion(tree.village_a1, text=STREETLIGHT_AGAIN)
    client = login_client(office)
    page = client.get(f"/opinions/{o.pk}/").content.decode()
    form = re.search(
        rf'<form method="post" action="(/opinions/{o.pk}/merge/)"[^>]*>(.*?)</form>', page, re.S
    )
    assert form
    fields = dict(re.findall(r'name="(status|into)" value="([^"]*)"', form.group(2)))
    assert fields == {"status": "received", "into": str(first.pk)}
    # when: without ticking the confirmation, then with it
    refused = client.post(form.group(1), fields)
    assert refused.status_code == 200 and 'data-testid="error"' in refused.content.decode()
    o.refresh_from_db()
    assert o.status == "received"
    done = client.post(form.group(1), {**fields, "confirmed": "1"})
    # then
    assert done.status_code == 302
    o.refresh_from_db()
    assert o.status == "merged" and o.merged_into_id == first.pk
    assert org_counters.rebuild(check_only=True) == []


def test_the_triage_list_links_each_row_to_its_duplicates(tree, office):
    o = make_opinion(tree.village_a1, text=STREETLIGHT)
    page = login_client(office).get(_url(tree.county_a1, "triage/")).content.decode()
    assert f'href="/opinions/{o.pk}/#duplicates"' in page


def test_the_opinion_page_with_duplicates_takes_a_bounded_number_of_queries(
    tree, office, django_assert_max_num_queries
):
    for i in range(12):
        make_opinion(tree.village_a1 if i % 2 else tree.town_a1, text=f"{STREETLIGHT}{i}")
    o = make_opinion(tree.village_a1, text=STREETLIGHT_AGAIN)
    client = login_client(office)
    client.get(f"/opinions/{o.pk}/")
    # the page's 9 and the duplicates' 4 (the line above, candidates' 2, their organizations)
    with django_assert_max_num_queries(14):
        page = client.get(f"/opinions/{o.pk}/").content.decode()
    assert page.count('data-testid="duplicate-') == 5


def test_a_reader_sees_the_forums_but_records_and_enters_nothing(tree, clerk, make_user):
    # given: a forum recorded by the clerk, and a supervisor who reads opinions only
    login_client(clerk).post(_url(tree.village_a1, "forums/new/"), _forum_post())
    forum = Forum.objects.get()
    reader = login_client(make_user("supervisor", tree.county_a1, "subtree"))
    # when
    listing = reader.get(_url(tree.village_a1, "forums/"))
    page = reader.get(_url(tree.village_a1, f"forums/{forum.pk}/"))
    posted = reader.post(
        _url(tree.village_a1, f"forums/{forum.pk}/"),
        {"text": "意见", "submitter_category": "public", "identity": "anonymous"},
    )
    # then
    assert listing.status_code == 200 and page.status_code == 200
    assert 'data-testid="forum-new-link"' not in listing.content.decode()
    assert 'data-testid="forum-opinion-form"' not in page.content.decode()
    assert posted.status_code == 403
    assert not Opinion.objects.exists()
