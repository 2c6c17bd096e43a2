"""/api/v1/public: the opinions like a text (`similar`) and following one of them (`follow`),
without login; the same rules as the portal's step (decision 0021, "Following an opinion
already raised")."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from massline.opinions.intake_services import box_close
from massline.opinions.models import Opinion, OpinionStatus, Receipt

from .test_similar_step import LIKE_IT, SEEN_TEXT, UNRELATED, raised


def similar(client: Client, org_id, body, **kw):
    return client.post(
        f"/api/v1/public/orgs/{org_id}/opinions/similar",
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        **kw,
    )


def follow(client: Client, org_id, opinion_id, body, **kw):
    return client.post(
        f"/api/v1/public/orgs/{org_id}/opinions/{opinion_id}/follow",
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        **kw,
    )


def test_similar_lists_the_opinions_staff_have_seen_like_the_text(tree):
    # given
    seen = raised(tree.village_a1, text=SEEN_TEXT + "，电话13800138000")
    raised(tree.village_a1, status=OpinionStatus.RECEIVED)
    # when
    response = similar(Client(), tree.village_a1.pk, {"text": LIKE_IT})
    # then
    assert response.status_code == 200, response.content
    assert response.json() == {
        "similar": [
            {
                "id": seen.pk,
                "excerpt": SEEN_TEXT + "，电话***********",
                "status": "handling",
                "received_on": seen.received_on.isoformat(),
            }
        ]
    }
    assert Opinion.objects.count() == 2 and Receipt.objects.count() == 2
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_similar_is_empty_when_nothing_seen_is_alike(tree):
    raised(tree.village_a1)
    assert similar(Client(), tree.village_a1.pk, {"text": UNRELATED}).json() == {"similar": []}
    raised(tree.village_a1, status=OpinionStatus.CLOSED)
    assert similar(Client(), tree.county_a2.pk, {"text": LIKE_IT}).json() == {"similar": []}


def test_following_gives_a_receipt_that_tracks_the_opinion_and_stores_no_opinion(tree):
    # given
    seen = raised(tree.village_a1)
    # when
    response = follow(Client(), tree.village_a1.pk, seen.pk, {"text": LIKE_IT})
    # then
    assert response.status_code == 201, response.content
    receipt = response.json()["receipt"]
    assert set(response.json()) == {"receipt"} and len(receipt) == 19
    assert Opinion.objects.count() == 1
    assert Receipt.objects.filter(opinion=seen).count() == 2
    # ... and the receipt follows the opinion, to its published reply
    Opinion.objects.filter(pk=seen.pk).update(
        status=OpinionStatus.REPLIED, reply="已修复", reply_published=True
    )
    tracked = Client().get(f"/api/v1/public/opinions/{receipt}").json()
    assert tracked["status"] == "replied" and tracked["reply"] == "已修复"


def test_following_from_an_organization_above_is_allowed(tree):
    # the county's box sees its subtree
    seen = raised(tree.village_a1)
    assert follow(Client(), tree.county_a1.pk, seen.pk, {"text": LIKE_IT}).status_code == 201


@pytest.mark.parametrize(
    "case", ["not alike", "another subtree", "received", "closed", "merged", "no such id"]
)
def test_following_an_opinion_not_offered_is_refused_and_writes_nothing(tree, case):
    # given
    target = {
        "not alike": lambda: raised(tree.village_a1, text=UNRELATED),
        "another subtree": lambda: raised(tree.branch_b1),
        "received": lambda: raised(tree.village_a1, status=OpinionStatus.RECEIVED),
        "closed": lambda: raised(tree.village_a1, status=OpinionStatus.CLOSED),
        "merged": lambda: raised(tree.village_a1, status=OpinionStatus.MERGED),
        "no such id": lambda: None,
    }[case]()
    raised(tree.village_a1)  # an opinion that is offered
    opinion_id = target.pk if target is not None else 2_000_000_000
    receipts = Receipt.objects.count()
    # when
    response = follow(Client(), tree.village_a1.pk, opinion_id, {"text": LIKE_IT})
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "not_followable"
    assert "无法跟进这条意见" in response.json()["message"]
    assert Receipt.objects.count() == receipts


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("similar", {"text": ""}, 400),
        ("similar", {"text": "长" * 2001}, 400),
        ("similar", {}, 422),
        ("similar", {"text": "a\x00b"}, 422),
        ("similar", "not json", 400),
        ("follow", {"text": "  "}, 400),
        ("follow", {}, 422),
        ("follow", {"text": "长" * 4001}, 422),
    ],
)
def test_bad_input_is_refused(tree, path, body, status):
    seen = raised(tree.village_a1)
    if path == "similar":
        response = similar(Client(), tree.village_a1.pk, body)
    else:
        response = follow(Client(), tree.village_a1.pk, seen.pk, body)
    assert response.status_code == status, response.content
    assert response.json()["message"]
    assert Receipt.objects.count() == 1


@pytest.mark.parametrize("org_id", ["999999", "abc"])
def test_a_missing_box_is_refused(tree, org_id):
    seen = raised(tree.village_a1)
    assert similar(Client(), org_id, {"text": LIKE_IT}).status_code in (404, 422)
    assert follow(Client(), org_id, seen.pk, {"text": LIKE_IT}).status_code in (404, 422)


def test_a_closed_box_refuses_both_with_410(tree, make_user):
    seen = raised(tree.village_a1)
    box_close(
        actor=make_user("campaign_office", tree.county_a1), org=tree.village_a1, reason="换届"
    )
    assert similar(Client(), tree.village_a1.pk, {"text": LIKE_IT}).status_code == 410
    assert follow(Client(), tree.village_a1.pk, seen.pk, {"text": LIKE_IT}).status_code == 410
    assert Receipt.objects.count() == 1


def test_both_are_rate_limited(tree, settings):
    # given
    settings.PORTAL_RATE_LIMITS = {"similar": (2, 600), "submit": (2, 600), "lookup": (5, 600)}
    seen = raised(tree.village_a1)
    client = Client()
    # when
    looks = [similar(client, tree.village_a1.pk, {"text": LIKE_IT}) for _ in range(3)]
    follows = [follow(client, tree.village_a1.pk, seen.pk, {"text": LIKE_IT}) for _ in range(3)]
    # then
    assert [r.status_code for r in looks] == [200, 200, 429]
    assert [r.status_code for r in follows] == [201, 201, 429]
    assert follows[-1].json()["code"] == "throttled"
    assert Receipt.objects.filter(opinion=seen).count() == 3


def test_the_endpoints_are_in_the_openapi_document_without_security(tree):
    doc = Client().get("/api/v1/openapi.json").json()
    looks = doc["paths"]["/api/v1/public/orgs/{org_id}/opinions/similar"]["post"]
    follows = doc["paths"]["/api/v1/public/orgs/{org_id}/opinions/{opinion_id}/follow"]["post"]
    assert "200" in looks["responses"] and "429" in looks["responses"]
    assert "201" in follows["responses"] and "429" in follows["responses"]
    assert not looks.get("security") and not follows.get("security")
    assert {"PublicSimilarOut", "PublicSimilarItem", "PublicTextIn"} <= set(
        doc["components"]["schemas"]
    )
