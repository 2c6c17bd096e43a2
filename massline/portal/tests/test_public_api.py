"""/api/v1/public: submitting without login (201 and a receipt), tracking by receipt, the
OpenAPI document, size and rate limits, every bad input."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from massline.opinions.models import Opinion, OpinionStatus
from massline.opinions.receipts import normalize
from massline.orgs import counters as org_counters


def post(client: Client, org_id, body, **kw):
    return client.post(
        f"/api/v1/public/orgs/{org_id}/opinions",
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        **kw,
    )


def test_an_anonymous_opinion_is_accepted_without_login(tree):
    # when
    response = post(Client(), tree.village_a1.pk, {"text": "垃圾没人收", "anonymous": True})
    # then
    assert response.status_code == 201, response.content
    receipt = response.json()["receipt"]
    assert len(receipt) == 19 and receipt.count("-") == 3
    assert set(response.json()) == {"receipt"}
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert Opinion.objects.get().channel == "box"
    assert org_counters.rebuild(check_only=True) == []


def test_a_named_opinion_with_a_category(tree):
    from massline.opinions.models import OpinionCategory

    category = OpinionCategory.objects.get(code="WO-7")
    response = post(
        Client(),
        tree.village_a1.pk,
        {
            "text": "村务不公开",
            "anonymous": False,
            "contact": "13800138000",
            "name": "王五",
            "category": category.pk,
        },
    )
    assert response.status_code == 201
    opinion = Opinion.objects.get()
    assert opinion.contact_masked == "138****8000" and opinion.category == category


def test_the_receipt_tracks_status_and_only_a_published_reply(tree):
    # given
    receipt = post(Client(), tree.village_a1.pk, {"text": "意见", "anonymous": True}).json()[
        "receipt"
    ]
    # when
    first = Client().get(f"/api/v1/public/opinions/{receipt}")
    opinion = Opinion.objects.get()
    opinion.status, opinion.reply = OpinionStatus.REPLIED, "已处理"
    opinion.save()
    unpublished = Client().get(f"/api/v1/public/opinions/{receipt.lower()}")
    opinion.reply_published = True
    opinion.save()
    published = Client().get(f"/api/v1/public/opinions/{normalize(receipt)}")
    # then
    assert first.status_code == 200
    assert first.json()["status"] == "received" and first.json()["reply"] is None
    assert first.json()["org_name"] == tree.village_a1.name
    assert unpublished.json()["status"] == "replied" and unpublished.json()["reply"] is None
    assert published.json()["reply"] == "已处理"


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC-DDDD", "x", "%3Cscript%3E", "0" * 60])
def test_an_unknown_receipt_is_the_same_404_as_any_other(tree, code):
    post(Client(), tree.village_a1.pk, {"text": "意见", "anonymous": True})
    response = Client().get(f"/api/v1/public/opinions/{code}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json() == Client().get("/api/v1/public/opinions/ZZZZ").json()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"text": "", "anonymous": True}, 400, "text"),
        ({"text": "   ", "anonymous": True}, 400, "text"),
        ({"text": "长" * 2001, "anonymous": True}, 400, "text"),
        ({"text": "x" * 4001, "anonymous": True}, 422, "text"),
        ({"anonymous": True}, 422, "text"),
        ({"text": "a\x00b", "anonymous": True}, 422, "text"),
        ({"text": "ok", "anonymous": "perhaps"}, 422, "anonymous"),
        ({"text": "ok", "anonymous": False}, 400, "contact"),
        ({"text": "ok", "anonymous": True, "contact": "13800138000"}, 400, "contact"),
        ({"text": "ok", "anonymous": False, "contact": "1380013"}, 400, "contact"),
        ({"text": "ok", "category": 424242}, 400, "category"),
        ({"text": "ok", "category": 0}, 422, "category"),
        ({"text": "ok", "category": "formalism"}, 422, "category"),
        ([1, 2], 422, None),
        ("not json", 400, None),
    ],
)
def test_bad_input_is_refused_and_nothing_kept(tree, body, status, field):
    response = post(Client(), tree.village_a1.pk, body)
    assert response.status_code == status, response.content
    assert response.json()["message"]
    if field:
        assert response.json()["field"] == field
    assert Opinion.objects.count() == 0


def test_html_and_emoji_come_back_as_they_were_sent(tree):
    text = "<script>alert(1)</script> 😀 𠀀𪚥"
    response = post(Client(), tree.village_a1.pk, {"text": text, "anonymous": True})
    assert response.status_code == 201
    assert Opinion.objects.get().text == text


@pytest.mark.parametrize("org_id", [999999, 0, "abc"])
def test_a_missing_organization(tree, org_id):
    response = post(Client(), org_id, {"text": "意见", "anonymous": True})
    assert response.status_code in (404, 422)
    if response.status_code == 404:
        assert "二维码" in response.json()["message"]
    assert Opinion.objects.count() == 0


def test_an_oversized_body_is_413(tree):
    response = post(Client(), tree.village_a1.pk, {"text": "x" * 40_000, "anonymous": True})
    longest = post(Client(), tree.village_a1.pk, {"text": "长" * 2000, "anonymous": True})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert longest.status_code == 201  # 12 KB with \u escapes


def test_flooding_is_429_and_every_accepted_opinion_is_stored(tree, settings):
    # given
    settings.PORTAL_RATE_LIMITS = {"submit": (7, 600), "lookup": (4, 600)}
    client = Client(REMOTE_ADDR="198.51.100.7")
    # when
    responses = [
        post(client, tree.village_a1.pk, {"text": f"意见 {i}", "anonymous": True})
        for i in range(12)
    ]
    lookups = [client.get("/api/v1/public/opinions/AAAA").status_code for _ in range(6)]
    # then
    accepted = [r for r in responses if r.status_code == 201]
    assert [r.status_code for r in responses] == [201] * 7 + [429] * 5
    assert Opinion.objects.count() == len(accepted)
    assert org_counters.rebuild(check_only=True) == []
    assert responses[-1].json()["code"] == "throttled"
    assert responses[-1].json()["message"]
    assert lookups == [404] * 4 + [429] * 2


def test_the_public_endpoints_are_in_the_openapi_document_without_security(tree):
    doc = Client().get("/api/v1/openapi.json").json()
    submit = doc["paths"]["/api/v1/public/orgs/{org_id}/opinions"]["post"]
    track = doc["paths"]["/api/v1/public/opinions/{receipt}"]["get"]
    assert "201" in submit["responses"] and "429" in submit["responses"]
    assert "404" in track["responses"]
    assert not submit.get("security") and not track.get("security")


def test_a_session_without_csrf_token_may_still_submit(tree, make_user):
    # a public endpoint takes no session auth, so a browser with a staff session is anonymous
    from massline.conftest import login_client

    client = login_client(make_user("org_admin", tree.county_a1))
    client.handler.enforce_csrf_checks = True
    response = post(client, tree.village_a1.pk, {"text": "意见", "anonymous": True})
    assert response.status_code == 201
    assert Opinion.objects.get().entered_by_id is None


def test_a_receipt_longer_than_any_code_is_refused_by_the_schema(tree):
    response = Client().get("/api/v1/public/opinions/" + "A" * 65)
    assert response.status_code == 422
    assert response.json()["field"] == "receipt"
