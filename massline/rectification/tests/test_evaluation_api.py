"""The evaluation API: the public POST (201, each refusal in the API's error shape, the
throttle) and the staff side (the breakdown under the k rule, codes issued)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from massline.conftest import api_client
from massline.core.models import AuditEvent
from massline.rectification.evaluation_services import tokens_issue
from massline.rectification.models import Evaluation

from .conftest import TODAY, a_fix, a_problem, no_drift
from .test_evaluation import closed

pytestmark = pytest.mark.django_db
URL = "/api/v1/public/evaluations"


@pytest.fixture
def slip(tree, people):
    fix = closed(a_fix(a_problem(tree.village_a1, actor=people.village)), people)
    return fix, tokens_issue(actor=people.village, fix=fix, count=10)


def post(body, client=None):
    return (client or Client()).post(URL, json.dumps(body), content_type="application/json")


def test_an_evaluation_through_the_api(slip):
    fix, codes = slip
    r = post({"token": codes[0], "verdict": "satisfied"})
    assert r.status_code == 201
    assert r.json() == {"fix": fix.pk, "round": 1, "verdict": "satisfied"}
    assert "sessionid" not in r.cookies
    no_drift()


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"token": "ABCD-EFGH-JKMN", "verdict": "satisfied"}, 400, "unknown_code", "token"),
        ({"verdict": "satisfied"}, 400, "no_code", "receipt"),
        ({"token": "0", "verdict": "unsatisfied"}, 400, "reason_required", "reason"),
        ({"token": "0", "verdict": "meh"}, 400, "unknown_verdict", "verdict"),
    ],
)
def test_refusals_in_the_api_s_error_shape(slip, body, status, code, field):
    if body.get("token") == "0":
        body["token"] = slip[1][0]
    r = post(body)
    assert r.status_code == status
    assert (r.json()["code"], r.json()["field"]) == (code, field)
    assert r.json()["message"]
    assert Evaluation.objects.count() == 0


def test_a_second_use_of_a_token_is_refused_in_chinese(slip):
    post({"token": slip[1][0], "verdict": "satisfied"})
    r = Client(headers={"Accept-Language": "zh-hans"}).post(
        URL, json.dumps({"token": slip[1][0], "verdict": "satisfied"}), "application/json"
    )
    assert r.status_code == 400 and r.json()["code"] == "token_used"
    assert "评价码" in r.json()["message"]


def test_before_close_out_is_refused(tree, people):
    fix = a_fix(a_problem(tree.village_a1))
    codes = tokens_issue(actor=people.village, fix=fix, count=1)
    r = post({"token": codes[0], "verdict": "satisfied"})
    assert r.status_code == 400 and r.json()["code"] == "not_closed"


def test_the_public_endpoint_is_throttled(slip, settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "evaluate": (2, 600)}
    statuses = [post({"token": c, "verdict": "satisfied"}).status_code for c in slip[1][:3]]
    assert statuses == [201, 201, 429]
    assert Evaluation.objects.count() == 2


def test_the_breakdown_is_refused_below_k_and_given_from_k_on(slip, people):
    fix, codes = slip
    staff = api_client(people.town)
    for c in codes[:4]:
        post({"token": c, "verdict": "satisfied"})
    r = staff.get(f"/api/v1/rectification/fixes/{fix.pk}/evaluations")
    assert r.status_code == 400 and r.json()["code"] == "below_k"
    assert "5" in r.json()["message"]
    post({"token": codes[4], "verdict": "basically_satisfied"})
    r = staff.get(f"/api/v1/rectification/fixes/{fix.pk}/evaluations?round=1")
    assert r.status_code == 200
    assert r.json() == {
        "fix": fix.pk,
        "round": 1,
        "rounds": 1,
        "k": 5,
        "total": 5,
        "satisfied": 4,
        "basically_satisfied": 1,
        "unsatisfied": 0,
    }
    assert (
        staff.get(f"/api/v1/rectification/fixes/{fix.pk}/evaluations?round=2").json()["field"]
        == "round"
    )


def test_the_breakdown_of_a_fix_out_of_scope_is_not_found(slip, people):
    r = api_client(people.other_village).get(
        f"/api/v1/rectification/fixes/{slip[0].pk}/evaluations"
    )
    assert r.status_code == 404


def test_codes_are_issued_through_the_api_once(slip, people):
    fix = slip[0]
    staff = api_client(people.village)
    audits = AuditEvent.objects.count()
    r = staff.post(f"/api/v1/rectification/fixes/{fix.pk}/tokens", {"count": 3}, "application/json")
    assert r.status_code == 201
    codes = r.json()["codes"]
    assert len(codes) == 3 and all(len(c) == 14 for c in codes)  # XXXX-XXXX-XXXX
    assert AuditEvent.objects.count() == audits + 1
    assert post({"token": codes[0], "verdict": "satisfied"}).status_code == 201
    too_many = api_client(people.village).post(
        f"/api/v1/rectification/fixes/{fix.pk}/tokens", {"count": 501}, "application/json"
    )
    assert too_many.status_code == 422


def test_codes_are_not_issued_out_of_scope(slip, people):
    r = api_client(people.other_village).post(
        f"/api/v1/rectification/fixes/{slip[0].pk}/tokens", {"count": 3}, "application/json"
    )
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_today_is_the_only_time_kept(slip):
    post({"token": slip[1][0], "verdict": "satisfied"})
    e = Evaluation.objects.get()
    assert e.given_on.isoformat() >= TODAY.isoformat()
