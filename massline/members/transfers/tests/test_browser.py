"""A transfer (组织关系转接) from start to end in Debian's Chromium, as three people do it in
three browsers: the member's branch requests it from the member's page (choosing the receiving
branch from the suggestions); the county's administrator, over the branch's superior
committee, approves it for the sending side and so numbers the introduction letter; the
receiving prefecture's administrator finds it waiting, types the letter's number (a wrong one
first), approves it, and finds the member in their roster, where the sending side no longer
does. Console errors, uncaught exceptions and CSP violations fail the test (the organization
journeys' page fixture). `pytest -m browser`; with MASSLINE_SHOTS=<folder>, the pages and the
letter's first page are saved there as PNG (desktop and 360 px)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from massline.members.models import Member, Transfer, TransferStatus
from massline.members.tests.test_views import add
from massline.testing.browser import BROWSER, DESKTOP, NARROW, expect, open_page, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = BROWSER


@pytest.fixture
def sender_page(browser) -> Iterator[Page]:
    yield from open_page(browser, viewport=DESKTOP)


@pytest.fixture
def receiver_page(browser) -> Iterator[Page]:
    yield from open_page(browser, viewport=DESKTOP)


@pytest.fixture
def committee_page(browser) -> Iterator[Page]:
    yield from open_page(browser, viewport=DESKTOP)


def shot(page: Page, name: str) -> None:
    """Save the whole page when MASSLINE_SHOTS names a folder (to look at, not to compare)."""
    folder = os.environ.get("MASSLINE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def shot_pdf(page: Page, url: str, name: str) -> bytes:
    """The PDF at `url` fetched with the page's session; its first page saved as PNG when
    MASSLINE_SHOTS names a folder."""
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    body = response.body()
    folder = os.environ.get("MASSLINE_SHOTS")
    if folder:
        import pypdfium2

        pdf = pypdfium2.PdfDocument(body)
        try:
            pdf[0].render(scale=2).to_pil().save(Path(folder) / f"{name}.png")
        finally:
            pdf.close()
    return body


@pytest.fixture
def site(transactional_db, tree, make_user, live_server) -> SimpleNamespace:
    """A member of a village branch of 新城区, committed for the live server; the county's
    administrator (the sending side) and 包头市's (the receiving side)."""
    member, _ = add(tree.village_a1, "张国华", 1)
    make_user("org_admin", tree.village_a1, username="branch")
    make_user("org_admin", tree.county_a1, username="sender")
    make_user("org_admin", tree.pref_b, username="receiver")
    return SimpleNamespace(url=live_server.url, tree=tree, member=member)


def open_nav(page: Page, name: str) -> None:
    page.locator("#main-nav").get_by_role("link", name=name, exact=True).click()


