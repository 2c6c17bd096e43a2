"""The three-rates dashboard in a real browser (Chromium): the gauges and the ranking draw
under the content security policy (the page watcher fails on any violation or console error),
at desktop size and on a 360 px phone without sideways scrolling of the page, and a child's
link goes down a level."""

from __future__ import annotations

import re

import pytest

from massline.testing.browser import BROWSER, NARROW, expect, sign_in

from .rates_data import a_village_fix, evaluate, responses

pytestmark = BROWSER


@pytest.fixture
def site(tree, make_user, live_server):
    make_user("supervisor", tree.county_a1, username="watcher")
    evaluate(a_village_fix(tree.village_a1), 6, 4, 2)
    evaluate(a_village_fix(tree.village_a2), 3)
    responses(tree.village_a1, in_time=8, late=2)
    return live_server.url


@pytest.mark.parametrize("size", ["page", "narrow_page"])
def test_the_gauges_draw_and_a_child_goes_down_a_level(request, size, site, tree):
    page = request.getfixturevalue(size)
    sign_in(page, site, "watcher")
    page.goto(f"{site}/rectification/orgs/{tree.town_a1.pk}/rates/")
    expect(page.get_by_role("heading", name=re.compile("三率"))).to_be_visible()
    expect(page.locator(".ml-chart canvas")).to_have_count(4)  # three gauges, the ranking
    expect(page.get_by_test_id("rates-too-small")).to_contain_text(tree.village_a2.name)
    if size == "narrow_page":
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    page.get_by_test_id("rates-ranked").get_by_role("link", name=tree.village_a1.name).click()
    expect(page.get_by_role("heading", name=re.compile(tree.village_a1.name))).to_be_visible()
    expect(page.get_by_test_id("up-link")).to_be_visible()
