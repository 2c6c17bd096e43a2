"""The poster page in a real browser (Chromium): an organization's administrator sees the
preview drawn, at desktop size and on a 360 px phone without sideways scrolling, and
downloads the PDF. The page watcher fails on any content security policy violation or
console error."""

from __future__ import annotations

import re

import pytest

from massline.testing.browser import BROWSER, NARROW, expect, sign_in

pytestmark = BROWSER


@pytest.fixture
def site(tree, make_user, live_server, settings):
    settings.PUBLIC_URL = "https://yijian.example.gov.cn"
    make_user("org_admin", tree.county_a1, username="secretary")
    return live_server.url


@pytest.mark.parametrize("size", ["page", "narrow_page"])
def test_the_poster_is_previewed_and_downloaded(request, size, site, tree, tmp_path):
    page = request.getfixturevalue(size)
    org = tree.village_a1
    sign_in(page, site, "secretary")
    page.goto(f"{site}/opinions/poster/{org.pk}/")
    expect(page.get_by_role("heading", name=re.compile(f"意见箱海报.*{org.name}"))).to_be_visible()
    expect(page.get_by_test_id("box-url")).to_have_text(
        f"https://yijian.example.gov.cn/p/o/{org.pk}/"
    )
    preview = page.get_by_test_id("preview")
    expect(preview).to_be_visible()
    page.wait_for_function("document.querySelector('[data-testid=preview]').complete")
    assert preview.evaluate("img => img.naturalWidth") == 1241
    if size == "narrow_page":
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    page.screenshot(path=str(tmp_path / f"poster-{size}.png"), full_page=True)
    # when the PDF is downloaded
    with page.expect_download() as download:
        page.get_by_test_id("download-pdf").click()
    # then
    assert download.value.suggested_filename == "意见箱海报-150102101201.pdf"
    path = tmp_path / "poster.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
