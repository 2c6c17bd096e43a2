"""The statistics page in a real browser (Chromium): the three charts draw under the content
security policy (the page watcher fails on any violation or console error), at desktop size
and on a 360 px phone without sideways scrolling, and a child's link goes down a level."""

from __future__ import annotations

import os
import re

import pytest

from massline.opinions.models import OpinionCategory
from massline.testing.browser import BROWSER, NARROW, expect, sign_in

from .dispatch_fixtures import make_opinion

pytestmark = BROWSER


@pytest.fixture
def site(tree, make_user, live_server):
    make_user("campaign_office", tree.county_a1, username="office")
    long_title = "对贯彻落实党中央决策部署置若罔闻、应付了事、弄虚作假、阳奉阴违的问题"
    for i in range(8):
        cat = OpinionCategory.objects.create(source="local", code=f"c{i}", title=f"{long_title}{i}")
        make_opinion(tree.village_a1, category=cat, channel="forum" if i % 2 else "box")
    make_opinion(tree.town_a1, status="dispatched", lead_org=tree.town_a1, overdue=True)
    return live_server.url


@pytest.mark.parametrize("size", ["page", "narrow_page"])
def test_the_charts_draw_and_a_child_goes_down_a_level(request, size, site, tree, tmp_path):
    page = request.getfixturevalue(size)
    sign_in(page, site, "office")
    page.goto(f"{site}/opinions/orgs/{tree.county_a1.pk}/")
    page.get_by_test_id("stats-link").click()
    expect(page.get_by_role("heading", name=re.compile("意见统计"))).to_be_visible()
    expect(page.locator(".ml-chart canvas")).to_have_count(3)
    expect(page.get_by_test_id("stats-totals")).to_contain_text("9")
    if size == "narrow_page":
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    shots = os.environ.get("MASSLINE_SCREENSHOTS")
    page.screenshot(path=f"{shots or tmp_path}/opinion-stats-{size}.png", full_page=True)
    # when the town is followed
    page.get_by_test_id("stats-children").get_by_role("link", name=tree.town_a1.name).click()
    expect(page.get_by_role("heading", name=re.compile(tree.town_a1.name))).to_be_visible()
    expect(page.get_by_test_id("up-link")).to_be_visible()
