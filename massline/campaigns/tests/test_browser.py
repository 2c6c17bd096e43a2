"""A campaign's main journeys in a real browser (Chromium): the office follows the rollout
on the overview's Gantt chart and the coverage page; a branch secretary, on a 360 px phone,
records an action with its account and the members who took part, and the figures move. The
page watcher fails on any content security policy violation or console error."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from massline.campaigns import action_services
from massline.testing.browser import BROWSER, NARROW, expect, sign_in

pytestmark = BROWSER


@pytest.fixture
def site(builtin_templates, cov, make_user, live_server) -> SimpleNamespace:
    t = cov.tree
    study = action_services.action_define(
        actor=None, campaign=cov.campaign, org=t.root, kind="study", title="集中学习研讨",
        offset_days=5, evidence_text="required",
    )  # fmt: skip
    make_user("campaign_office", t.root, username="office")
    make_user("org_admin", t.village_a1, username="secretary")
    return SimpleNamespace(url=live_server.url, cov=cov, study=study)


def test_the_office_follows_the_rollout_and_the_coverage(page, site):
    c = site.cov.campaign
    sign_in(page, site.url, "office")
    page.goto(f"{site.url}/campaigns/{c.pk}/overview/")
    expect(page.get_by_role("heading", name=re.compile("活动总览"))).to_be_visible()
    expect(page.locator("[data-testid=gantt] canvas")).to_have_count(1)
    # when the coverage is opened from the overview
    page.get_by_role("link", name="党员参加情况").click()
    # then: 7 members expected, none reached; the members not reached are listed
    totals = page.get_by_test_id("coverage-totals")
    expect(totals).to_contain_text("7")
    expect(totals).to_contain_text("0.0%")
    expect(page.get_by_test_id("missing")).to_contain_text("周七")
    # when one level down
    page.get_by_test_id("coverage-children").get_by_role("link").first.click()
    expect(page.get_by_test_id("coverage-totals")).to_contain_text("6")


def test_a_secretary_records_an_action_and_who_took_part_on_a_phone(narrow_page, site):
    page, c, t = narrow_page, site.cov.campaign, site.cov.tree
    sign_in(page, site.url, "secretary")
    page.goto(f"{site.url}/campaigns/{c.pk}/orgs/{t.village_a1.pk}/checklist/")
    page.get_by_test_id(f"record-{site.study.pk}").tap()
    page.get_by_label("完成情况").fill("全体党员集中学习了党章。")
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id(f"item-{site.study.pk}")).to_have_attribute("data-status", "done")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    # when the members who took part are recorded
    page.goto(f"{site.url}/campaigns/{c.pk}/coverage/?org={t.village_a1.pk}")
    form = page.get_by_test_id("reach-form")
    form.get_by_label("张一").check()
    form.get_by_label("王三").check()
    form.get_by_role("button", name="记为参加").tap()
    # then
    expect(page.locator(".alert").first).to_contain_text("2 名党员已记为参加")
    expect(page.get_by_test_id("coverage-totals")).to_contain_text("66.7%")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