def test_a_transfer_requested_and_approved_by_both_sides_moves_the_member(
    sender_page, committee_page, receiver_page, site
):
    sender, committee, receiver = sender_page, committee_page, receiver_page
    to = site.tree.branch_b1
    # given the member's branch, on the member's page
    sign_in(sender, site.url, "branch")
    open_nav(sender, "党员")
    sender.get_by_test_id("member-table").get_by_role("link", name="张国华").click()
    expect(sender.get_by_role("heading", name="张国华")).to_be_visible()
    # when a transfer is requested, the receiving branch chosen from the suggestions
    sender.get_by_test_id("member-transfers").get_by_role("link", name="转接组织关系").click()
    field = sender.get_by_label("接收组织（编码或名称）")
    field.press_sequentially("东河区财政局")
    suggestion = sender.locator("#org-options option")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_have_attribute("value", f"{to.code} {to.name}")
    field.fill(suggestion.get_attribute("value") or "")
    sender.get_by_label("事由").fill("工作调动到包头市")
    sender.get_by_role("button", name="提交转接申请").click()
    # then the transfer's page: it waits for the branch's superior committee; the branch may
    # only withdraw it
    expect(sender.get_by_text("已发起转接申请。")).to_be_visible()
    expect(sender.get_by_test_id("status")).to_have_text("等待转出方审批")
    expect(sender.get_by_test_id("turn")).to_contain_text("转出支部的上级党委 · 中共保合少镇委员会")
    expect(sender).to_have_url(re.compile(r"/members/transfers/\d+/$"))
    expect(sender.get_by_test_id("actions").get_by_role("button")).to_have_text(["撤回申请"])
    transfer_url = sender.url
    shot(sender, "detail-branch-desktop")

    # given the county's administrator, over the committee, in another browser
    sign_in(committee, site.url, "sender")
    open_nav(committee, "组织关系转接")
    committee.get_by_test_id("transfer-table").get_by_role("link", name="张国华").click()
    # when they approve it for the sending side, with the month the dues are paid up to
    actions = committee.get_by_test_id("actions")
    actions.get_by_label("党费交至（月份，选填）").fill("2026-11")
    actions.get_by_label("意见（选填）").fill("同意")
    shot(committee, "detail-committee-desktop")
    actions.get_by_role("button", name="同意转出").click()
    # then waiting for the receiving side, with the letter's number and the letter to print
    expect(committee.get_by_text("已同意转出，等待接收方审批。")).to_be_visible()
    expect(committee.get_by_test_id("status")).to_have_text("等待接收方审批")
    number = committee.get_by_test_id("letter-no").inner_text()
    assert re.fullmatch(r"\d{4}-150102-000001", number)
    expect(committee.get_by_test_id("letter-pdf")).to_have_text("打印介绍信（PDF）")
    letter = shot_pdf(committee, f"{transfer_url}letter.pdf", "letter-pdf-page1")
    assert letter.startswith(b"%PDF")
    shot(committee, "detail-committee-approved-desktop")

    # given the receiving side, in a third browser, on the transfers' list
    sign_in(receiver, site.url, "receiver")
    open_nav(receiver, "组织关系转接")
    expect(receiver.get_by_test_id("boxes").get_by_role("link", name="待我办理")).to_have_class(
        re.compile(r"\bactive\b")
    )
    row = receiver.get_by_test_id("transfer-table").get_by_role("row").filter(has_text="张国华")
    expect(row).to_contain_text(site.tree.village_a1.name)
    expect(row).to_contain_text(to.name)
    shot(receiver, "list-receiver-desktop")
    # when they open it: no number on their page; a wrong number typed is refused
    row.get_by_role("link", name="张国华").click()
    expect(receiver.get_by_test_id("letter-no")).to_have_count(0)
    actions = receiver.get_by_test_id("actions")
    actions.get_by_label("党员带来的介绍信编号").fill("2026-150102-999999")
    actions.get_by_role("button", name="同意接收").click()
    expect(receiver.get_by_test_id("error")).to_contain_text("不是本次转接的介绍信编号")
    expect(receiver.get_by_test_id("status")).to_have_text("等待接收方审批")
    shot(receiver, "detail-receiver-wrong-number-desktop")
    # and then the letter's number, as the member's letter reads
    actions = receiver.get_by_test_id("actions")
    actions.get_by_label("党员带来的介绍信编号").fill(number)
    actions.get_by_role("button", name="同意接收").click()
    # then done, the member in the receiving branch
    expect(receiver.get_by_text(f"转接完成：张国华 已转入 {to.name}。")).to_be_visible()
    expect(receiver.get_by_test_id("status")).to_have_text("已完成")
    steps = receiver.get_by_test_id("steps")
    expect(steps.get_by_role("listitem")).to_have_count(3)
    expect(steps).to_contain_text("branch")
    expect(steps).to_contain_text("sender")
    expect(steps).to_contain_text("receiver")
    shot(receiver, "detail-done-desktop")
    receiver.get_by_role("heading").get_by_role("link", name="张国华").click()
    expect(receiver.get_by_role("heading", name="张国华")).to_be_visible()
    expect(receiver.get_by_text(to.name).first).to_be_visible()
    expect(receiver.get_by_test_id("history")).to_contain_text("组织关系转出")
    open_nav(receiver, "党员")
    expect(receiver.get_by_test_id("member-table").get_by_role("link")).to_have_text(["张国华"])

    # and the sending side no longer has the member in its roster; the transfer is closed
    open_nav(committee, "党员")
    expect(committee.get_by_test_id("member-table")).to_have_count(0)
    open_nav(committee, "组织关系转接")
    committee.get_by_test_id("boxes").get_by_role("link", name="待我办理").click()
    expect(committee.get_by_test_id("transfer-table")).to_have_count(0)
    # and the county's page counts it as done this year
    committee.goto(f"{site.url}/orgs/{site.tree.county_a1.pk}/")
    figures = committee.get_by_test_id("other-figures")
    expect(figures.locator('[data-metric="transfers.out_done_year"]')).to_have_text("1")
    expect(figures.locator('[data-metric="transfers.out_open"]')).to_have_text("0")
    shot(committee, "org-county-desktop")

    member = Member.objects.select_related("org").get(pk=site.member.pk)
    assert member.org == to and member.org_path == to.path
    transfer = Transfer.objects.get(member=member)
    assert transfer.status == TransferStatus.DONE and transfer.letter_no == number
    assert [s.actor.username for s in transfer.steps.select_related("actor")] == [
        "branch",
        "sender",
        "receiver",
    ]


def test_withdrawing_asks_for_confirmation_and_pages_fit_360_px(narrow_page, site):
    page = narrow_page
    # given the branch's request, on a 360 px phone
    sign_in(page, site.url, "branch")
    page.goto(f"{site.url}/members/{site.member.pk}/transfer/")
    page.get_by_label("接收组织（编码或名称）").fill(site.tree.branch_b1.code)
    page.get_by_label("事由").fill("随迁")
    shot(page, "request-branch-360")
    page.get_by_role("button", name="提交转接申请").click()
    expect(page.get_by_test_id("status")).to_have_text("等待转出方审批")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    # when withdrawing without ticking the box, the browser keeps the form on the page
    actions = page.get_by_test_id("actions")
    actions.get_by_role("button", name="撤回申请").click()
    expect(page.get_by_test_id("status")).to_have_text("等待转出方审批")
    shot(page, "detail-branch-360")
    # and once ticked, it is withdrawn
    actions.get_by_label("确认撤回此转接申请，撤回后不能恢复。").check()
    actions.get_by_role("button", name="撤回申请").click()
    expect(page.get_by_test_id("status")).to_have_text("已撤回")
    assert Transfer.objects.get(member=site.member).status == TransferStatus.WITHDRAWN
    page.goto(f"{site.url}/members/transfers/?box=all")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    shot(page, "list-branch-360")
    page.goto(f"{site.url}/orgs/{site.tree.village_a1.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    shot(page, "org-village-360")
