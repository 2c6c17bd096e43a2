"""The pages that keep the roster, through the test client: each form's success (and the
counters after it), each error next to its field, and the access rules (anonymous → sign in,
outside the scope → 404, in view without members.manage → 403). Also the registers' columns,
the roster totals and figures written 17,451."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from massline.conftest import login_client
from massline.core.models import AuditEvent
from massline.members.idnumber import check_digit, make_id
from massline.members.models import Member, MemberEvent, MemberEventKind
from massline.members.services import (
    member_create,
    member_make_full,
    member_mark_lost,
    member_set_mobility,
)
from massline.orgs import counters
from massline.orgs.models import OrgCounter

BIRTH = dt.date(1980, 5, 17)


def add(org, name, seq, *, status="probationary"):
    number = make_id("150102", BIRTH, seq)
    member = member_create(
        actor=None,
        org=org,
        name=name,
        gender="",
        ethnicity="01",
        id_number=number,
        join_date=dt.date(2005, 7, 1),
        status=status,
        category="employed",
        full_date=dt.date(2006, 7, 1) if status == "full" else None,
    )
    return member


@pytest.fixture
def site(tree, make_user):
    s = SimpleNamespace(tree=tree)
    s.a1 = add(tree.village_a1, "张国华", 1)
    s.a2 = add(tree.village_a2, "巴特尔", 2, status="full")
    s.b1 = add(tree.branch_b1, "其其格", 3)
    # a branch secretary (this_org), a county administrator (subtree), a supervisor who
    # may see members but not keep them, and an administrator of the other city
    s.secretary = make_user("org_admin", tree.village_a1, "this_org")
    s.county = make_user("org_admin", tree.county_a1)
    s.supervisor = make_user("supervisor", tree.root)
    s.other_city = make_user("org_admin", tree.pref_b)
    return s


def fresh(member):
    return Member.objects.select_related("attached_org").get(pk=member.pk)


def no_drift():
    assert counters.rebuild(check_only=True) == []


def figure(org, metric):
    row = OrgCounter.objects.filter(org=org, metric=metric).first()
    return row.subtree if row else 0


def field_errors(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


def non_field_errors(response):
    return [str(e) for e in response.context["form"].non_field_errors()]


# Access: every form page, GET and POST


FORM_PAGES = ["full", "mobility", "lost", "found", "tracing"]


@pytest.mark.parametrize("page", FORM_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_users_are_sent_to_sign_in(site, client, page, method):
    url = f"/members/{site.a1.pk}/{page}/"
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("page", FORM_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_role_without_members_manage_is_refused(site, page, method):
    client = login_client(site.supervisor)
    response = getattr(client, method)(
        f"/members/{site.a1.pk}/{page}/", {"lost_since": "2024-01-01"}
    )
    assert response.status_code == 403
    assert MemberEvent.objects.filter(member=site.a1).count() == 1  # joined_roster only


@pytest.mark.parametrize("page", FORM_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_outside_the_scope_is_not_found(site, page, method):
    client = login_client(site.other_city)
    response = getattr(client, method)(
        f"/members/{site.a1.pk}/{page}/", {"lost_since": "2024-01-01"}
    )
    assert response.status_code == 404
    assert getattr(client, method)(f"/members/999999/{page}/").status_code == 404


def test_a_secretary_may_not_keep_the_members_of_the_next_branch(site):
    # the secretary of village_a1 (this_org) does not see village_a2's members
    client = login_client(site.secretary)
    assert client.get(f"/members/{site.a2.pk}/lost/").status_code == 404
    assert client.get(f"/members/{site.a1.pk}/lost/").status_code == 200


def test_the_actions_are_shown_only_to_those_who_may_keep_the_roster(site):
    manager = login_client(site.secretary).get(f"/members/{site.a1.pk}/").content.decode()
    viewer = login_client(site.supervisor).get(f"/members/{site.a1.pk}/").content.decode()
    assert 'data-testid="member-actions"' in manager
    for page in ("full", "mobility", "lost"):
        assert f"/members/{site.a1.pk}/{page}/" in manager
    assert f"/members/{site.a1.pk}/found/" not in manager  # not lost: nothing to find
    assert 'data-testid="member-actions"' not in viewer
    assert f"/members/{site.a1.pk}/lost/" not in viewer


def test_the_actions_follow_the_members_state(site):
    member_mark_lost(actor=None, member=site.a2, since=dt.date(2024, 1, 1))
    member_set_mobility(
        actor=None, member=site.a2, mobility="outflow", since=dt.date(2023, 1, 1), place="北京"
    )
    page = login_client(site.county).get(f"/members/{site.a2.pk}/").content.decode()
    assert f"/members/{site.a2.pk}/found/" in page
    assert f"/members/{site.a2.pk}/tracing/" in page
    assert f"/members/{site.a2.pk}/lost/" not in page
    assert f"/members/{site.a2.pk}/full/" not in page  # already full
    assert "结束流动" in page


# Make full member


def test_make_full_accepts_a_chinese_date_and_goes_back_with_a_message(site):
    client = login_client(site.secretary)
    # given the form, with today's date offered
    page = client.get(f"/members/{site.a1.pk}/full/")
    assert page.status_code == 200
    assert page.context["form"]["full_date"].value() == timezone.localdate().isoformat()
    # when
    response = client.post(
        f"/members/{site.a1.pk}/full/", {"full_date": "2006年7月1日"}, follow=True
    )
    # then
    assert response.redirect_chain == [(f"/members/{site.a1.pk}/", 302)]
    member = fresh(site.a1)
    assert (member.status, member.full_date) == ("full", dt.date(2006, 7, 1))
    assert "张国华 已转为正式党员。" in response.content.decode()
    assert figure(site.tree.root, "members.probationary") == 1  # b1 only
    assert AuditEvent.objects.get(action="members.status").actor == site.secretary
    no_drift()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", "这个字段是必填项。"),
        ("2006-02-30", "不是日历上有的日子"),
        ("明年", "不是日期"),
        ("2005-06-30", "转正日期早于入党日期"),
    ],
)
def test_make_full_shows_each_error_next_to_the_date(site, typed, expected):
    client = login_client(site.secretary)
    response = client.post(f"/members/{site.a1.pk}/full/", {"full_date": typed})
    assert response.status_code == 200
    assert any(expected in e for e in field_errors(response, "full_date"))
    assert 'class="form-control is-invalid"' in response.content.decode()
    assert fresh(site.a1).status == "probationary"
    no_drift()


def test_make_full_of_a_full_member_is_refused_above_the_form(site):
    client = login_client(site.county)
    response = client.post(f"/members/{site.a2.pk}/full/", {"full_date": "2010-01-01"})
    assert response.status_code == 200
    assert non_field_errors(response) == ["巴特尔 已是正式党员。"]
    assert 'data-testid="form-error"' in response.content.decode()
    assert fresh(site.a2).full_date == dt.date(2006, 7, 1)


# Mobility


def test_outflow_records_where_since_and_contact(site):
    client = login_client(site.secretary)
    response = client.post(
        f"/members/{site.a1.pk}/mobility/",
        {
            "mobility": "outflow",
            "since": "2023.1.5",
            "place": "北京市朝阳区",
            "contact": "13900000000",
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"/members/{site.a1.pk}/", 302)]
    member = fresh(site.a1)
    assert (member.mobility, member.mobility_since, member.mobility_place) == (
        "outflow",
        dt.date(2023, 1, 5),
        "北京市朝阳区",
    )
    assert member.mobility_contact == "13900000000"
    assert figure(site.tree.root, "members.outflow") == 1
    assert "北京市朝阳区" in response.content.decode()
    no_drift()


@pytest.mark.parametrize(
    "typed", ["150102101202", "150102101202 ", "中共讨思浩村支部委员会", "讨思浩"]
)
def test_inflow_attaches_to_a_branch_found_by_code_or_name(site, typed):
    client = login_client(site.county)
    response = client.post(
        f"/members/{site.a1.pk}/mobility/",
        {
            "mobility": "inflow",
            "since": "2024-03-01",
            "place": "赤峰市红山区某支部",
            "attached_org": typed,
        },
    )
    assert response.status_code == 302
    member = fresh(site.a1)
    assert (member.mobility, member.attached_org) == ("inflow", site.tree.village_a2)
    assert figure(site.tree.root, "members.inflow") == 1
    no_drift()


def test_the_mobility_form_starts_from_what_is_recorded(site):
    member_set_mobility(
        actor=None,
        member=site.a1,
        mobility="inflow",
        since=dt.date(2024, 3, 1),
        place="赤峰",
        attached_org=site.tree.village_a2,
    )
    form = login_client(site.county).get(f"/members/{site.a1.pk}/mobility/").context["form"]
    assert form["mobility"].value() == "inflow"
    assert form["attached_org"].value() == "150102101202"
    assert form["place"].value() == "赤峰"


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"mobility": "outflow", "place": "北京"}, "since", "请填写起始日期"),
        ({"mobility": "outflow", "since": "2023-01-01"}, "place", "请填写党员现在所在地"),
        ({"mobility": "inflow", "since": "2023-01-01"}, "attached_org", "请选择该组织"),
        (
            {"mobility": "inflow", "since": "2023-01-01", "attached_org": "不存在的支部"},
            "attached_org",
            "您的范围内没有",
        ),
        # a committee is not a branch: it is not offered
        (
            {"mobility": "inflow", "since": "2023-01-01", "attached_org": "150102101000"},
            "attached_org",
            "您的范围内没有",
        ),
        # a branch outside the user's scope is as good as absent
        (
            {"mobility": "inflow", "since": "2023-01-01", "attached_org": "150202000000-A001"},
            "attached_org",
            "您的范围内没有",
        ),
        # two branches match
        (
            {"mobility": "inflow", "since": "2023-01-01", "attached_org": "村支部"},
            "attached_org",
            "多个支部",
        ),
        ({"mobility": "elsewhere", "since": "2023-01-01"}, "mobility", "选择一个有效的选项"),
        (
            {"mobility": "outflow", "since": "2023-13-01", "place": "北京"},
            "since",
            "不是日历上有的日子",
        ),
    ],
)
def test_mobility_shows_each_error_next_to_its_field(site, data, field, expected):
    client = login_client(site.county)
    response = client.post(f"/members/{site.a1.pk}/mobility/", data)
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert any(expected in e for e in errors), errors
    assert fresh(site.a1).mobility == ""
    no_drift()


def test_ending_mobility_clears_it_and_its_counter(site):
    member_set_mobility(
        actor=None, member=site.a1, mobility="outflow", since=dt.date(2023, 1, 1), place="北京"
    )
    client = login_client(site.secretary)
    # when: the one-button form on the member's page
    response = client.post(f"/members/{site.a1.pk}/mobility/", {"mobility": ""}, follow=True)
    # then
    member = fresh(site.a1)
    assert (member.mobility, member.mobility_place, member.mobility_since) == ("", "", None)
    assert figure(site.tree.root, "members.outflow") == 0
    assert "张国华 已不再登记为流动党员。" in response.content.decode()
    no_drift()


def test_org_options_lists_branches_in_scope_only(site):
    client = login_client(site.county)
    body = client.get("/members/org-options/", {"attached_org": "1501"}).content.decode()
    assert '<datalist id="org-options">' in body
    assert "150102101201" in body and "150102101202" in body
    assert "150102101000" not in body  # a committee
    assert "150103000000-A001" not in body  # outside the county
    assert login_client(site.supervisor).get("/members/org-options/").status_code == 403


# Lost contact, tracing notes, found again


def test_mark_lost_then_it_shows_in_the_lost_contact_register(site):
    client = login_client(site.secretary)
    response = client.post(
        f"/members/{site.a1.pk}/lost/",
        {"lost_since": "２０２４年３月１日", "lost_notes": "电话停机，已问邻居"},
        follow=True,
    )
    assert "已将 张国华 登记为失联。" in response.content.decode()
    member = fresh(site.a1)
    assert (member.lost_contact, member.lost_since) == (True, dt.date(2024, 3, 1))
    assert figure(site.tree.root, "members.lost_contact") == 1
    no_drift()
    register = client.get("/members/", {"lost_contact": "1"}).content.decode()
    assert f'href="/members/{site.a1.pk}/"' in register
    assert "2024-03-01" in register and "电话停机，已问邻居" in register


def test_mark_lost_needs_a_date_and_refuses_a_member_already_lost(site):
    client = login_client(site.secretary)
    missing = client.post(f"/members/{site.a1.pk}/lost/", {"lost_notes": "x"})
    assert field_errors(missing, "lost_since") == ["这个字段是必填项。"]
    member_mark_lost(actor=None, member=site.a1, since=dt.date(2024, 1, 1))
    twice = client.post(f"/members/{site.a1.pk}/lost/", {"lost_since": "2024-02-01"})
    assert non_field_errors(twice) == ["张国华 已登记为失联。"]
    assert fresh(site.a1).lost_since == dt.date(2024, 1, 1)
    no_drift()


def test_tracing_notes_are_edited_while_still_lost(site):
    member_mark_lost(actor=None, member=site.a1, since=dt.date(2024, 1, 1), notes="电话停机")
    client = login_client(site.secretary)
    page = client.get(f"/members/{site.a1.pk}/tracing/")
    assert page.context["form"]["notes"].value() == "电话停机"
    response = client.post(
        f"/members/{site.a1.pk}/tracing/", {"notes": "电话停机；其子称在包头务工"}, follow=True
    )
    assert response.redirect_chain == [(f"/members/{site.a1.pk}/", 302)]
    member = fresh(site.a1)
    assert (member.lost_contact, member.lost_notes) == (True, "电话停机；其子称在包头务工")
    assert MemberEvent.objects.filter(member=member, kind=MemberEventKind.UPDATED).count() == 1
    no_drift()


def test_tracing_notes_of_a_member_in_contact_are_refused(site):
    response = login_client(site.secretary).post(f"/members/{site.a1.pk}/tracing/", {"notes": "x"})
    assert non_field_errors(response) == ["张国华 未登记为失联。"]


def test_found_again_clears_lost_contact_and_adds_the_notes(site):
    member_mark_lost(actor=None, member=site.a1, since=dt.date(2024, 1, 1), notes="电话停机")
    client = login_client(site.secretary)
    response = client.post(
        f"/members/{site.a1.pk}/found/", {"found_on": "20240601", "notes": "已回村"}, follow=True
    )
    assert "张国华 已恢复联系。" in response.content.decode()
    member = fresh(site.a1)
    assert (member.lost_contact, member.found_on) == (False, dt.date(2024, 6, 1))
    assert member.lost_notes == "电话停机\n已回村"
    assert figure(site.tree.root, "members.lost_contact") == 0
    no_drift()


def test_found_again_shows_its_errors(site):
    client = login_client(site.secretary)
    in_contact = client.post(f"/members/{site.a1.pk}/found/", {"found_on": "2024-06-01"})
    assert non_field_errors(in_contact) == ["张国华 未登记为失联。"]
    member_mark_lost(actor=None, member=site.a1, since=dt.date(2024, 1, 10))
    too_early = client.post(f"/members/{site.a1.pk}/found/", {"found_on": "2024-01-09"})
    assert field_errors(too_early, "found_on") == ["恢复联系日期早于失联日期。"]
    assert fresh(site.a1).lost_contact is True
    no_drift()


# A new member


NEW = {
    "name": "王芳",
    "gender": "",
    "birth_date": "",
    "ethnicity": "01",
    "join_date": "2010-07-01",
    "status": "probationary",
    "full_date": "",
    "category": "employed",
    "education": "university",
    "phone": "139 0000 1111",
    "party_group": "第一党小组",
    "position": "",
}


BAD_BIRTH = "15010219880230123" + check_digit("15010219880230123")


def new_id(seq=500, birth=dt.date(1988, 8, 8)):
    return make_id("150102", birth, seq)


def test_new_member_is_entered_and_counted(site):
    client = login_client(site.secretary)
    url = f"/members/new/?org={site.tree.village_a1.pk}"
    assert client.get(url).status_code == 200
    number = new_id()
    response = client.post(
        url, {**NEW, "id_number": number, "join_date": "2010年7月1日"}, follow=True
    )
    member = Member.objects.get(name="王芳")
    assert response.redirect_chain == [(f"/members/{member.pk}/", 302)]
    assert "王芳 已录入党员名册。" in response.content.decode()
    assert (member.org, member.birth_date, member.gender) == (
        site.tree.village_a1,
        dt.date(1988, 8, 8),
        "female",
    )
    assert member.join_date == dt.date(2010, 7, 1) and member.party_group == "第一党小组"
    assert member.phone_masked == "139****1111"
    assert number not in response.content.decode()
    assert figure(site.tree.root, "members.total") == 4
    audit = AuditEvent.objects.get(action="members.create", target_id=str(member.pk))
    assert audit.actor == site.secretary and number not in str(audit.after)
    no_drift()


def _error_block(body: str) -> str:
    return " ".join(re.findall(r'class="invalid-feedback[^"]*"[^>]*>([^<]*)<', body))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (new_id()[:-1] + ("0" if new_id()[-1] != "0" else "1"), "校验位"),
        (new_id()[:17], "18 位"),
        (BAD_BIRTH, "出生日期不存在"),
    ],
)
def test_a_bad_id_number_is_shown_next_to_the_field_never_in_the_message(site, typed, expected):
    client = login_client(site.secretary)
    response = client.post(
        f"/members/new/?org={site.tree.village_a1.pk}", {**NEW, "id_number": typed}
    )
    body = response.content.decode()
    errors = field_errors(response, "id_number")
    assert response.status_code == 200 and errors
    assert any(expected in e for e in errors), errors
    # the number stays in the box the user typed it into, and nowhere else
    assert body.count(typed) == 1 and f'value="{typed}"' in body
    assert typed not in " ".join(errors) and typed[6:14] not in _error_block(body)
    assert not Member.objects.filter(name="王芳").exists()
    no_drift()


def test_an_id_number_already_in_the_roster_is_named_masked(site):
    client = login_client(site.county)
    number = make_id("150102", BIRTH, 1)  # 张国华's
    response = client.post(
        f"/members/new/?org={site.tree.village_a2.pk}", {**NEW, "id_number": number}
    )
    errors = field_errors(response, "id_number")
    assert errors == [f"公民身份号码为 {site.a1.id_masked} 的党员已在名册中。"]
    assert response.content.decode().count(number) == 1


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"name": ""}, "name", "必填"),
        ({"join_date": "2000-01-01"}, "join_date", "18 周岁"),
        ({"join_date": "2010-02-30"}, "join_date", "不是日历上有的日子"),
        ({"birth_date": "1988-08-09"}, "birth_date", "不一致"),
        ({"gender": "male"}, "gender", "不一致"),
        ({"full_date": "2011-07-01"}, "full_date", "预备党员尚无转正日期"),
        ({"status": "full", "full_date": "2009-07-01"}, "full_date", "早于入党日期"),
        ({"phone": "12345"}, "phone", "手机号码"),
        ({"ethnicity": "99"}, "ethnicity", "选择一个有效的选项"),
    ],
)
def test_new_member_shows_each_error_next_to_its_field(site, changes, field, expected):
    client = login_client(site.secretary)
    number = new_id()
    response = client.post(
        f"/members/new/?org={site.tree.village_a1.pk}", {**NEW, "id_number": number, **changes}
    )
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert any(expected in e for e in errors), errors
    assert not Member.objects.filter(name="王芳").exists()
    assert number not in " ".join(str(e) for e in response.context["form"].errors.values())


def test_new_member_in_an_organization_that_holds_no_members_is_not_offered(site):
    client = login_client(site.county)
    url = f"/members/new/?org={site.tree.town_a1.pk}"
    page = client.get(url)
    assert page.status_code == 200 and not page.context["takes_members"]
    assert '<form method="post" novalidate>' not in page.content.decode()
    client.post(url, {**NEW, "id_number": new_id()})
    assert not Member.objects.filter(name="王芳").exists()


def test_new_member_access(site, client):
    url = f"/members/new/?org={site.tree.village_a1.pk}"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    assert login_client(site.supervisor).get(url).status_code == 403
    assert (
        login_client(site.supervisor).post(url, {**NEW, "id_number": new_id()}).status_code == 403
    )
    assert login_client(site.other_city).get(url).status_code == 404
    assert (
        login_client(site.other_city).post(url, {**NEW, "id_number": new_id()}).status_code == 404
    )
    assert login_client(site.county).get("/members/new/").status_code == 404
    assert login_client(site.county).get("/members/new/?org=x").status_code == 404
    assert not Member.objects.filter(name="王芳").exists()


def test_new_member_is_offered_on_a_branchs_page_and_roster(site):
    client = login_client(site.county)
    new = f"/members/new/?org={site.tree.village_a1.pk}"
    assert new in client.get(f"/orgs/{site.tree.village_a1.pk}/").content.decode()
    assert new in client.get("/members/", {"org": site.tree.village_a1.pk}).content.decode()
    # not on a committee, nor for a supervisor
    assert "/members/new/" not in client.get(f"/orgs/{site.tree.town_a1.pk}/").content.decode()
    viewer = login_client(site.supervisor)
    assert "/members/new/" not in viewer.get(f"/orgs/{site.tree.village_a1.pk}/").content.decode()


# Registers and figures


def test_the_mobile_register_shows_where_and_since_and_links_each_member(site):
    member_set_mobility(
        actor=None,
        member=site.a1,
        mobility="outflow",
        since=dt.date(2023, 1, 5),
        place="北京市朝阳区",
    )
    member_set_mobility(
        actor=None,
        member=site.a2,
        mobility="inflow",
        since=dt.date(2024, 3, 1),
        place="赤峰",
        attached_org=site.tree.village_a1,
    )
    body = login_client(site.county).get("/members/", {"mobility": "any"}).content.decode()
    for member in (site.a1, site.a2):
        assert f'href="/members/{member.pk}/"' in body
    assert "北京市朝阳区" in body and "2023-01-05" in body
    assert "赤峰" in body and "2024-03-01" in body and "中共古路板村支部委员会" in body


def test_roster_totals_come_from_the_counters_of_the_scope(site):
    member_mark_lost(actor=None, member=site.a1, since=dt.date(2024, 1, 1))
    body = login_client(site.county).get("/members/").content.decode()
    totals = re.search(r'data-testid="member-totals">(.*?)</p>', body, re.S).group(1)
    text = re.sub(r"<[^>]+>", "", totals)
    assert "党员 2" in text and "预备党员 1" in text and "失联党员 1" in text
    # under a this_org scope the counters could count unseen members: no totals
    secretary = login_client(site.secretary).get("/members/").content.decode()
    assert 'data-testid="member-totals"' not in secretary


def test_figures_are_written_with_thousands_separators(site):
    # given large figures (counters moved by hand: only the display is under test)
    counters.bump(path=site.tree.village_a1.path, deltas={"members.total": 17_449})
    counters.bump(path=site.tree.town_a1.path, deltas={"orgs.total": 12_340})
    office = login_client(site.county)
    # then: the organization's figure cards, the tree counts and the roster totals
    org_page = office.get(f"/orgs/{site.tree.county_a1.pk}/").content.decode()
    assert "17,451" in org_page and "17451" not in org_page
    assert "12,344" in org_page  # the subordinates table
    tree_page = office.get("/orgs/").content.decode()
    assert "12,344 个党组织" in tree_page
    roster = office.get("/members/").content.decode()
    assert "17,451" in roster


def test_intcomma_groups_by_three_in_chinese_and_english():
    template = Template("{% load humanize %}{{ n|intcomma }}")
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert template.render(Context({"n": 17451})) == "17,451"
            assert template.render(Context({"n": 1234567})) == "1,234,567"
            assert template.render(Context({"n": 999})) == "999"


def test_make_full_through_the_service_and_the_page_agree(site):
    # the page and the service leave the same state behind
    member_make_full(actor=None, member=site.b1, on=dt.date(2010, 1, 1))
    login_client(site.secretary).post(f"/members/{site.a1.pk}/full/", {"full_date": "2010-01-01"})
    assert fresh(site.a1).status == fresh(site.b1).status == "full"
    no_drift()
