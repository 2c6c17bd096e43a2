"""Roster pages and API through the test client: scope, filters, registers, search, keyset
pages, masking and the audited reveal."""

import datetime as dt

import pytest

from massline.conftest import api_client, login_client
from massline.core.models import AuditEvent
from massline.members.idnumber import make_id
from massline.members.services import member_create, member_mark_lost, member_set_mobility


def add(org, name, seq, *, status="full", birth=dt.date(1980, 5, 17)):
    number = make_id("150102", birth, seq)
    member = member_create(
        actor=None,
        org=org,
        name=name,
        gender="",
        ethnicity="02",
        id_number=number,
        join_date=dt.date(2005, 7, 1),
        status=status,
        category="employed",
        full_date=dt.date(2006, 7, 1) if status == "full" else None,
        phone="13800138000",
    )
    return member, number


@pytest.fixture
def roster(tree):
    a1, a1_id = add(tree.village_a1, "张国华", 1)
    a2, _ = add(tree.village_a2, "巴特尔", 2, status="probationary")
    b1, _ = add(tree.branch_b1, "其其格", 3)
    member_mark_lost(actor=None, member=a2, since=dt.date(2024, 3, 1))
    member_set_mobility(
        actor=None, member=a1, mobility="outflow", since=dt.date(2023, 1, 1), place="北京市朝阳区"
    )
    return {"a1": a1, "a1_id": a1_id, "a2": a2, "b1": b1}


def names(response):
    return {m.name for m in response.context["members"]}


def test_list_shows_only_members_in_scope(tree, roster, make_user):
    client = login_client(make_user("campaign_office", tree.pref_a))
    assert names(client.get("/members/")) == {"张国华", "巴特尔"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "probationary"}, {"巴特尔"}),
        ({"lost_contact": "1"}, {"巴特尔"}),
        ({"mobility": "any"}, {"张国华"}),
        ({"mobility": "inflow"}, set()),
        ({"q": "張國華"}, {"张国华"}),
        ({"q": "巴特"}, {"巴特尔"}),
        ({"ethnicity": "01"}, set()),
        ({"age": "46to60"}, {"张国华", "巴特尔", "其其格"}),
        ({"age": "35to45"}, set()),
        ({"age": "over60"}, set()),
    ],
)
def test_filters_and_registers(tree, roster, make_user, query, expected):
    client = login_client(make_user("system_admin", tree.root, "all"))
    assert names(client.get("/members/", query)) == expected


def test_search_by_last_digits_of_the_id_number(tree, roster, make_user):
    client = login_client(make_user("system_admin", tree.root, "all"))
    assert names(client.get("/members/", {"q": roster["a1_id"][-4:]})) == {"张国华"}
    assert names(client.get("/members/", {"q": roster["a1_id"]})) == {"张国华"}


def test_org_filter_narrows_to_a_subtree_and_refuses_outside_scope(tree, roster, make_user):
    client = login_client(make_user("campaign_office", tree.pref_a))
    assert names(client.get("/members/", {"org": tree.town_a1.pk})) == {"张国华", "巴特尔"}
    assert client.get("/members/", {"org": tree.pref_b.pk}).status_code == 404


def test_keyset_pages_walk_the_whole_list_once(tree, make_user, django_assert_max_num_queries):
    # given 120 members over two branches
    for i in range(60):
        add(tree.village_a1, f"甲{i}", 100 + i)
        add(tree.village_a2, f"乙{i}", 300 + i)
    client = login_client(make_user("system_admin", tree.root, "all"))
    seen, url, pages, last = [], "/members/", 0, None
    while url:
        with django_assert_max_num_queries(8):
            response = client.get(url)
        seen += [m.pk for m in response.context["members"]]
        last = response
        url = f"/members/{response.context['next_url']}" if response.context["next_url"] else ""
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 120
    assert response.context["total"] == 120 and response.context["total_exact"]
    # and back, page by page, to the first
    back = []
    while last is not None:
        back = [m.pk for m in last.context["members"]] + back
        previous = last.context["previous_url"]
        last = client.get(f"/members/{previous}") if previous else None
    assert back == seen


def test_page_size_total_and_a_filter_no_counter_serves(tree, make_user):
    for i in range(30):
        add(tree.village_a1, f"甲{i}", 100 + i)
    client = login_client(make_user("system_admin", tree.root, "all"))
    response = client.get("/members/", {"size": "20", "q": "甲1"})
    assert len(response.context["members"]) == 11  # 甲1, 甲10 … 甲19
    assert response.context["total"] == 11 and response.context["total_exact"]
    response = client.get("/members/", {"size": "20"})
    assert len(response.context["members"]) == 20 and response.context["size"] == 20
    assert "size=20" in response.context["next_url"]
    assert client.get("/members/", {"size": "7"}).context["size"] == 50  # not offered


