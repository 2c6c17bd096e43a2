"""/api/v1/rectification/problems: an organization's problems in keyset pages with filters,
one problem with its fixes and actions, recording one, escalation, claim and decline with the
version check, and every refusal with its status, code and field (nothing written)."""

from __future__ import annotations

import pytest
from django.test import Client

from massline.conftest import api_client
from massline.core.models import AuditEvent
from massline.opinions.models import OpinionCategory
from massline.opinions.tests.dispatch_fixtures import make_opinion
from massline.rectification.models import Problem, ProblemSource

from .api_fixtures import EN, ZH, get, post
from .conftest import a_fix, a_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(people):
    return api_client(people.county)


@pytest.fixture
def village(people):
    return api_client(people.village)


def test_the_list_pages_through_everything_once(tree, county):
    made = [a_problem(tree.village_a1 if i % 2 else tree.town_a1).pk for i in range(7)]
    a_problem(tree.county_a2)
    seen: list[int] = []
    after = ""
    for _ in range(10):
        page = get(county, "/problems", {"org": tree.county_a1.pk, "limit": 3, "after": after})
        assert page.status_code == 200, page.content
        seen += [p["id"] for p in page.json()["items"]]
        after = page.json()["next_after"]
        if not after:
            break
    assert sorted(seen) == sorted(made)


def test_filters(tree, county, village):
    cat = OpinionCategory.objects.create(source="four_winds", code="x", title="形式主义")
    a_problem(tree.village_a1, description="督查发现的")
    a_problem(tree.village_a1, source=ProblemSource.TEAM_REVIEW, category=cat, description="自查的")
    escalated = a_problem(tree.village_a1, description="根子在上面")
    post(village, f"/problems/{escalated.pk}/escalate", {"reason": "县里政策"})

    def texts(**q):
        r = get(county, "/problems", {"org": tree.county_a1.pk, **q})
        assert r.status_code == 200, r.content
        return sorted(p["description"] for p in r.json()["items"])

    assert texts(source="team_review") == ["自查的"]
    assert texts(category=cat.pk) == ["自查的"]
    assert texts(status="escalated") == ["根子在上面"]
    assert texts(source="supervision", status="open") == ["督查发现的"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"source": "rumour"}, 400, "source"),
        ({"status": "lost"}, 400, "status"),
        ({"category": 0}, 422, "category"),
        ({"limit": 0}, 422, "limit"),
        ({"limit": 201}, 422, "limit"),
        ({"after": "nonsense"}, 400, "after"),
        ({"after": "a" * 301}, 422, "after"),
    ],
)
def test_bad_list_queries(tree, county, query, status, field):
    r = get(county, "/problems", {"org": tree.county_a1.pk, **query})
    assert r.status_code == status, r.content
    assert r.json()["field"] == field and r.json()["message"]


def test_the_list_of_an_organization_out_of_view_is_404(tree, county):
    assert get(county, "/problems", {"org": tree.county_a2.pk}).status_code == 404
    assert get(county, "/problems").status_code == 422


def test_record_a_problem_from_opinions(tree, county):
    o1 = make_opinion(tree.village_a1, text="公开栏不更新")
    o2 = make_opinion(tree.village_a1, text="公开栏三个月没动")
    r = post(
        county,
        "/problems",
        {
            "org": tree.village_a1.pk,
            "source": "opinion",
            "description": "村务公开栏长期不更新",
            "responsible_person": "王书记",
            "opinions": [o2.pk, o1.pk, o1.pk],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["opinions"] == sorted([o1.pk, o2.pk])
    assert (body["org"], body["origin_org"], body["status"], body["version"]) == (
        tree.village_a1.pk,
        tree.village_a1.pk,
        "open",
        1,
    )
    assert body["actions"] == ["escalate"] and body["fixes"] == []
    assert AuditEvent.objects.filter(action="rectification.problem_create").count() == 1


GOOD = {"source": "supervision", "description": "问题", "responsible_person": "王书记"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"description": "  "}, 400, "description"),
        ({"responsible_person": ""}, 400, "responsible_person"),
        ({"responsible_person": "长" * 65}, 400, "responsible_person"),
        ({"source": "rumour"}, 400, "source"),
        ({"source": "opinion"}, 400, "opinions"),
        ({"source": "opinion", "opinions": [999999]}, 400, "opinions"),
        ({"source": "team_review"}, 400, "category"),
        ({"category": 999999}, 400, "category"),
        ({"campaign": 999999}, 400, "campaign"),
        ({"opinions": "x"}, 422, "opinions"),
        ({"opinions": list(range(1, 300))}, 422, "opinions"),
        ({"description": "a\x00b"}, 422, "description"),
        ({"org": 0}, 422, "org"),
        ({"org": "x"}, 422, "org"),
    ],
)
def test_bad_problems_are_refused_and_write_nothing(tree, county, body, status, field):
    r = post(county, "/problems", {"org": tree.village_a1.pk, **GOOD, **body})
    assert r.status_code == status, r.content
    assert r.json()["field"] == field and r.json()["message"]
    assert not Problem.objects.exists()


