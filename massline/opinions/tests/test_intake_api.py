"""/api/v1/opinions/entries, /forums, /categories: staff entry through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from massline.conftest import api_client
from massline.core.models import AuditEvent
from massline.opinions.models import Forum, Opinion
from massline.opinions.receipts import opinion_by_receipt
from massline.orgs import counters as org_counters


@pytest.fixture
def clerk(tree, make_user):
    return api_client(make_user("org_admin", tree.town_a1))


def test_an_entry_is_created_with_a_receipt_and_masked_contact(tree, clerk):
    # when
    response = clerk.post(
        "/api/v1/opinions/entries",
        {
            "org": tree.village_a1.pk,
            "channel": "paper",
            "text": "建议公开账目",
            "anonymous": False,
            "name": "赵六",
            "contact": "13700137000",
            "submitter_category": "member",
            "urgency": "urgent",
        },
        content_type="application/json",
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["contact"] == "137****7000" and body["name"] == "赵*"
    opinion = Opinion.objects.get()
    assert opinion_by_receipt(body["receipt"]) == opinion
    assert opinion.submitter_category == "member" and opinion.urgency == "urgent"
    assert AuditEvent.objects.filter(action="opinions.enter").count() == 1
    assert org_counters.rebuild(check_only=True) == []


def test_a_forum_then_its_opinions(tree, clerk):
    day = timezone.localdate() - dt.timedelta(days=2)
    forum = clerk.post(
        "/api/v1/opinions/forums",
        {"org": tree.village_a1.pk, "held_on": day.isoformat(), "attendees": {"public": 20}},
        content_type="application/json",
    )
    assert forum.status_code == 201, forum.content
    entry = clerk.post(
        "/api/v1/opinions/entries",
        {
            "org": tree.village_a1.pk,
            "channel": "forum",
            "text": "意见",
            "forum": forum.json()["id"],
        },
        content_type="application/json",
    )
    assert entry.status_code == 201, entry.content
    assert entry.json()["received_on"] == day.isoformat()
    assert entry.json()["forum"] == forum.json()["id"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"channel": "box"}, 400, "channel"),
        ({"channel": "x" * 17}, 422, "channel"),
        ({"text": ""}, 400, "text"),
        ({"text": "长" * 2001}, 400, "text"),
        ({"submitter_category": "alien"}, 400, "submitter_category"),
        ({"urgency": "whenever"}, 400, "urgency"),
        ({"received_on": "2999-01-01"}, 400, "received_on"),
        ({"received_on": "yesterday"}, 422, "received_on"),
        ({"forum": 424242}, 400, "forum"),
        ({"org": 0}, 422, "org"),
        ({"anonymous": False}, 400, "contact"),
    ],
)
def test_bad_entries(tree, clerk, body, status, field):
    payload = {"org": tree.village_a1.pk, "channel": "visit", "text": "意见", **body}
    response = clerk.post("/api/v1/opinions/entries", payload, content_type="application/json")
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert Opinion.objects.count() == 0


def test_a_forum_of_another_organization_is_refused(tree, clerk):
    other = Forum.objects.create(
        org=tree.village_a2, org_path=tree.village_a2.path, held_on=timezone.localdate()
    )
    response = clerk.post(
        "/api/v1/opinions/entries",
        {"org": tree.village_a1.pk, "channel": "forum", "text": "意见", "forum": other.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "forum"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"held_on": "2999-01-01"}, 400),
        ({"attendees": {"aliens": 1}}, 400),
        ({"attendees": {"public": -2}}, 400),
        ({"attendees": "many"}, 422),
        ({"place": "x" * 401}, 422),
        ({"notes": "\x00"}, 422),
    ],
)
def test_bad_forums(tree, clerk, body, status):
    payload = {"org": tree.village_a1.pk, "held_on": timezone.localdate().isoformat(), **body}
    response = clerk.post("/api/v1/opinions/forums", payload, content_type="application/json")
    assert response.status_code == status, response.content
    assert Forum.objects.count() == 0


def test_categories_of_an_organization(tree, clerk):
    all_ = clerk.get(f"/api/v1/opinions/categories?org={tree.village_a1.pk}")
    winds = clerk.get(f"/api/v1/opinions/categories?org={tree.village_a1.pk}&source=four_winds")
    assert all_.status_code == 200 and len(all_.json()) == 24
    assert [c["code"] for c in winds.json()] == [
        "formalism",
        "bureaucratism",
        "hedonism",
        "extravagance",
    ]


def test_without_login_the_staff_endpoints_refuse(tree):
    response = Client().post(
        "/api/v1/opinions/entries",
        {"org": tree.village_a1.pk, "channel": "visit", "text": "x"},
        content_type="application/json",
    )
    assert response.status_code == 401


@pytest.mark.parametrize("day", [0, 1700000000, True, 20240101])
def test_a_day_given_as_a_number_is_refused_by_the_schema(tree, clerk, day):
    forum = clerk.post(
        "/api/v1/opinions/forums",
        {"org": tree.village_a1.pk, "held_on": day},
        content_type="application/json",
    )
    entry = clerk.post(
        "/api/v1/opinions/entries",
        {"org": tree.village_a1.pk, "channel": "visit", "text": "x", "received_on": day},
        content_type="application/json",
    )
    assert forum.status_code == entry.status_code == 422
    assert forum.json()["field"] == "held_on" and entry.json()["field"] == "received_on"
    assert Forum.objects.count() == Opinion.objects.count() == 0
