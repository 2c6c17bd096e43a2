"""/api/v1/opinions: the inbox in keyset pages, one opinion with its actions, every step, and
the refusals with their status, code and field."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from massline.conftest import api_client
from massline.opinions.models import Opinion, OpinionCategory

from .dispatch_fixtures import make_opinion


@pytest.fixture
def office(tree, make_user):
    return api_client(make_user("campaign_office", tree.county_a1, "subtree"))


@pytest.fixture
def lead(tree, make_user):
    return api_client(make_user("org_admin", tree.town_a1, "this_org"))


def post(client, o, action, **body):
    return client.post(
        f"/api/v1/opinions/{o.pk}/{action}", json.dumps(body), content_type="application/json"
    )


def test_the_inbox_pages_through_everything_once(tree, office):
    made = [make_opinion(tree.village_a1 if i % 2 else tree.town_a1).pk for i in range(7)]
    make_opinion(tree.county_a2)
    seen: list[int] = []
    after = ""
    for _ in range(10):
        page = office.get(
            "/api/v1/opinions", {"org": tree.county_a1.pk, "limit": 3, "after": after}
        ).json()
        seen += [o["id"] for o in page["items"]]
        after = page["next_after"]
        if not after:
            break
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize(
    ("query", "texts"),
    [
        ({"status": "dispatched"}, ["派出的"]),
        ({"channel": "forum"}, ["座谈会的"]),
        ({"overdue": "true"}, ["超期的"]),
        ({"anonymous": "false"}, ["实名的"]),
        ({"status": "open"}, ["新收的", "派出的"]),
    ],
)
def test_inbox_filters(tree, office, query, texts):
    make_opinion(tree.village_a1, text="新收的")
    make_opinion(tree.village_a1, text="派出的", status="dispatched", lead_org=tree.town_a1)
    make_opinion(tree.village_a1, text="座谈会的", channel="forum", status="closed")
    make_opinion(tree.village_a1, text="超期的", overdue=True, status="closed")
    make_opinion(tree.village_a1, text="实名的", anonymous=False, status="closed")
    items = office.get("/api/v1/opinions", {"org": tree.county_a1.pk, **query}).json()["items"]
    assert sorted(i["text"] for i in items) == sorted(texts)


def test_inbox_category_filter(tree, office):
    cat = OpinionCategory.objects.create(source="four_winds", code="x", title="形式主义")
    make_opinion(tree.village_a1, text="有分类的", category=cat)
    make_opinion(tree.village_a1)
    items = office.get("/api/v1/opinions", {"org": tree.county_a1.pk, "category": cat.pk}).json()[
        "items"
    ]
    assert [(i["text"], i["category"]) for i in items] == [("有分类的", "形式主义")]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        # documented values; the code refuses others (400), as the other routers do
        ({"status": "lost"}, 400, "status"),
        ({"channel": "fax"}, 400, "channel"),
        ({"overdue": "maybe"}, 422, None),
        ({"limit": 0}, 422, None),
        ({"limit": 201}, 422, None),
        ({"after": "nonsense"}, 400, "after"),
        ({"after": "a" * 301}, 422, None),
    ],
)
def test_bad_inbox_queries(tree, office, query, status, field):
    response = office.get("/api/v1/opinions", {"org": tree.county_a1.pk, **query})
    assert response.status_code == status
    if field:
        assert response.json()["field"] == field


def test_the_inbox_of_an_organization_out_of_view_is_404(tree, office):
    assert office.get("/api/v1/opinions", {"org": tree.county_a2.pk}).status_code == 404
    assert office.get("/api/v1/opinions").status_code == 422


def test_one_opinion_with_its_actions_and_masked_contact(tree, office):
    o = make_opinion(
        tree.village_a1,
        anonymous=False,
        name_masked="张*",
        contact_masked="138****0000",
        contact_enc="secret",
    )
    body = office.get(f"/api/v1/opinions/{o.pk}").json()
    assert body["actions"] == ["triage", "merge", "dispatch"]
    assert (body["name"], body["contact"]) == ("张*", "138****0000")
    assert "secret" not in json.dumps(body)
    assert body["steps"] == []


def test_the_whole_loop_through_the_api(tree, office, lead):
    o = make_opinion(tree.village_a1)
    r = post(office, o, "triage", urgency="urgent")
    assert r.status_code == 200 and r.json()["urgency"] == "urgent"
    r = post(
        office,
        o,
        "dispatch",
        lead_org=tree.town_a1.pk,
        co_orgs=[tree.village_a2.pk, tree.village_a2.pk],
    )
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["lead_org"], r.json()["co_orgs"]) == (
        "dispatched",
        tree.town_a1.code,
        [tree.village_a2.code],
    )
    assert post(lead, o, "return", note="不归本镇").json()["status"] == "returned"
    assert (
        post(office, o, "reassign", lead_org=tree.village_a1.pk, note="村里办").json()["lead_org"]
        == tree.village_a1.code
    )
    assert (
        post(
            office, o, "reassign", lead_org=tree.town_a1.pk, note="还是镇里办", status="dispatched"
        ).status_code
        == 200
    )
    assert post(lead, o, "contact").json()["status"] == "handling"
    r = post(lead, o, "reply", note="已解决")
    assert (r.json()["status"], r.json()["reply"]) == ("replied", "已解决")
    assert post(lead, o, "publish").json()["reply_published"] is True
    r = post(office, o, "close")
    assert r.json()["status"] == "closed" and r.json()["actions"] == []
    kinds = [s["kind"] for s in r.json()["steps"]]
    assert kinds == [
        "triaged",
        "dispatched",
        "returned",
        "reassigned",
        "reassigned",
        "contacted",
        "replied",
        "published",
        "closed",
    ]


def test_merge_through_the_api(tree, office):
    target = make_opinion(tree.town_a1)
    o = make_opinion(tree.village_a1)
    r = post(office, o, "merge", into=target.pk)
    assert (r.json()["status"], r.json()["merged_into"]) == ("merged", target.pk)


@pytest.mark.parametrize(
    ("action", "body", "status", "field"),
    [
        ("dispatch", {}, 400, "lead_org"),
        ("dispatch", {"lead_org": 999999}, 400, "lead_org"),
        ("dispatch", {"lead_org": "x"}, 422, "lead_org"),
        ("dispatch", {"lead_org": 0}, 422, "lead_org"),
        ("dispatch", {"co_orgs": [999999]}, 400, "co_orgs"),
        ("dispatch", {"co_orgs": "x"}, 422, "co_orgs"),
        ("dispatch", {"co_orgs": list(range(1, 60))}, 422, "co_orgs"),
        ("triage", {}, 400, "category"),
        ("triage", {"urgency": "asap"}, 400, "urgency"),
        ("triage", {"category": 999999}, 400, "category"),
        ("merge", {}, 400, "into"),
        ("merge", {"into": 999999}, 400, "into"),
        ("return", {"note": "x"}, 400, "status"),
        ("reply", {"note": "x"}, 400, "status"),
        ("triage", {"urgency": "urgent", "status": "dispatched"}, 400, "status"),
        ("triage", {"status": "bogus"}, 400, "status"),
        ("triage", {"note": "a\x00b"}, 422, "note"),
        ("triage", {"note": "长" * 10001}, 422, "note"),
        ("triage", {"extra": 1, "urgency": "urgent"}, 200, None),
    ],
)
def test_bad_steps_are_refused_and_write_nothing(tree, office, action, body, status, field):
    o = make_opinion(tree.village_a1)
    response = post(office, o, action, **body)
    assert response.status_code == status, response.content
    if field:
        assert response.json()["field"] == field
        assert response.json()["message"]
        assert Opinion.objects.get(pk=o.pk).status == "received"


def test_dispatch_outside_the_scope_names_nothing(tree, office):
    o = make_opinion(tree.village_a1)
    response = post(office, o, "dispatch", lead_org=tree.county_a2.pk)
    assert response.status_code == 400
    assert response.json()["code"] == "out_of_scope"
    assert tree.county_a2.name not in response.content.decode()
    # an organization that does not exist gets the very same answer
    missing = post(office, o, "dispatch", lead_org=10**9)
    assert missing.json() == response.json()


def test_a_body_that_is_not_an_object(tree, office):
    o = make_opinion(tree.village_a1)
    response = office.post(
        f"/api/v1/opinions/{o.pk}/triage", "[1]", content_type="application/json"
    )
    assert response.status_code == 422
    response = office.post(f"/api/v1/opinions/{o.pk}/triage", "{", content_type="application/json")
    assert response.status_code == 400


def test_an_unknown_action_or_opinion_is_404(tree, office):
    o = make_opinion(tree.village_a1)
    assert post(office, o, "explode").status_code == 404
    assert office.get("/api/v1/opinions/999999").status_code == 404
    assert office.get(f"/api/v1/opinions/{make_opinion(tree.county_a2).pk}").status_code == 404


def test_the_wrong_side_is_403(tree, lead):
    o = make_opinion(tree.town_a1)
    response = post(lead, o, "triage", urgency="urgent")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("url", ["/api/v1/opinions?org=1", "/api/v1/opinions/1"])
def test_anonymous_calls_get_401(url):
    assert Client().get(url).status_code == 401


def test_every_operation_is_in_the_openapi_document(office):
    doc = office.get("/api/v1/openapi.json").json()
    paths = {p for p in doc["paths"] if p.startswith("/api/v1/opinions")}
    assert paths >= {  # the dispatch's; the intake's are checked with the intake
        "/api/v1/opinions",
        "/api/v1/opinions/{opinion_id}",
        "/api/v1/opinions/{opinion_id}/{action}",
    }
