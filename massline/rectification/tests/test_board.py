"""The public board of commitments: the portal page /p/b/<org>/ and
GET /api/v1/public/orgs/{id}/commitments. Only published commitments of the organization's
subtree (or found there) appear, newest first in pages; a commitment to the people who raised
it shows only that it exists and its days; a result is broken down only from k evaluations;
nothing names a person who evaluated or raised it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from massline.rectification import workflow
from massline.rectification.fix_services import commitments_publish, fix_act
from massline.rectification.models import Audience, Fix

from .conftest import a_fix, a_problem

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PROMISED = TODAY + dt.timedelta(days=20)


def promise(fix, *, audience=Audience.PUBLIC, words="每月 5 日前公开", publish=True):
    fix_act(
        actor=None,
        fix=fix,
        action=workflow.PREPARE_COMMITMENT,
        note=words,
        audience=audience,
        promised_on=PROMISED,
    )
    if publish:
        commitments_publish(actor=None, org=fix.org)
    fix.refresh_from_db()
    return fix


def committed(org, text="公开栏长期不更新", **kw):
    f = a_fix(a_problem(org, description=text), measure=f"{text}的措施", today=TODAY)
    return promise(f, **kw)


def board(org, **params):
    return Client().get(f"/api/v1/public/orgs/{org.pk}/commitments", params)


def page(org, headers=None, **params):
    return Client(headers=headers).get(f"/p/b/{org.pk}/", params)


def test_only_published_commitments_of_the_subtree_appear(tree):
    shown = committed(tree.village_a1, "村里的问题")
    committed(tree.village_a1, "还没公开的", publish=False)
    a_fix(a_problem(tree.village_a1, description="没有承诺的"), today=TODAY)
    committed(tree.county_a2, "别的县的")
    body = board(tree.county_a1).json()
    assert [c["id"] for c in body["items"]] == [shown.pk]
    item = body["items"][0]
    assert (item["problem"], item["measure"], item["commitment"]) == (
        "村里的问题",
        "村里的问题的措施",
        "每月 5 日前公开",
    )
    assert (item["promised_on"], item["state"], item["audience"], item["full"]) == (
        PROMISED.isoformat(),
        "in_progress",
        "public",
        True,
    )
    assert body["org_name"] == tree.county_a1.name and body["next_before"] is None
    html = page(tree.county_a1).content.decode()
    assert "村里的问题" in html and "还没公开的" not in html and "别的县的" not in html
    assert "没有承诺的" not in html
    assert board(tree.county_a2).json()["items"][0]["problem"] == "别的县的"


def test_public_progress_and_the_close_out_day(tree):
    f = committed(tree.village_a1)
    fix_act(actor=None, fix=f, action=workflow.PROGRESS, note="已更新 11 月公开栏", public=True)
    fix_act(actor=None, fix=f, action=workflow.PROGRESS, note="内部记录，不公开")
    fix_act(actor=None, fix=f, action=workflow.REQUEST_CLOSE, note="完成")
    fix_act(actor=None, fix=f, action=workflow.APPROVE_CLOSE)
    item = board(tree.village_a1).json()["items"][0]
    assert [(s["note"], s["round"]) for s in item["progress"]] == [("已更新 11 月公开栏", 1)]
    assert (item["state"], item["closed_on"]) == ("closed", TODAY.isoformat())
    html = page(tree.village_a1).content.decode()
    assert "已更新 11 月公开栏" in html and "内部记录" not in html
    assert TODAY.strftime("%Y-%m-%d") in html


def test_a_commitment_to_the_people_who_raised_it_shows_only_that_it_exists(tree):
    committed(tree.village_a1, "张三家门口的路灯", audience=Audience.SUBMITTERS, words="三天内修好")
    item = board(tree.village_a1).json()["items"][0]
    assert (item["full"], item["audience"], item["promised_on"]) == (
        False,
        "submitters",
        PROMISED.isoformat(),
    )
    assert (item["problem"], item["measure"], item["commitment"], item["progress"]) == (
        "",
        "",
        "",
        [],
    )
    assert item["result"] is None
    html = page(tree.village_a1).content.decode()
    assert "张三" not in html and "三天内修好" not in html
    assert 'data-testid="private"' in html


@pytest.mark.parametrize(("votes", "broken_down"), [((2, 1, 1), False), ((3, 1, 1), True)])
def test_a_result_is_broken_down_only_from_k_evaluations(tree, votes, broken_down):
    f = committed(tree.village_a1)
    s, b, u = votes
    Fix.objects.filter(pk=f.pk).update(satisfied=s, basically_satisfied=b, unsatisfied=u)
    result = board(tree.village_a1).json()["items"][0]["result"]
    assert (result["evaluated"], result["k"]) == (sum(votes), 5)
    if broken_down:
        assert (result["satisfied"], result["basically_satisfied"], result["unsatisfied"]) == votes
    else:
        assert result["satisfied"] is result["unsatisfied"] is None
    html = page(tree.village_a1, {"Accept-Language": "en"}).content.decode()
    assert ("satisfied 3" in html) is broken_down
    assert (f"Judged by {sum(votes)} so far" in html) is not broken_down


def test_k_comes_from_the_settings(tree, settings):
    settings.RECTIFICATION_EVALUATION_K = 2
    f = committed(tree.village_a1)
    Fix.objects.filter(pk=f.pk).update(satisfied=1, unsatisfied=1)
    assert board(tree.village_a1).json()["items"][0]["result"]["satisfied"] == 1


def test_newest_first_in_pages_and_the_older_link(tree):
    made = [committed(tree.village_a1, f"问题{i}").pk for i in range(5)]
    seen: list[int] = []
    before = ""
    for _ in range(5):
        body = board(tree.village_a1, limit=2, before=before).json()
        seen += [c["id"] for c in body["items"]]
        before = body["next_before"]
        if not before:
            break
    assert seen == list(reversed(made))
    html = page(tree.village_a1).content.decode()
    assert 'data-testid="older"' not in html  # 5 fit on the page's 20
    assert html.index("问题4") < html.index("问题0")


def test_bad_addresses(tree):
    assert board(tree.village_a1, before="nonsense").status_code == 400
    assert board(tree.village_a1, before="nonsense").json()["field"] == "before"
    assert board(tree.village_a1, limit=0).status_code == 422
    r = Client().get("/api/v1/public/orgs/999999/commitments")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert page(tree.village_a1, before="x").status_code == 400
    r = Client().get("/p/b/abc/")
    assert r.status_code == 404 and 'data-testid="error"' in r.content.decode()
    assert Client().post(f"/p/b/{tree.village_a1.pk}/").status_code == 405


def test_the_empty_board(tree):
    html = page(tree.village_a1).content.decode()
    assert 'data-testid="empty"' in html and tree.village_a1.name in html
    assert "整改承诺公开" in html and "这里还没有公开的整改承诺" in html
    assert board(tree.village_a1).json() == {
        "org_name": tree.village_a1.name,
        "items": [],
        "next_before": None,
    }


def test_a_claimed_problems_commitment_shows_where_it_was_found(tree):
    from massline.rectification.problem_services import problem_claim, problem_escalate

    p = a_problem(tree.village_a1, description="根子在镇里")
    f = a_fix(p, today=TODAY)
    problem_escalate(actor=None, problem=p, reason="镇里的规定")
    problem_claim(actor=None, problem=p, responsible_person="李镇长")
    promise(Fix.objects.get(pk=f.pk))
    item = board(tree.village_a1).json()["items"][0]
    assert (item["problem"], item["org_name"]) == ("根子在镇里", tree.town_a1.name)


def test_nothing_names_a_person(tree, make_user):
    staff = make_user("org_admin", tree.village_a1, username="wang_secretary")
    f = a_fix(a_problem(tree.village_a1, actor=staff, responsible_person="王书记"), today=TODAY)
    promise(f)
    text = board(tree.village_a1).content.decode() + page(tree.village_a1).content.decode()
    assert "wang_secretary" not in text and "王书记" not in text


def test_the_board_takes_a_fixed_number_of_queries(tree):
    committed(tree.village_a1)
    counts = []
    for extra in (0, 15):
        for i in range(extra):
            f = committed(tree.village_a2, f"问题{i}")
            fix_act(actor=None, fix=f, action=workflow.PROGRESS, note="进展", public=True)
        for url in (
            f"/p/b/{tree.county_a1.pk}/",
            f"/api/v1/public/orgs/{tree.county_a1.pk}/commitments",
        ):
            with CaptureQueriesContext(connection) as ctx:
                assert Client().get(url).status_code == 200
            counts.append(len(ctx.captured_queries))
    assert counts[:2] == counts[2:], counts
    assert max(counts) <= 4, counts


def test_the_opinion_box_links_its_board(tree):
    html = Client().get(f"/p/o/{tree.village_a1.pk}/").content.decode()
    assert f'href="/p/b/{tree.village_a1.pk}/"' in html and "整改承诺公开" in html
