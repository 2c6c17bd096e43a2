"""The workbench and the notices in a real browser (Chromium): the charts draw under the
content security policy (the page watcher fails on any violation or console error), a notice
is opened and marked from the bell, and both pages fit a 360 px phone."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from massline.members.transfers.tests.test_services import add_member
from massline.testing.browser import BROWSER, NARROW, expect, sign_in

from .helpers import remind

pytestmark = BROWSER


@pytest.fixture
def site(transactional_db, tree, make_user, live_server) -> SimpleNamespace:
    add_member(tree.village_a1, 1)
    add_member(tree.village_a2, 2, status="probationary", name="李红")
    office = make_user("campaign_office", tree.root, username="office")
    remind([office], "welcome", what="第一条通知", link="/orgs/")
    return SimpleNamespace(url=live_server.url, tree=tree, office=office)


def test_the_workbench_draws_its_charts_and_the_bell_opens_a_notice(page, site):
    sign_in(page, site.url, "office")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.locator("[data-figure='members.total']")).to_have_text("2")
    expect(page.locator(".ml-chart canvas")).to_have_count(3)
    expect(page.get_by_test_id("bell-count")).to_have_text("1")
    # when the bell is followed and the notice opened
    page.get_by_test_id("bell").click()
    expect(page.get_by_role("heading", name="通知")).to_be_visible()
    page.get_by_role("button", name=re.compile("后台任务已结束")).click()
    # then it is read and its link followed
    expect(page).to_have_url(re.compile(r"/orgs/$"))
    expect(page.get_by_test_id("bell-count")).to_have_count(0)


def test_both_pages_fit_a_360_px_phone(narrow_page, site):
    page = narrow_page
    sign_in(page, site.url, "office")
    expect(page.locator(".ml-chart canvas")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    expect(page.get_by_test_id("bell")).to_be_visible()  # outside the folded menu
    page.get_by_test_id("bell").tap()
    expect(page.get_by_test_id("notice-list")).to_contain_text("第一条通知")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    page.get_by_test_id("mark-all-read").tap()
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