def test_an_opinion_out_of_view_is_refused_like_a_missing_one(tree, village):
    o = make_opinion(tree.village_a2, text="别村的意见")
    r = post(
        village,
        "/problems",
        {"org": tree.village_a1.pk, **GOOD, "source": "opinion", "opinions": [o.pk]},
    )
    assert r.status_code == 400 and r.json()["field"] == "opinions"
    assert "别村" not in r.content.decode()
    assert not Problem.objects.exists()


def test_a_problem_at_an_organization_out_of_view_is_404_and_seen_without_manage_403(
    tree, county, people
):
    r = post(county, "/problems", {"org": tree.county_a2.pk, **GOOD})
    assert r.status_code == 404 and tree.county_a2.name not in r.content.decode()
    r = post(api_client(people.supervisor), "/problems", {"org": tree.village_a1.pk, **GOOD})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert not Problem.objects.exists()


def test_one_problem_with_the_fixes_the_caller_sees(tree, people, county):
    p = a_problem(tree.town_a1)
    f1 = a_fix(p)
    a_fix(p, org=tree.village_a2)
    body = get(county, f"/problems/{p.pk}").json()
    assert len(body["fixes"]) == 2 and body["fixes"][0]["id"] == f1.pk
    # the other village sees the problem through neither side: 404
    assert get(api_client(people.other_village), f"/problems/{p.pk}").status_code == 404
    assert get(county, "/problems/999999").status_code == 404


def test_escalate_claim_and_decline_with_versions(tree, people, village):
    town = api_client(people.town)
    p = a_problem(tree.village_a1, description="根子在镇里")
    a_fix(p)
    r = post(village, f"/problems/{p.pk}/escalate", {"reason": "镇里的规定", "version": 1})
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["escalated_to"], r.json()["actions"]) == (
        "escalated",
        tree.town_a1.pk,
        [],
    )
    assert get(town, f"/problems/{p.pk}").json()["actions"] == ["claim", "decline"]
    # a stale version is refused: someone changed it meanwhile
    r = post(town, f"/problems/{p.pk}/decline", {"reason": "不是", "version": 1})
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        400,
        "problem_changed",
        "version",
    )
    r = post(town, f"/problems/{p.pk}/decline", {"reason": "村里能解决", "version": 2})
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert "村里能解决" in r.json()["escalation_reason"]
    post(village, f"/problems/{p.pk}/escalate", {"reason": "还是镇里的规定"})
    r = post(town, f"/problems/{p.pk}/claim", {"responsible_person": "李镇长"})
    assert r.status_code == 200, r.content
    assert (r.json()["org"], r.json()["origin_org"], r.json()["responsible_person"]) == (
        tree.town_a1.pk,
        tree.village_a1.pk,
        "李镇长",
    )
    assert r.json()["fixes"][0]["org"] == tree.town_a1.pk
    # the village where it was found keeps seeing it
    assert get(village, f"/problems/{p.pk}").status_code == 200


def test_escalation_refusals(tree, people, village):
    p = a_problem(tree.village_a1)
    assert post(village, f"/problems/{p.pk}/escalate", {"reason": " "}).json()["field"] == (
        "reason"
    )
    r = post(village, f"/problems/{p.pk}/claim", {"responsible_person": "x"})
    assert (r.status_code, r.json()["code"]) == (400, "problem_state")
    assert post(village, f"/problems/{p.pk}/escalate", {}).status_code == 422
    post(village, f"/problems/{p.pk}/escalate", {"reason": "上面"})
    # the village does not claim its own escalation: the level above does
    r = post(village, f"/problems/{p.pk}/claim", {"responsible_person": "x"})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = post(
        api_client(people.other_village), f"/problems/{p.pk}/claim", {"responsible_person": "x"}
    )
    assert r.status_code == 404
    root = a_problem(tree.root)
    r = post(api_client(people.county), f"/problems/{root.pk}/escalate", {"reason": "x"})
    assert r.status_code == 404  # the root is out of the county's view
    assert Problem.objects.get(pk=p.pk).status == "escalated"


def test_errors_speak_the_callers_language(tree, village):
    p = a_problem(tree.village_a1)
    en = post(village, f"/problems/{p.pk}/escalate", {"reason": " "}, **EN).json()["message"]
    zh = post(village, f"/problems/{p.pk}/escalate", {"reason": " "}, **ZH).json()["message"]
    assert en == "Say why the cause sits above."
    assert zh != en and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


@pytest.mark.parametrize("url", ["/problems?org=1", "/problems/1", "/fixes?org=1", "/fixes/1"])
def test_anonymous_calls_get_401(url):
    assert Client().get("/api/v1/rectification" + url).status_code == 401
