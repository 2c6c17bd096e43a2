"""Transfer pages through the test client: the list and its tabs, the detail page with the
buttons each viewer may use, each step by POST (allowed, 403, 404, stale page), the two
request forms, the organization suggestions, the member page and the overdue badge."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from massline.conftest import login_client
from massline.core.models import AuditEvent
from massline.members.idnumber import make_id
from massline.members.models import Member, Transfer, TransferStatus
from massline.members.services import member_mark_lost
from massline.members.transfers.services import transfer_request
from massline.orgs import counters

from .test_services import add_member, approve_sending


@pytest.fixture
def w(tree, make_user):
    class W:
        pass

    s = W()
    s.tree = tree
    s.member = add_member(tree.village_a1, 1)
    s.number = make_id("150102", dt.date(1980, 5, 17), 1)
    s.branch = make_user("org_admin", tree.village_a1)  # the member's branch
    s.sender = make_user("org_admin", tree.county_a1)  # over the branch's committee
    s.receiver = make_user("org_admin", tree.pref_b)
    s.outsider = make_user("org_admin", tree.county_a2)
    s.viewer = make_user("supervisor", tree.root)
    return s


def start(w, actor=None):
    return transfer_request(
        actor=actor or w.branch, member=w.member, to_org=w.tree.branch_b1, reason="工作调动"
    )


def names(response):
    return [t.member.name for t in response.context["transfers"]]


def test_anonymous_users_are_sent_to_sign_in(w):
    from django.test import Client

    t = start(w)
    for url in ("/members/transfers/", f"/members/transfers/{t.pk}/", "/members/transfers/new/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_tabs_of_the_list(w):
    t = start(w)
    sender, receiver = login_client(w.sender), login_client(w.receiver)
    assert names(sender.get("/members/transfers/")) == ["张国华"]  # waiting for me
    assert names(receiver.get("/members/transfers/")) == []
    assert names(receiver.get("/members/transfers/?box=incoming")) == ["张国华"]
    assert names(receiver.get("/members/transfers/?box=outgoing")) == []
    assert names(sender.get("/members/transfers/?box=outgoing")) == ["张国华"]
    assert names(login_client(w.outsider).get("/members/transfers/?box=all")) == []
    approve_sending(actor=w.sender, transfer=t)
    assert names(sender.get("/members/transfers/")) == []
    page = receiver.get("/members/transfers/")
    assert names(page) == ["张国华"]
    assert "等待接收方审批" in page.content.decode()
    assert names(receiver.get("/members/transfers/?box=all&status=closed")) == []
    assert names(receiver.get("/members/transfers/?box=all&status=awaiting_receiver")) == ["张国华"]
    # A viewer without the transfer permission starts on "all" and has no waiting box items.
    viewer = login_client(w.viewer)
    assert viewer.get("/members/transfers/").context["box"] == "all"
    assert names(viewer.get("/members/transfers/?box=waiting")) == []


def test_overdue_badge_and_filter(w, settings):
    settings.TRANSFER_OVERDUE_DAYS = 30
    t = start(w)
    client = login_client(w.sender)
    assert names(client.get("/members/transfers/?box=all&overdue=1")) == []
    assert 'data-testid="overdue"' not in client.get("/members/transfers/").content.decode()
    Transfer.objects.filter(pk=t.pk).update(last_step_at=timezone.now() - dt.timedelta(days=31))
    page = client.get("/members/transfers/?box=all&overdue=1")
    assert names(page) == ["张国华"]
    assert 'data-testid="overdue"' in page.content.decode()
    assert 'data-testid="overdue"' in client.get(f"/members/transfers/{t.pk}/").content.decode()


def test_detail_access_and_buttons(w):
    t = start(w)
    url = f"/members/transfers/{t.pk}/"
    assert login_client(w.outsider).get(url).status_code == 404
    assert login_client(w.sender).get("/members/transfers/999999/").status_code == 404
    page = login_client(w.sender).get(url)
    assert page.status_code == 200
    assert page.context["actions"] == ["approve", "send_back", "withdraw"]
    assert "工作调动" in page.content.decode()
    assert w.member.id_masked in page.content.decode()
    assert w.number not in page.content.decode()
    assert login_client(w.receiver).get(url).context["actions"] == []
    viewer_page = login_client(w.viewer).get(url)
    assert viewer_page.status_code == 200 and viewer_page.context["actions"] == []
    assert 'data-testid="actions"' not in viewer_page.content.decode()


def post(client, t, action, note="", status=None, letter_no=None, confirmed="1"):
    """A step's form as the page sends it: by default with the letter's right number (asked
    of the receiving side only) and the confirmation box ticked (asked for withdraw and send
    back only)."""
    now = Transfer.objects.get(pk=t.pk)
    return client.post(
        f"/members/transfers/{t.pk}/{action}/",
        {
            "note": note,
            "status": status or now.status,
            "letter_no": now.letter_no or "" if letter_no is None else letter_no,
            "confirmed": confirmed,
        },
    )


def test_the_whole_way_through_the_pages(w):
    t = start(w)
    sender, receiver = login_client(w.sender), login_client(w.receiver)
    assert post(receiver, t, "approve").status_code == 403  # not the receiver's turn
    assert post(login_client(w.viewer), t, "approve").status_code == 403
    assert post(login_client(w.outsider), t, "approve").status_code == 404
    response = post(sender, t, "approve", "同意转出")
    assert response.status_code == 302 and response["Location"] == f"/members/transfers/{t.pk}/"
    assert Transfer.objects.get(pk=t.pk).status == TransferStatus.AWAITING_RECEIVER
    assert post(sender, t, "approve").status_code == 403  # now the receiver's turn
    response = post(receiver, t, "approve", "同意接收")
    assert response.status_code == 302
    follow = receiver.get(response["Location"])
    assert "已完成" in follow.content.decode()
    assert [s.note for s in follow.context["steps"]] == ["工作调动", "同意转出", "同意接收"]
    assert Member.objects.get(pk=w.member.pk).org == w.tree.branch_b1
    assert counters.rebuild(check_only=True) == []
    # A finished transfer: no buttons, and a step posted anyway is refused with a message.
    assert follow.context["actions"] == []
    refused = post(receiver, t, "withdraw")
    assert refused.status_code == 400
    assert refused.context["error"] == "该转接已经完成。"


def test_send_back_and_withdraw_through_the_pages(w):
    t = start(w)
    sender = login_client(w.sender)
    refused = post(sender, t, "send_back", "")
    assert refused.status_code == 200 and refused.context["error"]  # the form, with its error
    assert post(sender, t, "send_back", "材料不全").status_code == 302
    assert Transfer.objects.get(pk=t.pk).status == TransferStatus.SENT_BACK
    t2 = start(w)
    assert post(sender, t2, "withdraw", "").status_code == 302
    assert Transfer.objects.get(pk=t2.pk).status == TransferStatus.WITHDRAWN
    assert post(sender, t2, "nonsense").status_code == 404


@pytest.mark.parametrize("action", ["withdraw", "send_back"])
def test_withdraw_and_send_back_ask_for_confirmation(w, action):
    # given a transfer waiting for the sending side, and its page
    t = start(w)
    sender = login_client(w.sender)
    page = sender.get(f"/members/transfers/{t.pk}/").content.decode()
    assert f'id="confirm-{action}" required' in page
    # when the step is sent without the box ticked
    refused = post(sender, t, action, "材料不全", confirmed="")
    # then the page asks for it, and nothing changed
    assert refused.status_code == 200
    assert refused.context["error"].startswith("请勾选确认：")
    assert Transfer.objects.get(pk=t.pk).status == TransferStatus.AWAITING_SENDER
    assert t.steps.count() == 1


def test_the_branch_itself_and_the_requester_may_not_approve_on_the_page(w):
    # given a transfer its branch requested, and one the county's administrator requested
    t = start(w)
    branch = login_client(w.branch)
    assert branch.get(f"/members/transfers/{t.pk}/").context["actions"] == ["withdraw"]
    # when the branch approves it for the sending side
    refused = post(branch, t, "approve")
    # then 403 with the reason, nothing changed
    assert refused.status_code == 403
    assert "上级党委（中共保合少镇委员会）" in refused.context["error"]
    post(branch, t, "withdraw")
    own = start(w, w.sender)
    refused = post(login_client(w.sender), own, "approve")
    assert refused.status_code == 403 and "您发起了这项转接" in refused.context["error"]
    assert Transfer.objects.get(pk=own.pk).status == TransferStatus.AWAITING_SENDER
    assert Transfer.objects.get(pk=own.pk).letter_no is None


@pytest.mark.parametrize("typed", ["", "2026-150102-999999", "used"])
def test_the_receiving_page_refuses_a_wrong_or_used_letter_number(w, typed):
    # given a transfer done earlier and one waiting for the receiving side
    earlier_member = add_member(w.tree.village_a2, 2, name="其其格")
    earlier = transfer_request(
        actor=None, member=earlier_member, to_org=w.tree.branch_b1, reason="调动"
    )
    approve_sending(actor=w.sender, transfer=earlier)
    receiver = login_client(w.receiver)
    assert post(receiver, earlier, "approve").status_code == 302
    t = approve_sending(actor=w.sender, transfer=start(w))
    number = Transfer.objects.get(pk=earlier.pk).letter_no if typed == "used" else typed
    # when the receiving side approves with it
    refused = post(receiver, t, "approve", letter_no=number)
    # then the page says what is wrong with the number, and nothing changed
    assert refused.status_code == 200
    assert "介绍信" in refused.context["error"]
    assert Transfer.objects.get(pk=t.pk).status == TransferStatus.AWAITING_RECEIVER
    assert Member.objects.get(pk=w.member.pk).org == w.tree.village_a1


def test_the_letter_number_and_pdf_are_the_sending_sides(w):
    # given a transfer the committee approved
    t = approve_sending(actor=w.sender, transfer=start(w))
    number = Transfer.objects.get(pk=t.pk).letter_no
    url = f"/members/transfers/{t.pk}/letter.pdf"
    # then the sending side sees the number and prints the letter
    page = login_client(w.branch).get(f"/members/transfers/{t.pk}/").content.decode()
    assert number in page and url in page
    pdf = login_client(w.sender).get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and number in pdf["Content-Disposition"]
    # and the receiving side sees neither: it types the number from the paper
    receiving = login_client(w.receiver).get(f"/members/transfers/{t.pk}/").content.decode()
    assert number not in receiving and url not in receiving
    assert 'name="letter_no"' in receiving
    assert login_client(w.receiver).get(url).status_code == 403
    assert login_client(w.outsider).get(url).status_code == 404


def test_a_stale_page_does_not_take_the_next_step(w, make_user):
    both = login_client(make_user("org_admin", w.tree.root))
    t = start(w)
    approve_sending(actor=w.sender, transfer=t)
    # The page showed "waiting for the sending side": approving again must not approve the
    # receiving side by accident.
    response = post(both, t, "approve", status=TransferStatus.AWAITING_SENDER)
    assert response.status_code == 400
    assert Transfer.objects.get(pk=t.pk).status == TransferStatus.AWAITING_RECEIVER


def test_request_from_the_member_page(w):
    url = f"/members/{w.member.pk}/transfer/"
    member_page = login_client(w.sender).get(f"/members/{w.member.pk}/")
    assert url in member_page.content.decode()
    assert url not in login_client(w.viewer).get(f"/members/{w.member.pk}/").content.decode()
    assert login_client(w.viewer).get(url).status_code == 403
    assert login_client(w.receiver).get(url).status_code == 404  # member outside their view
    client = login_client(w.sender)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"to_org": "999999999999", "reason": "x"})
    assert bad.status_code == 200 and bad.context["form"].errors["to_org"]
    same = client.post(url, {"to_org": w.tree.village_a1.code, "reason": "x"})
    assert same.context["form"].errors["to_org"]
    no_reason = client.post(url, {"to_org": w.tree.branch_b1.code, "reason": ""})
    assert no_reason.context["form"].errors["reason"]
    assert not Transfer.objects.exists()
    # The suggestion reads "code name"; either form is accepted.
    response = client.post(
        url, {"to_org": f"{w.tree.branch_b1.code} {w.tree.branch_b1.name}", "reason": "工作调动"}
    )
    t = Transfer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/members/transfers/{t.pk}/"
    assert (t.from_org, t.to_org, t.requested_by) == (w.tree.village_a1, w.tree.branch_b1, w.sender)
    page = client.get(f"/members/{w.member.pk}/")
    assert page.context["open_transfer"] == t
    assert url not in page.content.decode()  # one transfer at a time
    assert f"/members/transfers/{t.pk}/" in page.content.decode()
    again = client.post(url, {"to_org": w.tree.village_a2.code, "reason": "x"})
    assert again.context["form"].errors


def test_no_transfer_button_for_lost_contact_members(w):
    member_mark_lost(actor=None, member=w.member, since=dt.date(2024, 3, 1))
    page = login_client(w.sender).get(f"/members/{w.member.pk}/")
    assert page.context["can_transfer"] is False


def test_the_receiving_side_starts_by_id_number(w):
    client = login_client(w.receiver)
    url = "/members/transfers/new/"
    assert client.get(url).status_code == 200
    assert login_client(w.viewer).get(url).status_code == 403
    name = w.member.name
    base = {"id_number": w.number, "name": name, "to_org": w.tree.branch_b1.code, "reason": "x"}
    wrong = w.number[:-1] + ("0" if w.number[-1] != "0" else "1")
    bad = client.post(url, {**base, "id_number": wrong})
    assert bad.context["form"].errors["id_number"]
    assert wrong not in bad.content.decode().replace(f'value="{wrong}"', "")
    unknown = make_id("150102", dt.date(1981, 1, 1), 9)
    missing = client.post(url, {**base, "id_number": unknown})
    # A real member's number with another name gets the same answer as a number nobody has:
    # the form does not tell who is a member from an ID number alone.
    other_name = client.post(url, {**base, "name": "某某"})
    assert (
        missing.context["form"].errors["id_number"]
        == other_name.context["form"].errors["id_number"]
    )
    # The receiving branch must be in the user's scope, and is checked before the roster.
    outside = client.post(url, {**base, "to_org": w.tree.branch_a2.code})
    assert outside.context["form"].errors["to_org"]
    assert "id_number" not in outside.context["form"].errors
    outside_unknown = client.post(
        url, {**base, "id_number": unknown, "to_org": w.tree.branch_a2.code}
    )
    assert "id_number" not in outside_unknown.context["form"].errors
    assert not Transfer.objects.exists()
    ok = client.post(url, {**base, "name": f" {name} ", "reason": "随迁"})
    t = Transfer.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/members/transfers/{t.pk}/"
    assert t.requested_by == w.receiver and t.status == TransferStatus.AWAITING_SENDER
    # Nowhere the number in clear: audit rows.
    for event in AuditEvent.objects.filter(action__startswith="members.transfer"):
        assert w.number not in str(event.before) + str(event.after) + event.target_label


def test_org_suggestions(w):
    client = login_client(w.sender)
    response = client.get("/members/transfers/orgs/", {"to_org": "财政局"})
    options = re.findall(r'<option value="([^"]+)"', response.content.decode())
    # Branches anywhere in the tree, by name; committees are not offered.
    assert sorted(o.split(" ")[0] for o in options) == sorted(
        [w.tree.branch_a2.code, w.tree.branch_b1.code]
    )
    by_code = client.get("/members/transfers/orgs/", {"to_org": "150102101"})
    assert len(re.findall("<option", by_code.content.decode())) == 2  # the two villages
    mine = login_client(w.receiver).get(
        "/members/transfers/orgs/", {"to_org": "财政局", "mine": "1"}
    )
    assert re.findall(r'<option value="(\S+)', mine.content.decode()) == [w.tree.branch_b1.code]
    assert login_client(w.viewer).get("/members/transfers/orgs/?to_org=xx").status_code == 403


def test_nav_entry(w):
    page = login_client(w.viewer).get("/members/transfers/")
    assert 'href="/members/transfers/"' in page.content.decode()


# The API: /api/v1/transfers


def test_api_list_and_get(w):
    from massline.conftest import api_client

    t = start(w)
    sender, receiver = api_client(w.sender), api_client(w.receiver)
    page = sender.get("/api/v1/transfers?box=waiting").json()
    assert [i["id"] for i in page["items"]] == [t.pk] and page["next_after"] is None
    item = page["items"][0]
    assert item["id_number"] == w.member.id_masked and w.number not in str(page)
    assert (item["from_org"], item["to_org"], item["status"], item["overdue"]) == (
        w.tree.village_a1.code,
        w.tree.branch_b1.code,
        "awaiting_sender",
        False,
    )
    assert receiver.get("/api/v1/transfers?box=waiting").json()["items"] == []
    assert [i["id"] for i in receiver.get("/api/v1/transfers?box=incoming").json()["items"]] == [
        t.pk
    ]
    assert api_client(w.outsider).get("/api/v1/transfers").json()["items"] == []
    assert api_client(w.outsider).get(f"/api/v1/transfers/{t.pk}").status_code == 404
    detail = sender.get(f"/api/v1/transfers/{t.pk}").json()
    assert detail["actions"] == ["approve", "send_back", "withdraw"]
    assert [s["kind"] for s in detail["steps"]] == ["requested"]
    assert sender.get("/api/v1/transfers?status=nonsense").status_code == 400


def test_api_request_and_steps(w):
    from massline.conftest import api_client

    branch, sender, receiver = api_client(w.branch), api_client(w.sender), api_client(w.receiver)
    body = {"member": w.member.pk, "to_org": w.tree.branch_b1.code, "reason": "工作调动"}
    assert (
        api_client(w.viewer)
        .post("/api/v1/transfers", body, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        receiver.post("/api/v1/transfers", body, content_type="application/json").status_code == 404
    )
    created = branch.post("/api/v1/transfers", body, content_type="application/json")
    assert created.status_code == 201, created.content
    tid = created.json()["id"]
    again = branch.post("/api/v1/transfers", body, content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] == "transfer_open"

    def step(client, action, **payload):
        return client.post(
            f"/api/v1/transfers/{tid}/{action}", payload, content_type="application/json"
        )

    assert step(receiver, "approve").status_code == 403
    assert step(api_client(w.outsider), "approve").status_code == 404
    own = step(branch, "approve")  # the branch, and the requester: its committee approves
    assert own.status_code == 403 and "不由支部自己审批" in own.json()["message"]
    assert step(sender, "approve", status="awaiting_receiver").status_code == 400  # stale
    approved = step(sender, "approve", note="同意", dues_paid_to="2026-11-01").json()
    assert approved["status"] == "awaiting_receiver"
    number = approved["letter_no"]
    assert number and Transfer.objects.get(pk=tid).letter_no == number
    assert receiver.get(f"/api/v1/transfers/{tid}").json()["letter_no"] is None
    assert step(receiver, "send_back").json()["field"] == "reason"
    for typed, code in [("", "letter_no_missing"), ("2026-150102-999999", "letter_no_wrong")]:
        refused = step(receiver, "approve", letter_no=typed)
        assert refused.status_code == 400 and refused.json()["code"] == code
        assert refused.json()["field"] == "letter_no" and "介绍信" in refused.json()["message"]
    assert Transfer.objects.get(pk=tid).status == "awaiting_receiver"
    done = step(receiver, "approve", note="接收", letter_no=number)
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert Member.objects.get(pk=w.member.pk).org == w.tree.branch_b1
    assert step(receiver, "withdraw").json()["code"] == "transfer_state"
    assert counters.rebuild(check_only=True) == []


def test_api_receiving_side_requests_by_id_number(w):
    from massline.conftest import api_client

    receiver = api_client(w.receiver)
    body = {
        "id_number": w.number,
        "name": w.member.name,
        "to_org": w.tree.branch_b1.code,
        "reason": "随迁",
    }
    outside = {**body, "to_org": w.tree.branch_a2.code}
    nameless = {k: v for k, v in body.items() if k != "name"}
    assert (
        receiver.post("/api/v1/transfers", nameless, content_type="application/json").status_code
        == 404
    )
    assert (
        receiver.post("/api/v1/transfers", outside, content_type="application/json").status_code
        == 400
    )
    created = receiver.post("/api/v1/transfers", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert w.number not in created.content.decode()
    t = Transfer.objects.get()
    assert t.requested_by == w.receiver and t.member == w.member


def options(client, text, **extra):
    response = client.get("/members/transfers/orgs/", {"to_org": text, **extra})
    return re.findall(r'<option value="(\S+)', response.content.decode())


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("古路板村党支部", ["village_a1"]),  # 党支部 ↔ 支部委员会
        ("古路板村支部委员会", ["village_a1"]),
        ("glbc", ["village_a1"]),  # pinyin initials
        ("GLBC", ["village_a1"]),
        ("ｇｌｂｃ", ["village_a1"]),  # full width
        ("dhqczj", ["branch_b1"]),
        ("czjzb", ["branch_a2", "branch_b1"]),  # 财政局支部
        ("古路闆村", ["village_a1"]),  # traditional characters folded
        ("zz", []),
    ],
)
def test_the_receiving_organization_is_found_as_people_type_it(w, typed, found):
    # given branches named 中共…支部委员会 across the tree
    client = login_client(w.sender)
    # when the field's suggestions are asked for what people type
    codes = options(client, typed)
    # then the branches it means, in code order
    assert codes == [getattr(w.tree, name).code for name in found]


def test_initials_suggestions_keep_to_the_users_scope(w):
    # given the receiving side asking for its own branches only
    receiver = login_client(w.receiver)
    # when it types initials matching a branch of each prefecture
    # then only its own is offered
    assert options(receiver, "czjzb", mine="1") == [w.tree.branch_b1.code]


def test_synonym_spellings_and_initials():
    from massline.members.transfers.orgsearch import initials, spellings

    assert spellings("古路板村党支部") == [
        "古路板村党支部",
        "古路板村支部委员会",
        "古路板村支部党委",
    ]
    assert "东河区总支部委员会" in spellings("东河区党总支")
    assert "包头市委员会" in spellings("包头市党委")
    assert initials("中共古路板村支部委员会") == ("zgglbczbwyh",)
    assert "zgyh" in initials("中共中国银行呼和浩特分行支部委员会")[-1]  # 行 read as in 银行


def test_the_organization_page_shows_the_transfer_figures(w):
    # given a transfer under way out of 新城区, and one done into 东河区财政局
    start(w)
    # when the county's page is opened
    page = login_client(w.sender).get(f"/orgs/{w.tree.county_a1.pk}/").content.decode()
    # then its transfer figures are there, from the counters
    for label, metric, value in [
        ("转出办理中", "transfers.out_open", 1),
        ("转出逾期", "transfers.out_overdue", 0),
        ("本年转出完成", "transfers.out_done_year", 0),
        ("转入办理中", "transfers.in_open", 0),
    ]:
        assert label in page
        assert f'data-metric="{metric}">{value}<' in page


@pytest.mark.parametrize(
    ("typed", "month"), [("2026-11", 11), ("2026年9月", 9), ("２０２６.１０", 10)]
)
def test_the_dues_month_is_taken_as_people_write_it(w, typed, month):
    # given a transfer waiting for the committee
    t = start(w)
    # when the committee approves with the month the dues are paid up to, as written
    response = login_client(w.sender).post(
        f"/members/transfers/{t.pk}/approve/", {"status": t.status, "dues_paid_to": typed}
    )
    # then the month is on the transfer (and its letter)
    assert response.status_code == 302
    assert Transfer.objects.get(pk=t.pk).dues_paid_to == dt.date(2026, month, 1)


def test_a_dues_month_that_is_not_one_is_refused_with_nothing_changed(w):
    t = start(w)
    response = login_client(w.sender).post(
        f"/members/transfers/{t.pk}/approve/", {"status": t.status, "dues_paid_to": "上个月"}
    )
    assert response.status_code == 200 and "不是年月" in response.context["error"]
    assert Transfer.objects.get(pk=t.pk).status == TransferStatus.AWAITING_SENDER
