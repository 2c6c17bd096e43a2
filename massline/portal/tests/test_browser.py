"""The portal in a real browser (Chromium) on a 360 px phone: a person scans the QR code,
writes an opinion anonymously, writes the receipt code down and follows the opinion with it.
The page watcher fails on any content security policy violation or console error; nothing
may be wider than the screen."""

from __future__ import annotations

import pytest

from massline.testing.browser import BROWSER, expect

pytestmark = BROWSER


@pytest.fixture
def categories(transactional_db):
    """A transactional test empties every table after it: seed the checklists again."""
    from importlib import import_module

    from django.apps import apps

    import_module("massline.opinions.migrations.0002_categories").seed(apps, None)


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide"


def test_a_person_on_a_phone_sends_an_opinion_and_follows_it(
    narrow_page, tree, categories, live_server
):
    page = narrow_page
    # given: the QR code's address
    page.goto(f"{live_server.url}/p/o/{tree.village_a1.pk}/")
    expect(page.get_by_test_id("org-name")).to_have_text(tree.village_a1.name)
    fits(page)
    # when: an anonymous opinion with a category
    page.get_by_label("您的意见").fill("村口的路灯坏了三个月，晚上出行不便 😟")
    page.get_by_label("意见涉及哪方面？（可不选）").select_option(label="形式主义")
    page.get_by_role("button", name="提交").click()
    # then: the receipt, in four groups, fits the screen
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_be_visible()
    code = receipt.inner_text().replace("\n", "").replace(" ", "")
    assert len(code.replace("-", "")) == 16
    fits(page)
    # when: the person follows it with the code typed in lower case with spaces
    page.get_by_role("link", name="查询意见").first.click()
    page.get_by_label("回执码").fill(code.replace("-", " ").lower())
    page.get_by_role("button", name="查询").click()
    # then
    expect(page.get_by_test_id("status")).to_have_text("已收到，等待办理")
    fits(page)


def test_a_named_opinion_without_contact_is_refused_at_its_field(
    narrow_page, tree, categories, live_server
):
    page = narrow_page
    page.goto(f"{live_server.url}/p/o/{tree.village_a1.pk}/")
    page.get_by_label("您的意见").fill("希望增加公交班次")
    page.get_by_label("实名：我留下联系方式").check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("error-contact")).to_be_visible()
    fits(page)
