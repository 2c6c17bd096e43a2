"""Browser journeys through Debian's Chromium: sign in, the organization tree, search, an
organization's page, the language switch, sign out, and a phone-sized screen.

Every page is watched for console errors, uncaught exceptions and Content-Security-Policy
violations; any of them fails the test. Run with `make test-browser` (`pytest -m browser`).
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from massline.conftest import PASSWORD
from massline.testing.browser import BROWSER, PHONE, expect, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER


@pytest.fixture
def site(transactional_db, tree, make_user, live_server) -> SimpleNamespace:
    """The test tree, committed so the live server sees it, and a province-level office."""
    office = make_user("campaign_office", tree.root, username="office")
    return SimpleNamespace(url=live_server.url, tree=tree, office=office)


def sign_in_to_tree(page: Page, url: str, username: str) -> None:
    """Sign in (landing on the workbench) and open the organization tree from the menu."""
    sign_in(page, url, username)
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    page.goto(f"{url}/orgs/")


def expand(page: Page, code: str) -> None:
    """Open a tree node the way a user does: on the disclosure marker of its summary."""
    page.locator(f'details[data-org="{code}"] > summary').click(position={"x": 6, "y": 10})


# Signing in and out


def test_sign_in_lands_on_the_workbench_and_sign_out_returns_to_login(page, site):
    # when
    sign_in(page, site.url, "office")
    # then
    expect(page).to_have_url(f"{site.url}/")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_have_text("office")
    # when: the tree is one click away, in the menu
    page.locator("#main-nav").get_by_role("link", name="党组织", exact=True).click()
    # then
    expect(page).to_have_url(re.compile(r"/orgs/$"))
    expect(page.get_by_role("heading", name="党组织树")).to_be_visible()
    # when
    page.get_by_role("button", name="退出").click()
    # then
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.goto(f"{site.url}/orgs/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/orgs/$"))


def test_wrong_password_shows_the_error_in_chinese(page, site):
    # when
    sign_in(page, site.url, "office", "not-the-password")
    # then
    expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误。")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_label("用户名")).to_have_value("office")
    expect(page.get_by_label("密码")).to_have_value("")


def test_sign_in_returns_to_the_page_asked_for(page, site):
    # given
    page.goto(f"{site.url}/orgs/{site.tree.county_a1.pk}/")
    # when
    page.get_by_label("用户名").fill("office")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # then
    expect(page).to_have_url(re.compile(rf"/orgs/{site.tree.county_a1.pk}/$"))
    expect(page.get_by_role("heading", name="中共新城区委员会")).to_be_visible()


# The organization tree


def test_expanding_a_node_loads_its_children(page, site):
    # given
    sign_in_to_tree(page, site.url, "office")
    tree = page.get_by_test_id("org-tree")
    expect(tree.get_by_role("link", name="中共内蒙古自治区委员会")).to_be_visible()
    expect(tree.get_by_role("link", name="中共呼和浩特市委员会")).to_be_hidden()
    # when
    expand(page, "150000000000")
    # then
    expect(tree.get_by_role("link", name="中共呼和浩特市委员会")).to_be_visible()
    expect(tree.get_by_role("link", name="中共包头市委员会")).to_be_visible()
    # when: one level further down
    expand(page, "150100000000")
    # then
    expect(tree.get_by_role("link", name="中共新城区委员会")).to_be_visible()
    expect(tree.get_by_role("link", name="中共回民区委员会")).to_be_visible()
    expect(tree.get_by_text("加载中…").filter(visible=True)).to_have_count(0)


def test_search_by_name_and_by_division_code_updates_results_live(page, site):
    # given
    sign_in_to_tree(page, site.url, "office")
    results = page.get_by_test_id("search-results")
    # when: part of a name, typed
    page.locator("#org-q").press_sequentially("保合少")
    # then
    expect(results.get_by_role("link")).to_have_text(["中共保合少镇委员会"])
    expect(page.get_by_text("“保合少”共 1 条结果")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?q=%E4%BF%9D%E5%90%88%E5%B0%91$"))
    # when: the beginning of a division code
    page.locator("#org-q").fill("150102101")
    # then
    expect(results.get_by_role("link")).to_have_text(
        ["中共保合少镇委员会", "中共古路板村支部委员会", "中共讨思浩村支部委员会"]
    )
    # when: nothing matches
    page.locator("#org-q").fill("不存在的组织")
    # then
    expect(page.get_by_text("“不存在的组织”共 0 条结果")).to_be_visible()
    expect(results).to_have_count(0)


def test_organization_page_shows_breadcrumb_figures_and_subordinates(page, site):
    # given
    sign_in_to_tree(page, site.url, "office")
    page.locator("#org-q").fill("新城区")
    # when
    page.get_by_test_id("search-results").get_by_role("link", name="中共新城区委员会").click()
    # then
    expect(page.get_by_role("heading", name="中共新城区委员会")).to_be_visible()
    expect(page.get_by_test_id("breadcrumb").get_by_role("listitem")).to_have_text(
        ["党组织", "中共内蒙古自治区委员会", "中共呼和浩特市委员会", "中共新城区委员会"]
    )
    figures = page.get_by_test_id("figures")
    expect(figures).to_contain_text("党组织总数")
    expect(figures.locator(".ml-card-figure").first).to_have_text("4")
    expect(page.get_by_role("link", name="中共保合少镇委员会")).to_be_visible()
    # when: up through the breadcrumb
    page.get_by_test_id("breadcrumb").get_by_role("link", name="中共呼和浩特市委员会").click()
    # then
    expect(page.get_by_role("heading", name="中共呼和浩特市委员会")).to_be_visible()
    expect(figures.locator(".ml-card-figure").first).to_have_text("7")


def test_a_branch_page_says_it_has_no_subordinates(page, site):
    # given
    sign_in(page, site.url, "office")
    # when
    page.goto(f"{site.url}/orgs/{site.tree.village_a1.pk}/")
    # then
    expect(page.get_by_role("heading", name="中共古路板村支部委员会")).to_be_visible()
    expect(page.get_by_text("该党组织没有下级组织。")).to_be_visible()


def test_a_user_scoped_to_a_branch_sees_only_that_branch(page, site, make_user):
    # given
    make_user("org_admin", site.tree.village_a1, "this_org", username="secretary")
    # when
    sign_in_to_tree(page, site.url, "secretary")
    # then
    tree = page.get_by_test_id("org-tree")
    expect(tree.get_by_role("link")).to_have_text(["中共古路板村支部委员会"])
    page.locator("#org-q").fill("中共")
    expect(page.get_by_test_id("search-results").get_by_role("link")).to_have_text(
        ["中共古路板村支部委员会"]
    )


# Language


def test_switching_to_english_and_back(page, site):
    # given
    sign_in_to_tree(page, site.url, "office")
    # when
    page.get_by_role("button", name="English").click()
    # then
    expect(page.get_by_role("heading", name="Organization tree")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # when: the choice sticks across pages, and htmx fragments follow it
    page.get_by_test_id("org-tree").get_by_role("link", name="中共内蒙古自治区委员会").click()
    # then
    expect(page.get_by_role("heading", name="Subordinate organizations")).to_be_visible()
    expect(page.get_by_test_id("figures")).to_contain_text("Organizations in all")
    # when
    page.get_by_role("button", name="简体中文").click()
    # then
    expect(page.get_by_role("heading", name="下级党组织")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


# A phone


def test_on_a_phone_the_menu_collapses_and_the_tree_works(phone, site):
    # given
    page = phone
    sign_in_to_tree(page, site.url, "office")
    toggler = page.get_by_role("button", name="菜单")
    # then: the menu hides behind the toggler
    expect(toggler).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_hidden()
    # when
    toggler.click()
    # then: once the menu has slid open (Bootstrap ignores a toggle while it slides)
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    toggler.click()
    expect(page.get_by_role("button", name="退出")).to_be_hidden()
    # when: the tree opens on a tap
    page.locator('details[data-org="150000000000"] > summary').tap(position={"x": 6, "y": 10})
    # then
    expect(page.get_by_role("link", name="中共呼和浩特市委员会")).to_be_visible()
    # and nothing is wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # when: an organization page
    page.get_by_role("link", name="中共呼和浩特市委员会").tap()
    # then
    expect(page.get_by_test_id("figures")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # when: the audit log, a wide table
    page.goto(f"{site.url}/access/audit/")
    # then: it scrolls inside its card, not the page
    expect(page.get_by_role("heading", name="操作日志")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
