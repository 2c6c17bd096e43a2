"""The rectification loop's staff side in a real browser (Chromium): the village secretary
records a problem from an opinion, adds a fix, reports progress and asks to close it out; the
township, one level up, approves the close-out. At 1366 px and on a 360 px phone, without
sideways scrolling. The page watcher fails on any console error or CSP violation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from massline.opinions.tests.dispatch_fixtures import make_opinion
from massline.rectification.models import Fix, FixState, Problem
from massline.testing.browser import BROWSER, NARROW, expect, sign_in

pytestmark = BROWSER


@pytest.fixture
def site(tree, make_user, live_server):
    make_user("org_admin", tree.village_a1, username="village")
    make_user("org_admin", tree.town_a1, username="town")
    return live_server.url


@pytest.mark.parametrize("size", ["page", "narrow_page"])
def test_a_problem_from_an_opinion_is_fixed_and_closed_out(request, size, site, tree, browser):
    page = request.getfixturevalue(size)
    o = make_opinion(tree.village_a1, text="村里路灯坏了半年没人修")
    sign_in(page, site, "village")
    # the opinion's page leads to a new problem with the opinion filled in
    page.goto(f"{site}/opinions/{o.pk}/")
    page.get_by_test_id("to-problem").click()
    expect(page.get_by_role("heading", name="记录问题 · 中共古路板村支部委员会")).to_be_visible()
    expect(page.get_by_label("来源意见")).to_have_value(str(o.pk))
    page.get_by_label("责任人").fill("王书记")
    page.get_by_role("button", name="保存问题").click()
    expect(page.get_by_text("问题已记录，请在下方添加整改措施。")).to_be_visible()
    p = Problem.objects.get()
    # add a fix with a deadline; a missing measure first comes back at its field
    form = page.get_by_test_id("fix-form")
    deadline = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    form.get_by_label("整改时限").fill(deadline)
    form.get_by_label("责任人").fill("王书记")
    form.get_by_role("button", name="保存整改措施").click()
    expect(page.get_by_test_id("error-measure")).to_have_text("请填写整改措施。")
    form = page.get_by_test_id("fix-form")
    expect(form.get_by_label("责任人")).to_have_value("王书记")
    form.get_by_label("整改措施").fill("一周内更换全部路灯，村委会每月巡查")
    form.get_by_role("button", name="保存整改措施").click()
    expect(page.get_by_text("整改措施已记录。")).to_be_visible()
    f = Fix.objects.get(problem=p)
    assert page.url.endswith(f"/rectification/fixes/{f.pk}/")
    # report progress, then ask to close it out
    step = page.get_by_test_id("step-progress")
    step.get_by_label("做了什么（必填）").fill("已更换 12 盏路灯")
    step.get_by_role("button", name="报告进展").click()
    expect(page.get_by_text("进展已记录。")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("已更换 12 盏路灯")
    step = page.get_by_test_id("step-request_close")
    step.get_by_label("整改成效（必填）").fill("路灯全部修复，群众已知晓")
    step.get_by_role("button", name="申请销号").click()
    expect(page.get_by_text("已申请销号，由上级审批。")).to_be_visible()
    expect(page.get_by_test_id("step-approve_close")).to_have_count(0)
    if size == "narrow_page":
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    # the township, one level up, approves it (after the box is ticked)
    page.context.clear_cookies()
    sign_in(page, site, "town")
    page.goto(f"{site}/rectification/")
    expect(page.get_by_role("heading", name="整改台账 · 中共保合少镇委员会")).to_be_visible()
    page.get_by_role("link", name="一周内更换全部路灯，村委会每月巡查").click()
    step = page.get_by_test_id("step-approve_close")
    step.get_by_role("button", name="批准销号").click()
    expect(page.get_by_test_id("error-confirmed")).to_be_visible()
    step = page.get_by_test_id("step-approve_close")
    step.get_by_label("是的，执行这一步。").check()
    step.get_by_role("button", name="批准销号").click()
    expect(page.get_by_text("已销号，提出问题的群众可以评价。")).to_be_visible()
    f.refresh_from_db()
    assert f.state == FixState.CLOSED
    expect(page.get_by_test_id("fix-state").first).to_have_text("已销号")
