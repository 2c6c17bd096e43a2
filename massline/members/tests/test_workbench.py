"""What the member registry adds to the workbench: transfers waiting for the user's side
(the list's "waiting for me" box, counted up to 100) and the roster's make-up from the
counters."""

from __future__ import annotations

import datetime as dt
import json
import re

from massline.conftest import login_client
from massline.members.services import member_mark_lost
from massline.members.transfers.services import transfer_request
from massline.members.transfers.tests.test_services import add_member, approve_sending
from massline.members.workbench import roster_block, transfers_waiting_count
from massline.notices.workbench.registry import Scope


def todo_count(page: str, code: str) -> str:
    found = re.search(rf'data-todo="{re.escape(code)}".*?badge[^>]*>([^<]*)<', page, re.S)
    return found.group(1) if found else ""


def test_transfers_waiting_for_the_users_side_are_a_todo(tree, make_user):
    # given a transfer from village_a1 to branch_b1, the sending side's turn
    member = add_member(tree.village_a1, 1)
    branch = make_user("org_admin", tree.village_a1)
    sender = make_user("org_admin", tree.county_a1)
    receiver = make_user("org_admin", tree.pref_b)
    viewer = make_user("supervisor", tree.root)
    transfer = transfer_request(
        actor=branch, member=member, to_org=tree.branch_b1, reason="工作调动"
    )
    # then it waits for the sending side, not for the receiver nor a viewer
    assert transfers_waiting_count(sender) == 1
    assert transfers_waiting_count(receiver) == 0
    assert transfers_waiting_count(viewer) == 0
    page = login_client(sender).get("/").content.decode()
    assert todo_count(page, "members.transfers_waiting") == "1"
    assert "/members/transfers/?box=waiting" in page
    # when the sending side approves, it waits for the receiving side
    approve_sending(actor=sender, transfer=transfer)
    assert transfers_waiting_count(sender) == 0
    assert transfers_waiting_count(receiver) == 1


def test_the_rosters_make_up_comes_from_the_counters(tree, make_user):
    add_member(tree.village_a1, 1)
    add_member(tree.village_a1, 2, status="probationary", name="李红")
    lost = add_member(tree.village_a2, 3, name="王强")
    member_mark_lost(actor=None, member=lost, since=dt.date(2024, 1, 1))
    user = make_user("campaign_office", tree.root)
    block = roster_block(Scope(user=user, org=tree.root, may_see_figures=True))
    status, mobility, contact = (c["option"]["series"][0]["data"] for c in block["charts"])
    assert block["total"] == 3
    assert {d["name"]: d["value"] for d in status} == {"正式党员": 2, "预备党员": 1}
    assert {d["name"]: d["value"] for d in mobility} == {"非流动党员": 3}
    assert {d["name"]: d["value"] for d in contact} == {"保持联系": 2, "失联党员": 1}
    # drawn by static/js/charts.js from JSON in the page (no inline script)
    page = login_client(user).get("/").content.decode()
    assert '<script id="roster-chart-0" type="application/json">' in page
    json.loads(
        re.search(r'id="roster-chart-0" type="application/json">(.*?)</script>', page).group(1)
    )
    assert "vendor/echarts/echarts.min.js" in page


def test_no_members_no_chart(tree, make_user):
    user = make_user("campaign_office", tree.root)
    assert roster_block(Scope(user=user, org=tree.root, may_see_figures=True)) == {
        "charts": [],
        "total": 0,
    }
    assert roster_block(Scope(user=user, org=tree.root, may_see_figures=False)) is None
    assert "这里还没有党员" in login_client(user).get("/").content.decode()
