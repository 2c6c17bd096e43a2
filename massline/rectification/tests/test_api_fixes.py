"""/api/v1/rectification/fixes: an organization's fixes in keyset pages with filters, one fix
with its version and actions, its history by round, every step through the API (JSON and
multipart with evidence files), publishing commitments together, and the refusals with their
status, code and field (nothing written)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from massline.conftest import api_client
from massline.rectification.models import Fix, FixStep

from .api_fixtures import BASE, EN, get, post
from .conftest import a_fix, a_problem

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LATER = (TODAY + dt.timedelta(days=30)).isoformat()


@pytest.fixture
def county(people):
    return api_client(people.county)


@pytest.fixture
def village(people):
    return api_client(people.village)


@pytest.fixture
def town(people):
    return api_client(people.town)


def fix_at(org, **kw):
    kw.setdefault("today", TODAY)
    kw.setdefault("deadline", TODAY + dt.timedelta(days=10))
    return a_fix(a_problem(org), **kw)


def step(client, f, action, **body):
    return post(client, f"/fixes/{f.pk}/steps", {"action": action, **body})


def test_the_list_pages_through_everything_once_and_filters(tree, county, village):
    made = [fix_at(tree.village_a1 if i % 2 else tree.town_a1).pk for i in range(5)]
    fix_at(tree.county_a2)
    seen: list[int] = []
    after = ""
    while True:
        page = get(county, "/fixes", {"org": tree.county_a1.pk, "limit": 2, "after": after})
        assert page.status_code == 200, page.content
        seen += [f["id"] for f in page.json()["items"]]
        after = page.json()["next_after"]
        if not after:
            break
    assert sorted(seen) == sorted(made)
    ongoing = fix_at(tree.village_a1, kind="ongoing", deadline=None)
    Fix.objects.filter(pk=made[0]).update(overdue=True)
    step(village, Fix.objects.get(pk=made[1]), "request_close", note="完成")

    def ids(**q):
        r = get(county, "/fixes", {"org": tree.county_a1.pk, **q})
        assert r.status_code == 200, r.content
        return sorted(f["id"] for f in r.json()["items"])

    assert ids(kind="ongoing") == [ongoing.pk]
    assert ids(overdue="true") == [made[0]]
    assert ids(state="close_requested") == [made[1]]
    assert len(ids(state="open")) == 6
    assert ids(published="true") == []
    assert ids(problem=ongoing.problem_id) == [ongoing.pk]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"state": "lost"}, 400, "state"),
        ({"kind": "someday"}, 400, "kind"),
        ({"overdue": "maybe"}, 422, "overdue"),
        ({"limit": 0}, 422, "limit"),
        ({"after": "nonsense"}, 400, "after"),
        ({"problem": 0}, 422, "problem"),
    ],
)
def test_bad_list_queries(tree, county, query, status, field):
    r = get(county, "/fixes", {"org": tree.county_a1.pk, **query})
    assert r.status_code == status, r.content
    assert r.json()["field"] == field


def test_record_a_fix_with_co_organizations(tree, county):
    p = a_problem(tree.town_a1)
    r = post(
        county,
        "/fixes",
        {
            "problem": p.pk,
            "measure": "建立公开台账",
            "kind": "time_limited",
            "deadline": LATER,
            "responsible_person": "李镇长",
            "org": tree.village_a1.pk,
            "co_orgs": [tree.village_a2.pk, tree.village_a2.pk],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["org"], body["state"], body["version"], body["round"]) == (
        tree.village_a1.pk,
        "in_progress",
        1,
        1,
    )
    assert body["co_orgs"] == [{"id": tree.village_a2.pk, "name": tree.village_a2.name}]
    assert body["actions"] == [
        "progress",
        "request_extension",
        "request_close",
        "prepare_commitment",
    ]
    assert body["result"] == {
        "evaluated": 0,
        "k": 5,
        "satisfied": None,
        "basically_satisfied": None,
        "unsatisfied": None,
    }


GOOD = {"measure": "措施", "kind": "time_limited", "deadline": LATER, "responsible_person": "王"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"measure": " "}, 400, "measure"),
        ({"responsible_person": ""}, 400, "responsible_person"),
        ({"kind": "someday"}, 400, "kind"),
        ({"deadline": None}, 400, "deadline"),
        ({"deadline": "2020-01-01"}, 400, "deadline"),
        ({"deadline": 1700000000}, 422, "deadline"),
        ({"deadline": "soon"}, 422, "deadline"),
        ({"problem": 999999}, 400, "problem"),
        ({"org": 999999}, 400, "org"),
        ({"org": "county_a2"}, 400, "org"),
        ({"org": "town_a1"}, 400, "org"),
        ({"co_orgs": [999999]}, 400, "co_orgs"),
        ({"co_orgs": ["county_a2"]}, 400, "co_orgs"),
        ({"co_orgs": ["village_a1"]}, 400, "co_orgs"),
        ({"co_orgs": list(range(1, 60))}, 422, "co_orgs"),
        ({"handover_org": "village_a2"}, 400, "handover_org"),
        ({"handover_org": 999999}, 400, "handover_org"),
        ({"measure": "a\x00b"}, 422, "measure"),
    ],
)
def test_bad_fixes_are_refused_and_write_nothing(tree, county, body, status, field):
    p = a_problem(tree.village_a1)
    for key in ("org", "handover_org"):
        if isinstance(body.get(key), str):
            body = {**body, key: getattr(tree, body[key]).pk}
    if body.get("co_orgs") and isinstance(body["co_orgs"][0], str):
        body = {**body, "co_orgs": [getattr(tree, k).pk for k in body["co_orgs"]]}
    r = post(county, "/fixes", {"problem": p.pk, **GOOD, **body})
    assert r.status_code == status, r.content
    assert r.json()["field"] == field and r.json()["message"]
    assert not Fix.objects.exists() and not FixStep.objects.exists()


def test_an_unknown_organization_is_answered_like_one_out_of_view(tree, county):
    p = a_problem(tree.village_a1)
    out = post(county, "/fixes", {"problem": p.pk, **GOOD, "co_orgs": [tree.county_a2.pk]})
    missing = post(county, "/fixes", {"problem": p.pk, **GOOD, "co_orgs": [10**9]})
    assert out.json() == missing.json() and out.json()["code"] == "out_of_scope"
    assert tree.county_a2.name not in out.content.decode()


def test_a_fix_for_a_problem_the_caller_may_not_manage_is_403(tree, people):
    p = a_problem(tree.village_a1)
    r = post(api_client(people.supervisor), "/fixes", {"problem": p.pk, **GOOD})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    assert not Fix.objects.exists()


def test_the_whole_loop_through_the_api(tree, village, town):
    f = fix_at(tree.village_a1)
    r = step(village, f, "progress", note="已更新 11 月公开栏", public=True, version=1)
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2
    r = step(village, f, "request_extension", note="等村民代表会", until=LATER, version=2)
    assert r.json()["state"] == "extension_requested"
    assert get(town, f"/fixes/{f.pk}").json()["actions"] == [
        "progress",
        "approve_extension",
        "refuse_extension",
        "prepare_commitment",
    ]
    r = step(town, f, "approve_extension", version=3)
    assert (r.json()["state"], r.json()["deadline"]) == ("in_progress", LATER)
    r = step(
        village,
        f,
        "prepare_commitment",
        note="每月 5 日前公开",
        audience="public",
        promised_on=LATER,
    )
    assert r.json()["commitment"] == "每月 5 日前公开" and not r.json()["published"]
    assert "publish_commitment" in r.json()["actions"]
    r = step(village, f, "publish_commitment")
    assert r.json()["published"] and r.json()["commitment_published_at"]
    step(village, f, "request_close", note="连续三个月按时公开")
    r = step(town, f, "approve_close")
    assert (r.json()["state"], r.json()["closed_on"]) == ("closed", TODAY.isoformat())
    r = step(town, f, "rework", note="群众不认可")
    assert (r.json()["state"], r.json()["round"], r.json()["reworked"]) == (
        "in_progress",
        2,
        True,
    )
    history = get(village, f"/fixes/{f.pk}/steps").json()
    assert history["round"] == 2
    assert [(s["kind"], s["round"]) for s in history["steps"]] == [
        ("created", 1),
        ("progress", 1),
        ("extension_requested", 1),
        ("extension_approved", 1),
        ("commitment_prepared", 1),
        ("commitment_published", 1),
        ("close_requested", 1),
        ("close_approved", 1),
        ("rework", 2),
    ]
    assert [s["public"] for s in history["steps"]][:2] == [False, True]
    assert history["steps"][1]["org"] == tree.village_a1.pk and history["steps"][1]["actor"]


def test_two_people_closing_at_once_one_wins(tree, people, village):
    f = fix_at(tree.village_a1)
    seen = step(village, f, "request_close", note="完成").json()["version"]
    assert step(api_client(people.town), f, "approve_close", version=seen).status_code == 200
    body = {"action": "refuse_close", "note": "不行", "version": seen}
    r = post(api_client(people.town2), f"/fixes/{f.pk}/steps", body, **EN)
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (400, "fix_changed", "version")
    assert "changed by someone else" in r.json()["message"]
    assert FixStep.objects.filter(fix=f, kind__in=["close_approved", "close_refused"]).count() == 1


@pytest.mark.parametrize(
    ("who", "action", "body", "status", "code", "field"),
    [
        ("village", "approve_close", {}, 400, "fix_state", "state"),
        ("village", "explode", {}, 400, "invalid", "action"),
        ("village", "progress", {}, 400, "invalid", "note"),
        ("village", "progress", {"note": "长" * 5001}, 400, "too_long", "note"),
        ("village", "request_extension", {"note": "x"}, 400, "invalid", "until"),
        (
            "village",
            "request_extension",
            {"note": "x", "until": "2020-01-01"},
            400,
            "invalid",
            "until",
        ),
        ("village", "prepare_commitment", {"note": "x"}, 400, "invalid", "audience"),
        (
            "village",
            "prepare_commitment",
            {"note": "x", "audience": "everyone"},
            400,
            "invalid",
            "audience",
        ),
        (
            "village",
            "prepare_commitment",
            {"note": "x", "audience": "public"},
            400,
            "invalid",
            "promised_on",
        ),
        ("village", "publish_commitment", {}, 400, "fix_state", "action"),
        ("village", "progress", {"note": "x", "version": 7}, 400, "fix_changed", "version"),
        ("village", "progress", {"note": "x", "version": 0}, 422, "invalid_request", "version"),
        ("village", "progress", {"note": "x", "until": 5}, 422, "invalid_request", "until"),
        ("village", "progress", {"note": "a\x00"}, 422, "invalid_request", "note"),
        ("town", "rework", {"note": "x"}, 400, "fix_state", "state"),
        ("supervisor", "progress", {"note": "x"}, 403, "forbidden", None),
        ("other_village", "progress", {"note": "x"}, 404, "not_found", None),
    ],
)
def test_bad_steps_are_refused_and_write_nothing(
    tree, people, who, action, body, status, code, field
):
    f = fix_at(tree.village_a1)
    r = step(api_client(getattr(people, who)), f, action, **body)
    assert r.status_code == status, r.content
    assert r.json()["code"] == code
    if field:
        assert r.json()["field"] == field
    assert Fix.objects.get(pk=f.pk).version == 1
    assert FixStep.objects.filter(fix=f).count() == 1


def test_a_body_that_is_not_an_object_and_unknown_fixes(tree, village):
    f = fix_at(tree.village_a1)
    r = village.post(f"{BASE}/fixes/{f.pk}/steps", "[1]", content_type="application/json")
    assert r.status_code == 422
    r = village.post(f"{BASE}/fixes/{f.pk}/steps", "{", content_type="application/json")
    assert r.status_code == 400
    assert get(village, "/fixes/999999").status_code == 404
    assert get(village, "/fixes/999999/steps").status_code == 404
    assert get(village, f"/fixes/{fix_at(tree.county_a2).pk}").status_code == 404


PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def test_evidence_files_come_as_multipart(tree, village):
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = fix_at(tree.village_a1)
    r = village.post(
        f"{BASE}/fixes/{f.pk}/steps/files",
        {
            "action": "progress",
            "note": "照片",
            "version": "1",
            "files": [SimpleUploadedFile("公开栏.png", PNG, "image/png")],
        },
    )
    assert r.status_code == 200, r.content
    history = get(village, f"/fixes/{f.pk}/steps").json()["steps"]
    assert history[-1]["files"] == [
        {"name": "公开栏.png", "content_type": "image/png", "size": 108}
    ]
    r = village.post(
        f"{BASE}/fixes/{f.pk}/steps/files",
        {"action": "progress", "note": "假图", "files": [SimpleUploadedFile("x.png", b"<html>")]},
    )
    assert (r.status_code, r.json()["field"]) == (400, "attachments")
    r = village.post(
        f"{BASE}/fixes/{f.pk}/steps/files",
        {
            "action": "prepare_commitment",
            "note": "x",
            "audience": "public",
            "promised_on": LATER,
            "files": [SimpleUploadedFile("a.png", PNG)],
        },
    )
    assert (r.status_code, r.json()["field"]) == (400, "attachments")
    assert FixStep.objects.filter(fix=f).count() == 2


def test_publish_an_organizations_commitments_together(tree, people, village):
    f1, f2 = fix_at(tree.village_a1), fix_at(tree.village_a1)
    for f in (f1, f2):
        step(village, f, "prepare_commitment", note="承诺", audience="public", promised_on=LATER)
    r = post(village, f"/orgs/{tree.village_a1.pk}/commitments/publish")
    assert (r.status_code, r.json()) == (200, {"published": 2})
    assert post(village, f"/orgs/{tree.village_a1.pk}/commitments/publish").json() == {
        "published": 0
    }
    r = post(api_client(people.other_village), f"/orgs/{tree.village_a1.pk}/commitments/publish")
    assert r.status_code == 404
    r = post(api_client(people.supervisor), f"/orgs/{tree.village_a1.pk}/commitments/publish")
    assert r.status_code == 403
    assert post(village, "/orgs/999999/commitments/publish").status_code == 404
    assert json.loads(get(village, f"/fixes/{f1.pk}").content)["published"] is True


def test_a_multipart_step_without_files(tree, village):
    f = fix_at(tree.village_a1)
    r = village.post(f"{BASE}/fixes/{f.pk}/steps/files", {"action": "progress", "note": "无附件"})
    assert r.status_code == 200, r.content
    assert FixStep.objects.filter(fix=f, kind="progress").get().files.count() == 0


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [
        ({"until": "", "promised_on": "", "version": ""}, 200, None),
        ({"promised_on": "2026-13-45"}, 400, "promised_on"),
        ({"until": "soon"}, 422, "until"),
        ({"version": "x"}, 422, "version"),
        ({"version": "7"}, 400, "version"),
        ({"version": "00000000"}, 400, "version"),
    ],
)
def test_multipart_fields_empty_are_none_and_bad_ones_refused(tree, village, form, status, field):
    f = fix_at(tree.village_a1)
    r = village.post(
        f"{BASE}/fixes/{f.pk}/steps/files", {"action": "progress", "note": "进展", **form}
    )
    assert r.status_code == status, r.content
    if field:
        assert r.json()["field"] == field
        assert FixStep.objects.filter(fix=f).count() == 1
