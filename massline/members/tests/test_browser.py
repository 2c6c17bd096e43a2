"""A browser journey through the roster (Debian's Chromium): an organization administrator
signs in, opens the roster, filters it, opens a member, marks them as lost contact and finds
them in the lost-contact register. Console errors, uncaught exceptions and CSP violations
fail the test (the organization journeys' page fixture). Run with `pytest -m browser`."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from massline.members.idnumber import make_id
from massline.members.services import member_create
from massline.testing.browser import BROWSER, PHONE, expect, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER


def _add(org, name: str, seq: int) -> None:
    member_create(
        actor=None,
        org=org,
        name=name,
        gender="",
        ethnicity="01",
        id_number=make_id("150102", dt.date(1985, 4, 2), seq),
        join_date=dt.date(2008, 7, 1),
        status="full",
        category="employed",
        full_date=dt.date(2009, 7, 1),
    )


@pytest.fixture
def site(transactional_db, tree, make_user, live_server) -> SimpleNamespace:
    """Three members of the county's villages, committed for the live server, and the
    county's organization administrator."""
    _add(tree.village_a1, "张国华", 1)
    _add(tree.village_a1, "李秀英", 2)
    _add(tree.village_a2, "巴特尔", 3)
    make_user("org_admin", tree.county_a1, username="county-admin")
    return SimpleNamespace(url=live_server.url, tree=tree)


def _mark_lost_through_the_roster(page: Page, site: SimpleNamespace) -> None:
    # given: signed in, on the roster
    sign_in(page, site.url, "county-admin")
    expect(page).to_have_url(f"{site.url}/")  # the workbench
    menu = page.get_by_role("button", name="菜单")
    if menu.is_visible():  # a phone: the menu is folded away
        menu.click()
        expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.locator("#main-nav").get_by_role("link", name="党员", exact=True).click()
    expect(page.get_by_role("heading", name="党员名册")).to_be_visible()
    table = page.get_by_test_id("member-table")
    expect(table.get_by_role("link")).to_have_count(3)
    # when: filtered by name (on a phone the filters are folded away first)
    page.wait_for_load_state()  # the script that unfolds the filters has run
    toggle = page.get_by_test_id("filters-toggle")
    if toggle.is_visible():
        toggle.click()
        expect(page.get_by_test_id("member-filters")).to_have_class(re.compile(r"\bshow\b"))
    search = page.get_by_label("姓名或身份证号后几位")
    search.fill("李秀")
    search.press("Enter")
    # then
    expect(table.get_by_role("link")).to_have_text(["李秀英"])
    # when: the member's page, and the lost-contact form
    table.get_by_role("link", name="李秀英").click()
    expect(page.get_by_role("heading", name="李秀英")).to_be_visible()
    page.get_by_test_id("member-actions").get_by_role("link", name="登记为失联").click()
    page.get_by_label("失联日期").fill("2024年3月1日")
    page.get_by_label("查找情况").fill("电话停机，已问村委会")
    page.get_by_role("button", name="登记为失联").click()
    # then: back on the member's page, with a message and the badge
    expect(page.get_by_text("已将 李秀英 登记为失联。")).to_be_visible()
    expect(page.get_by_role("heading", name="李秀英")).to_contain_text("失联")
    # when: the lost-contact register
    page.get_by_role("link", name="党员名册").first.click()
    page.get_by_test_id("registers").get_by_role("link", name="失联").click()
    # then: the member, since when, and the notes
    row = page.get_by_test_id("member-table").get_by_role("row").filter(has_text="李秀英")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2024-03-01")
    expect(page.get_by_test_id("member-table").get_by_role("link")).to_have_text(["李秀英"])


def test_an_administrator_marks_a_member_lost_and_finds_them_in_the_register(page, site):
    _mark_lost_through_the_roster(page, site)
    expect(
        page.get_by_test_id("member-table").get_by_role("row").filter(has_text="李秀英")
    ).to_contain_text("电话停机，已问村委会")


def test_the_same_on_a_phone_fits_the_screen(phone, site):
    _mark_lost_through_the_roster(phone, site)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_import_a_roster_dry_run_first(page, site, tmp_path) -> None:
    """Upload a roster with a mistake, read the report, upload the corrected file, import it,
    and find the new member in the roster."""
    from massline.members.roster_import.tests.test_import import row, write_csv

    number = make_id("150102", dt.date(1991, 8, 8), 42)  # even: a woman
    good = row(**{"姓名": "乌云其其格", "性别": "女", "公民身份号码": number,
                  "出生日期": "1991-08-08", "所在党组织编码": site.tree.village_a2.code})  # fmt: skip
    bad = write_csv(tmp_path / "花名册.csv", [{**dict(enumerate(good)), 4: "1991-08-09"}.values()])
    fixed = write_csv(tmp_path / "花名册-改.csv", [good])
    sign_in(page, site.url, "county-admin")
    page.goto(site.url + "/members/import/")
    page.set_input_files("input[name=file]", str(bad))
    page.get_by_role("button", name="检查文件（试导入）").click()
    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("出生日期")
    expect(report).to_contain_text("不一致")
    expect(page.get_by_test_id("import-apply")).to_have_count(0)
    page.get_by_role("link", name="上传修改后的文件").click()
    page.set_input_files("input[name=file]", str(fixed))
    page.get_by_role("button", name="检查文件（试导入）").click()
    page.get_by_test_id("import-apply").click()
    expect(page.get_by_test_id("import-done")).to_be_visible()
    page.get_by_role("link", name="打开花名册").click()
    expect(page.get_by_test_id("member-table")).to_contain_text("乌云其其格")
