"""A member's history, on their page and at GET /api/v1/members/{id}/history: newest first by
the date each entry took effect; entries of one date, back-dated ones included, in the order
they were recorded (the last first); a bulk load's entry beside the member's own. The API
keeps the member page's scope rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from massline.conftest import api_client, login_client
from massline.members.models import MemberEvent, MemberEventKind, MemberEventRange
from massline.members.selectors import member_history
from massline.members.services import member_mark_found, member_mark_lost, member_set_mobility

from .test_views import add

MARCH = dt.date(2024, 3, 1)


@pytest.fixture
def lived(tree, make_user):
    """Entered in the roster today; then, recorded in this order: lost contact since March
    (back-dated), outflow since the same day in March, found again today."""
    clerk = make_user("org_admin", tree.county_a1, username="clerk")
    member, _ = add(tree.village_a1, "张国华", 1)
    member_mark_lost(actor=clerk, member=member, since=MARCH)
    member_set_mobility(
        actor=clerk, member=member, mobility="outflow", since=MARCH, place="北京市朝阳区"
    )
    member_mark_found(actor=clerk, member=member, on=timezone.localdate())
    return member


EXPECTED = [
    MemberEventKind.FOUND,  # today, recorded last
    MemberEventKind.JOINED_ROSTER,  # today, recorded first
    MemberEventKind.MOBILITY,  # March, recorded after the lost contact
    MemberEventKind.LOST,  # March
]


def test_entries_stand_at_their_date_and_ties_in_the_order_recorded(lived):
    # when
    entries = member_history(lived)
    # then
    assert [e.kind for e in entries] == EXPECTED
    assert [e.on for e in entries] == [timezone.localdate()] * 2 + [MARCH] * 2


def test_entries_recorded_at_the_same_instant_keep_the_order_of_their_ids(tree):
    # given: three entries of one date whose recorded times are equal (a coarse clock)
    member, _ = add(tree.village_a1, "张国华", 1)
    for kind in (MemberEventKind.STATUS, MemberEventKind.UPDATED, MemberEventKind.MOBILITY):
        MemberEvent.objects.create(member=member, kind=kind, on=MARCH)
    MemberEventRange.objects.create(
        first_id=member.pk, last_id=member.pk, kind=MemberEventKind.JOINED_ROSTER, on=MARCH
    )
    instant = timezone.now()
    MemberEvent.objects.filter(member=member).update(created_at=instant)
    MemberEventRange.objects.update(created_at=instant)
    # when
    entries = member_history(member)
    # then: the last inserted first, the bulk entry (written before any of the member's own)
    # below them
    assert [e.kind for e in entries if e.on == MARCH] == [
        MemberEventKind.MOBILITY,
        MemberEventKind.UPDATED,
        MemberEventKind.STATUS,
        MemberEventKind.JOINED_ROSTER,
    ]


def test_the_limit_keeps_the_newest(lived):
    assert [e.kind for e in member_history(lived, limit=3)] == EXPECTED[:3]


def test_the_member_page_lists_the_history_in_that_order(tree, lived, make_user):
    # when
    page = login_client(make_user("org_admin", tree.county_a1)).get(f"/members/{lived.pk}/")
    # then
    assert [e.kind for e in page.context["events"]] == EXPECTED
    html = page.content.decode()
    history = html[html.index('data-testid="history"') :]
    positions = [history.index(label) for label in ("恢复联系", "录入名册", "流动情况变更", "失联")]
    assert positions == sorted(positions)


def test_the_api_gives_the_history_as_the_page_does(tree, lived, make_user):
    # given
    client = api_client(make_user("campaign_office", tree.pref_a))
    # when
    response = client.get(f"/api/v1/members/{lived.pk}/history")
    # then
    assert response.status_code == 200
    body = response.json()
    assert [e["kind"] for e in body] == EXPECTED
    found, joined, mobility, lost = body
    assert found["on"] == timezone.localdate().isoformat() and found["actor"] == "clerk"
    assert lost["on"] == "2024-03-01" and lost["kind_label"] == "失联"
    assert mobility["detail"] == {"mobility": "outflow", "place": "北京市朝阳区"}
    assert joined["actor"] is None and not any(e["bulk"] for e in body)
    assert lost["recorded_at"] < mobility["recorded_at"] < found["recorded_at"]
    assert [
        e["kind"] for e in client.get(f"/api/v1/members/{lived.pk}/history?limit=2").json()
    ] == EXPECTED[:2]


def test_the_api_marks_a_bulk_loads_entry(tree, make_user):
    # given
    member, _ = add(tree.village_a1, "张国华", 1)
    MemberEventRange.objects.create(
        first_id=member.pk - 5, last_id=member.pk + 5, kind=MemberEventKind.JOINED_ROSTER,
        on=dt.date(2001, 1, 2), detail={"source": "import", "job": None},
    )  # fmt: skip
    # when
    body = (
        api_client(make_user("org_admin", tree.root))
        .get(f"/api/v1/members/{member.pk}/history")
        .json()
    )
    # then
    assert body[-1]["bulk"] is True and body[-1]["on"] == "2001-01-02"
    assert [e["bulk"] for e in body[:-1]] == [False] * (len(body) - 1)


def test_the_api_history_takes_the_same_queries_however_long_it_is(tree, lived, make_user):
    client = api_client(make_user("org_admin", tree.county_a1))
    url = f"/api/v1/members/{lived.pk}/history"
    client.get(url)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as short:
        assert len(client.get(url).json()) == 4
    for day in range(1, 11):
        MemberEvent.objects.create(
            member=lived, kind=MemberEventKind.UPDATED, on=dt.date(2020, 1, day)
        )
    with CaptureQueriesContext(connection) as long:
        assert len(client.get(url).json()) == 14
    assert len(long) == len(short)


@pytest.mark.parametrize(
    ("role", "at", "status"),
    [
        ("org_admin", "village_a1", 200),  # the member's own branch
        ("campaign_office", "root", 200),  # an ancestor
        ("org_admin", "county_a2", 404),  # a sibling's subtree: not in view
        ("org_admin", "branch_b1", 404),  # another prefecture
        ("member", "root", 404),  # no roster permission at all
    ],
)
def test_the_api_history_keeps_the_member_pages_scope(tree, lived, make_user, role, at, status):
    # given
    user = make_user(role, getattr(tree, at))
    # when
    api = api_client(user).get(f"/api/v1/members/{lived.pk}/history")
    page = login_client(user).get(f"/members/{lived.pk}/")
    # then: the same answer as the member's own endpoint and page
    assert api.status_code == status
    assert api_client(user).get(f"/api/v1/members/{lived.pk}").status_code == status
    assert page.status_code == status
    if status == 404:
        assert api.json()["code"] == "not_found" and "张国华" not in api.content.decode()


def test_the_api_history_needs_a_token_and_a_known_member(tree, lived, make_user):
    from django.test import Client

    assert Client().get(f"/api/v1/members/{lived.pk}/history").status_code == 401
    client = api_client(make_user("org_admin", tree.root))
    assert client.get("/api/v1/members/999999/history").status_code == 404
    assert client.get(f"/api/v1/members/{lived.pk}/history?limit=0").status_code == 422
    assert client.get(f"/api/v1/members/{lived.pk}/history?limit=201").status_code == 422
