"""A transfer (组织关系转接) from start to end in Debian's Chromium, as two people do it in two
browsers: the sending county's administrator requests it from the member's page (choosing the
receiving branch from the suggestions) and approves it for the sending side; the receiving
prefecture's administrator finds it waiting, approves it, and finds the member in their
roster, where the sender no longer does. Console errors, uncaught exceptions and CSP
violations fail the test (the organization journeys' page fixture). `pytest -m browser`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from massline.members.models import Member, Transfer, TransferStatus
from massline.members.tests.test_views import add
from massline.orgs.tests import test_browser as ui  # skips this module too without Chromium

pytestmark = pytest.mark.browser
sync_api = ui.sync_api
expect = ui.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    # As in the organization journeys: the live server runs in its own thread, so Django's
    # guard against ORM calls beside Playwright's asyncio loop is lifted.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=ui.CHROMIUM, args=ui.CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def sender_page(browser) -> Iterator[sync_api.Page]:
    yield from ui._open_page(browser, viewport=ui.DESKTOP)


@pytest.fixture
def receiver_page(browser) -> Iterator[sync_api.Page]:
    yield from ui._open_page(browser, viewport=ui.DESKTOP)


@pytest.fixture
def site(transactional_db, tree, make_user, live_server) -> SimpleNamespace:
    """A member of a village branch of 新城区, committed for the live server; the county's
    administrator (the sending side) and 包头市's (the receiving side)."""
    member, _ = add(tree.village_a1, "张国华", 1)
    make_user("org_admin", tree.county_a1, username="sender")
    make_user("org_admin", tree.pref_b, username="receiver")
    return SimpleNamespace(url=live_server.url, tree=tree, member=member)


def open_nav(page: sync_api.Page, name: str) -> None:
    page.locator("#main-nav").get_by_role("link", name=name, exact=True).click()


def test_a_transfer_requested_and_approved_by_both_sides_moves_the_member(
    sender_page, receiver_page, site
):
    sender, receiver, to = sender_page, receiver_page, site.tree.branch_b1
    # given: the sending side, on the member's page
    ui.sign_in(sender, site.url, "sender")
    open_nav(sender, "党员")
    sender.get_by_test_id("member-table").get_by_role("link", name="张国华").click()
    expect(sender.get_by_role("heading", name="张国华")).to_be_visible()
    # when: a transfer is requested, the receiving branch chosen from the suggestions
    sender.get_by_test_id("member-transfers").get_by_role("link", name="转接组织关系").click()
    field = sender.get_by_label("接收组织（编码或名称）")
    field.press_sequentially("东河区财政局")
    suggestion = sender.locator("#org-options option")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_have_attribute("value", f"{to.code} {to.name}")
    field.fill(suggestion.get_attribute("value") or "")
    sender.get_by_label("事由").fill("工作调动到包头市")
    sender.get_by_role("button", name="提交转接申请").click()
    # then: the transfer's page, the sending side's turn
    expect(sender.get_by_text("已发起转接申请。")).to_be_visible()
    expect(sender.get_by_test_id("status")).to_have_text("等待转出方审批")
    expect(sender).to_have_url(re.compile(r"/members/transfers/\d+/$"))
    # when: the sending side approves
    actions = sender.get_by_test_id("actions")
    actions.get_by_label("意见（选填）").fill("同意")
    actions.get_by_role("button", name="同意转出").click()
    # then: waiting for the receiving side; the sender may only withdraw it now
    expect(sender.get_by_text("已同意转出，等待接收方审批。")).to_be_visible()
    expect(sender.get_by_test_id("status")).to_have_text("等待接收方审批")
    expect(sender.get_by_test_id("actions").get_by_role("button")).to_have_text(["撤回申请"])

    # given: the receiving side, in another browser, on the transfers' list
    ui.sign_in(receiver, site.url, "receiver")
    open_nav(receiver, "组织关系转接")
    expect(receiver.get_by_test_id("boxes").get_by_role("link", name="待我办理")).to_have_class(
        re.compile(r"\bactive\b")
    )
    row = receiver.get_by_test_id("transfer-table").get_by_role("row").filter(has_text="张国华")
    expect(row).to_contain_text(site.tree.village_a1.name)
    expect(row).to_contain_text(to.name)
    # when: they open it and approve
    row.get_by_role("link", name="张国华").click()
    receiver.get_by_test_id("actions").get_by_role("button", name="同意接收").click()
    # then: done, the member in the receiving branch
    expect(receiver.get_by_text(f"转接完成：张国华 已转入 {to.name}。")).to_be_visible()
    expect(receiver.get_by_test_id("status")).to_have_text("已完成")
    steps = receiver.get_by_test_id("steps")
    expect(steps.get_by_role("listitem")).to_have_count(3)
    expect(steps).to_contain_text("sender")
    expect(steps).to_contain_text("receiver")
    receiver.get_by_role("heading").get_by_role("link", name="张国华").click()
    expect(receiver.get_by_role("heading", name="张国华")).to_be_visible()
    expect(receiver.get_by_text(to.name).first).to_be_visible()
    expect(receiver.get_by_test_id("history")).to_contain_text("组织关系转出")
    open_nav(receiver, "党员")
    expect(receiver.get_by_test_id("member-table").get_by_role("link")).to_have_text(["张国华"])

    # and the sending side no longer has the member in its roster; the transfer is closed
    open_nav(sender, "党员")
    expect(sender.get_by_test_id("member-table")).to_have_count(0)
    open_nav(sender, "组织关系转接")
    sender.get_by_test_id("boxes").get_by_role("link", name="待我办理").click()
    expect(sender.get_by_test_id("transfer-table")).to_have_count(0)

    member = Member.objects.select_related("org").get(pk=site.member.pk)
    assert member.org == to and member.org_path == to.path
    transfer = Transfer.objects.get(member=member)
    assert transfer.status == TransferStatus.DONE
    assert [s.actor.username for s in transfer.steps.select_related("actor")] == [
        "sender",
        "sender",
        "receiver",
    ]
