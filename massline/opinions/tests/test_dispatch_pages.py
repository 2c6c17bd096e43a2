"""The staff pages: the inbox with its filters and pages, the triage page, one opinion with the
buttons of the map, and every step from a form, with its refusals."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from massline.conftest import login_client
from massline.opinions.models import Opinion, OpinionCategory

from .dispatch_fixtures import make_opinion


@pytest.fixture
def office(tree, make_user):
    return make_user("campaign_office", tree.county_a1, "subtree")


@pytest.fixture
def town_admin(tree, make_user):
    return make_user("org_admin", tree.town_a1, "this_org")


def test_the_navbar_shows_opinions_to_those_who_read_them(tree, office, make_user):
    assert 'data-testid="nav-opinions"' in login_client(office).get("/").content.decode()
    member = make_user("member", tree.county_a1, "self")
    assert 'data-testid="nav-opinions"' not in login_client(member).get("/").content.decode()


def test_home_goes_to_the_highest_inbox_in_view(tree, office, make_user):
    response = login_client(office).get("/opinions/")
    assert response.status_code == 302
    assert response["Location"] == f"/opinions/orgs/{tree.county_a1.pk}/"
    picked = login_client(office).get("/opinions/", {"org_q": tree.town_a1.name})
    assert picked["Location"] == f"/opinions/orgs/{tree.town_a1.pk}/"
    nothing = login_client(make_user("member", tree.county_a1, "self")).get("/opinions/")
    assert nothing.status_code == 403


def test_home_with_words_naming_nothing_says_so(tree, office):
    client = login_client(office)
    response = client.get("/opinions/", {"org_q": "没有这个组织"}, follow=True)
    assert "没有这个组织" in response.content.decode()


def test_the_inbox_lists_the_subtree_and_what_was_dispatched_here(tree, make_user):
    town_admin = make_user("org_admin", tree.town_a1, "subtree")
    mine = make_opinion(tree.village_a1, text="村口垃圾没人清")
    make_opinion(tree.county_a2, text="别处的意见")
    sent_here = make_opinion(
        tree.county_a1, text="区里转来的意见", status="dispatched", lead_org=tree.town_a1
    )
    page = login_client(town_admin).get(f"/opinions/orgs/{tree.town_a1.pk}/").content.decode()
    assert "村口垃圾没人清" in page
    assert "区里转来的意见" in page
    assert "别处的意见" not in page
    assert f"/opinions/{mine.pk}/" in page and f"/opinions/{sent_here.pk}/" in page
    assert f'href="/opinions/poster/{tree.town_a1.pk}/"' in page  # the box's poster


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"status": "dispatched"}, "派出的", "新收的"),
        ({"status": "open"}, "新收的", "办结的"),
        ({"channel": "forum"}, "座谈会的", "新收的"),
        ({"overdue": "1"}, "超期的", "新收的"),
        ({"anonymous": "0"}, "实名的", "新收的"),
    ],
)
def test_inbox_filters(tree, office, query, shown, hidden):
    make_opinion(tree.village_a1, text="新收的")
    make_opinion(tree.village_a1, text="派出的", status="dispatched", lead_org=tree.town_a1)
    make_opinion(tree.village_a1, text="办结的", status="closed")
    make_opinion(tree.village_a1, text="座谈会的", channel="forum", status="closed")
    make_opinion(tree.village_a1, text="超期的", overdue=True, status="closed")
    make_opinion(
        tree.village_a1, text="实名的", anonymous=False, status="closed", name_masked="张*"
    )
    page = login_client(office).get(f"/opinions/orgs/{tree.county_a1.pk}/", query).content.decode()
    assert shown in page
    assert hidden not in page


def test_inbox_category_filter(tree, office):
    cat = OpinionCategory.objects.create(source="four_winds", code="x", title="形式主义")
    make_opinion(tree.village_a1, text="有分类的", category=cat)
    make_opinion(tree.village_a1, text="没分类的")
    page = (
        login_client(office)
        .get(f"/opinions/orgs/{tree.county_a1.pk}/", {"category": cat.pk})
        .content.decode()
    )
    assert "有分类的" in page and "没分类的" not in page


@pytest.mark.parametrize(
    "query",
    [
        {"status": "lost"},
        {"channel": "fax"},
        {"category": "abc"},
        {"overdue": "maybe"},
        {"anonymous": "2"},
        {"after": "nonsense"},
    ],
)
def test_bad_filters_are_answered_with_a_message(tree, office, query):
    response = login_client(office).get(f"/opinions/orgs/{tree.county_a1.pk}/", query)
    assert response.status_code == 400
    assert 'data-testid="error"' in response.content.decode()


def test_inbox_pages_follow_the_keyset(tree, office, settings):
    from massline.opinions import dispatch_views

    for i in range(5):
        make_opinion(tree.village_a1, text=f"第{i}条意见")
    client = login_client(office)
    dispatch_views.PAGE = 2
    try:
        seen: list[str] = []
        url = f"/opinions/orgs/{tree.county_a1.pk}/"
        params: dict[str, str] = {}
        for _ in range(5):
            page = client.get(url, params).content.decode()
            seen += re.findall(r"第(\d)条意见", page)
            found = re.search(r'data-testid="next" href="\?[^"]*after=([^"&]+)"', page)
            if not found:
                break
            from urllib.parse import unquote

            params = {"after": unquote(found.group(1))}
    finally:
        dispatch_views.PAGE = 50
    assert sorted(seen) == ["0", "1", "2", "3", "4"]


def test_the_opinion_page_shows_the_text_escaped_and_the_contact_masked(tree, office):
    o = make_opinion(
        tree.village_a1,
        text="<script>alert(1)</script>😀𠀀",
        anonymous=False,
        name_masked="张*",
        contact_masked="138****0000",
        contact_enc="secret",
    )
    page = login_client(office).get(f"/opinions/{o.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;😀𠀀" in page
    assert "<script>alert(1)" not in page
    assert "138****0000" in page and "secret" not in page


def test_the_buttons_follow_the_map_and_the_user(tree, office, town_admin):
    o = make_opinion(tree.village_a1)
    page = login_client(office).get(f"/opinions/{o.pk}/").content.decode()
    assert {"triage", "merge", "dispatch"} == set(re.findall(r'data-testid="step-(\w+)"', page))
    o = make_opinion(tree.village_a1, status="dispatched", lead_org=tree.town_a1)
    office_page = login_client(office).get(f"/opinions/{o.pk}/").content.decode()
    # the office holds opinions.handle over its subtree too
    assert set(re.findall(r'data-testid="step-(\w+)"', office_page)) == {
        "reassign",
        "return",
        "contact",
        "reply",
    }
    lead_page = login_client(town_admin).get(f"/opinions/{o.pk}/").content.decode()
    assert set(re.findall(r'data-testid="step-(\w+)"', lead_page)) == {"return", "contact", "reply"}


def test_dispatch_from_the_page_with_the_picker_words(tree, office):
    o = make_opinion(tree.village_a1)
    client = login_client(office)
    response = client.post(
        f"/opinions/{o.pk}/dispatch/",
        {
            "status": "received",
            "lead_org_q": tree.town_a1.code,
            "co_orgs": f"{tree.village_a2.code}，{tree.village_a1.code}",
        },
    )
    assert response.status_code == 302
    o.refresh_from_db()
    assert (o.status, o.lead_org_id) == ("dispatched", tree.town_a1.pk)
    assert sorted(o.co_orgs.values_list("org_id", flat=True)) == sorted(
        [tree.village_a1.pk, tree.village_a2.pk]
    )
    followed = client.get(response["Location"]).content.decode()
    assert tree.town_a1.name in followed


def test_dispatch_from_the_page_with_the_picker_id(tree, office):
    o = make_opinion(tree.village_a1)
    response = login_client(office).post(
        f"/opinions/{o.pk}/dispatch/", {"status": "received", "lead_org": tree.town_a1.pk}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("data", "field_text"),
    [
        ({"lead_org": "99999999"}, "范围"),
        ({"lead_org": "abc"}, "范围"),
        ({"lead_org_q": "没有这个组织"}, "没有这个组织"),
        ({}, "牵头"),
        ({"lead_org_q": "150102101000", "co_orgs": "NOPE"}, "协办"),
        ({"lead_org_q": "150103000000"}, "范围"),  # county_a2: outside the office's scope
    ],
)
def test_a_bad_dispatch_from_the_page_is_shown_and_writes_nothing(tree, office, data, field_text):
    o = make_opinion(tree.village_a1)
    response = login_client(office).post(
        f"/opinions/{o.pk}/dispatch/", {"status": "received", **data}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="error"' in page
    assert field_text in page
    o.refresh_from_db()
    assert o.status == "received"


def test_a_return_without_a_reason_from_the_page(tree, town_admin):
    o = make_opinion(tree.village_a1, status="dispatched", lead_org=tree.town_a1)
    response = login_client(town_admin).post(
        f"/opinions/{o.pk}/return/", {"status": "dispatched", "note": " ", "confirmed": "1"}
    )
    assert response.status_code == 200
    assert "退回" in response.content.decode()
    o.refresh_from_db()
    assert o.status == "dispatched"


def test_a_confirm_step_without_the_tick_is_refused(tree, town_admin):
    o = make_opinion(tree.village_a1, status="dispatched", lead_org=tree.town_a1)
    response = login_client(town_admin).post(
        f"/opinions/{o.pk}/return/", {"status": "dispatched", "note": "不归我"}
    )
    assert response.status_code == 200
    o.refresh_from_db()
    assert o.status == "dispatched"


def test_a_stale_form_is_refused_with_its_status(tree, town_admin):
    o = make_opinion(tree.village_a1, status="handling", lead_org=tree.town_a1)
    response = login_client(town_admin).post(f"/opinions/{o.pk}/contact/", {"status": "dispatched"})
    assert response.status_code == 400


def test_the_lead_replies_and_the_steps_show(tree, town_admin):
    o = make_opinion(tree.village_a1, status="dispatched", lead_org=tree.town_a1)
    client = login_client(town_admin)
    client.post(f"/opinions/{o.pk}/contact/", {"status": "dispatched"})
    response = client.post(f"/opinions/{o.pk}/reply/", {"status": "handling", "note": "已修好"})
    assert response.status_code == 302
    page = client.get(f"/opinions/{o.pk}/").content.decode()
    assert "已修好" in page
    assert 'data-testid="step-publish"' in page


def test_an_unknown_action_is_404_and_get_is_405(tree, office):
    o = make_opinion(tree.village_a1)
    client = login_client(office)
    assert client.post(f"/opinions/{o.pk}/explode/", {}).status_code == 404
    assert client.get(f"/opinions/{o.pk}/dispatch/").status_code == 405


def test_the_wrong_side_gets_403(tree, town_admin):
    o = make_opinion(tree.town_a1)
    response = login_client(town_admin).post(
        f"/opinions/{o.pk}/triage/", {"status": "received", "urgency": "urgent"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("data", "code"),
    [({"into": "x"}, 200), ({"into": "999999"}, 200), ({}, 200)],
)
def test_bad_merges_from_the_page(tree, office, data, code):
    o = make_opinion(tree.village_a1)
    response = login_client(office).post(
        f"/opinions/{o.pk}/merge/", {"status": "received", "confirmed": "1", **data}
    )
    assert response.status_code == code
    o.refresh_from_db()
    assert o.status == "received"


def test_bad_triage_from_the_page(tree, office):
    o = make_opinion(tree.village_a1)
    client = login_client(office)
    for data in ({"category": "abc"}, {"category": "99999"}, {"urgency": "asap"}, {}):
        response = client.post(f"/opinions/{o.pk}/triage/", {"status": "received", **data})
        assert response.status_code == 200
        assert 'data-testid="error"' in response.content.decode()


def test_the_triage_page_lists_what_waits_and_takes_steps_back_to_itself(tree, office):
    waiting = make_opinion(tree.village_a1, text="待分办的意见")
    make_opinion(tree.village_a1, text="已派出的意见", status="dispatched", lead_org=tree.town_a1)
    client = login_client(office)
    page = client.get(f"/opinions/orgs/{tree.county_a1.pk}/triage/").content.decode()
    assert "待分办的意见" in page and "已派出的意见" not in page
    assert "data-org-picker=" in page
    response = client.post(
        f"/opinions/{waiting.pk}/dispatch/",
        {"status": "received", "lead_org_q": tree.town_a1.code, "back": str(tree.county_a1.pk)},
    )
    assert response["Location"] == f"/opinions/orgs/{tree.county_a1.pk}/triage/"
    refused = client.post(
        f"/opinions/{waiting.pk}/dispatch/",
        {"status": "dispatched", "back": str(tree.county_a1.pk)},
    )
    assert refused["Location"] == f"/opinions/orgs/{tree.county_a1.pk}/triage/"
    assert Opinion.objects.get(pk=waiting.pk).status == "dispatched"


def test_the_triage_page_needs_dispatch(tree, town_admin, office):
    assert (
        login_client(town_admin).get(f"/opinions/orgs/{tree.town_a1.pk}/triage/").status_code == 403
    )
    assert (
        login_client(office).get(f"/opinions/orgs/{tree.county_a2.pk}/triage/").status_code == 404
    )


@pytest.mark.parametrize(
    "url", ["/opinions/", "/opinions/orgs/1/", "/opinions/1/", "/opinions/orgs/1/triage/"]
)
def test_pages_need_a_login(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