def test_the_organization_typed_without_the_picker_is_found(tree, make_user):
    add(tree.village_a1, "甲", 100)
    add(tree.village_a2, "乙", 300)
    client = login_client(make_user("system_admin", tree.root, "all"))
    response = client.get("/members/", {"org_q": tree.village_a2.name})
    assert response.context["filters"].org == tree.village_a2
    assert [m.name for m in response.context["members"]] == ["乙"]
    response = client.get("/members/", {"org_q": "没有这个组织"})
    assert response.context["org_error"]


def test_member_page_masks_numbers_and_the_reveal_is_audited(tree, roster, make_user):
    # given a branch secretary of the village (may see full numbers)
    client = login_client(make_user("org_admin", tree.village_a1, "this_org"))
    member = roster["a1"]
    # when
    page = client.get(f"/members/{member.pk}/").content.decode()
    revealed = client.post(f"/members/{member.pk}/reveal/").content.decode()
    # then
    assert roster["a1_id"] not in page and member.id_masked in page and "138****8000" in page
    assert roster["a1_id"] in revealed and "13800138000" in revealed
    assert AuditEvent.objects.filter(action="members.reveal", target_id=str(member.pk)).count() == 1


def test_reveal_is_refused_to_a_role_without_the_need(tree, roster, make_user):
    client = login_client(make_user("supervisor", tree.root))
    member = roster["a1"]
    assert client.get(f"/members/{member.pk}/").status_code == 200
    assert client.post(f"/members/{member.pk}/reveal/").status_code == 403
    assert not AuditEvent.objects.filter(action="members.reveal").exists()


def test_member_outside_scope_is_not_found(tree, roster, make_user):
    client = login_client(make_user("org_admin", tree.county_a1))
    assert client.get(f"/members/{roster['b1'].pk}/").status_code == 404
    assert client.post(f"/members/{roster['b1'].pk}/reveal/").status_code == 404


def test_roster_is_refused_without_members_permission(tree, roster, make_user):
    assert login_client(make_user("member", tree.root)).get("/members/").status_code == 403


def test_api_lists_masked_members_in_scope(tree, roster, make_user):
    client = api_client(make_user("campaign_office", tree.pref_a))
    body = client.get("/api/v1/members", {"lost_contact": "true"}).json()
    assert [m["name"] for m in body["items"]] == ["巴特尔"]
    one = client.get(f"/api/v1/members/{roster['a1'].pk}").json()
    assert one["id_number"] == roster["a1"].id_masked and roster["a1_id"] not in str(one)
    assert client.get(f"/api/v1/members/{roster['b1'].pk}").status_code == 404


def test_revealed_fragment_no_longer_offers_the_button(tree, roster, make_user):
    client = login_client(make_user("org_admin", tree.village_a1, "this_org"))
    page = client.get(f"/members/{roster['a1'].pk}/").content.decode()
    revealed = client.post(f"/members/{roster['a1'].pk}/reveal/").content.decode()
    assert "hx-post" in page and "hx-post" not in revealed


def test_member_page_history_merges_a_bulk_entry_with_the_members_own_events(
    tree, roster, make_user
):
    """A member entered by a bulk load (one MemberEventRange for many ids) sees that entry in
    their history, dated and signed, next to their own later events; a member outside the
    range does not."""
    from massline.members.models import MemberEventKind, MemberEventRange

    loader = make_user("org_admin", tree.root)
    a1, b1 = roster["a1"], roster["b1"]
    MemberEventRange.objects.create(
        first_id=a1.pk, last_id=a1.pk, kind=MemberEventKind.JOINED_ROSTER,
        on=dt.date(2001, 1, 2), detail={"source": "import", "job": None}, actor=loader,
    )  # fmt: skip
    client = login_client(make_user("org_admin", tree.root))
    page = client.get(f"/members/{a1.pk}/")
    kinds = [e.kind for e in page.context["events"]]
    assert kinds[-1] == MemberEventKind.JOINED_ROSTER and len(kinds) > 1  # the oldest, last
    assert "2001-01-02" in page.content.decode() and str(loader) in page.content.decode()
    other = client.get(f"/members/{b1.pk}/").context["events"]
    assert all(getattr(e, "member_id", None) == b1.pk for e in other)
