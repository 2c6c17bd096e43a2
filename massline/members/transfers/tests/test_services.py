"""Member transfers (组织关系转接) against a real database: every state × every step, who may
take each step, what a finished transfer moves (member, history, audit, counters — checked
against a full recount), subtree moves while a transfer is open, and the overdue flag on a
controlled clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from massline.access.policy import scoped, scoped_side, sides_of
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.members.idnumber import make_id
from massline.members.models import (
    Member,
    MemberEvent,
    MemberEventKind,
    Transfer,
    TransferStatus,
    TransferStep,
    TransferStepKind,
)
from massline.members.services import member_create, member_mark_lost, member_set_mobility
from massline.members.transfers.selectors import (
    transfer_list,
    transfers_waiting_for,
    with_overdue,
)
from massline.members.transfers.services import (
    transfer_request,
    transfer_step,
)
from massline.members.transfers.workflow import actions_for
from massline.orgs import counters
from massline.orgs.models import OrgKind
from massline.orgs.services import org_move, org_update

METRICS = (
    "members.total",
    "members.probationary",
    "members.outflow",
    "members.inflow",
    "members.lost_contact",
)


def add_member(org, seq: int, *, status: str = "full", name: str = "张国华") -> Member:
    return member_create(
        actor=None,
        org=org,
        name=name,
        gender="",
        ethnicity="01",
        id_number=make_id("150102", dt.date(1980, 5, 17), seq),
        join_date=dt.date(2005, 7, 1),
        status=status,
        category="employed",
        full_date=dt.date(2006, 7, 1) if status == "full" else None,
    )


@pytest.fixture
def w(tree, make_user) -> SimpleNamespace:
    """A member at village_a1 (under pref_a) and the people around a transfer of them to
    branch_b1 (under pref_b)."""
    s = SimpleNamespace(tree=tree)
    s.member = add_member(tree.village_a1, 1)
    s.branch = make_user("org_admin", tree.village_a1)  # the sending branch itself
    s.sender = make_user("org_admin", tree.county_a1)  # sending side, over its committee
    s.receiver = make_user("org_admin", tree.pref_b)  # receiving side
    s.both = make_user("org_admin", tree.root)  # both sides
    s.outsider = make_user("org_admin", tree.county_a2)  # neither side
    s.viewer = make_user("supervisor", tree.root)  # sees both sides, may not transfer
    return s


def request(w, actor: Any = None, **kw: Any) -> Transfer:
    fields = {"member": w.member, "to_org": w.tree.branch_b1, "reason": "工作调动"}
    fields.update(kw)
    return transfer_request(actor=actor or w.branch, **fields)


def approve_sending(*, actor: Any, transfer: Transfer, note: str = "") -> Transfer:
    """The sending side's approval, as a page showing "waiting for the sending side" asks."""
    return transfer_step(
        actor=actor, transfer=transfer, action="approve", note=note, seen="awaiting_sender"
    )


def approve_receiving(
    *, actor: Any, transfer: Transfer, note: str = "", letter_no: str | None = None
) -> Transfer:
    """The receiving side's approval with the number of the letter (by default the right one)."""
    if letter_no is None:
        letter_no = Transfer.objects.get(pk=transfer.pk).letter_no or ""
    return transfer_step(
        actor=actor,
        transfer=transfer,
        action="approve",
        note=note,
        seen="awaiting_receiver",
        letter_no=letter_no,
    )


def withdraw(*, actor: Any, transfer: Transfer, reason: str = "") -> Transfer:
    return transfer_step(actor=actor, transfer=transfer, action="withdraw", note=reason)


def send_back(*, actor: Any, transfer: Transfer, reason: str) -> Transfer:
    return transfer_step(actor=actor, transfer=transfer, action="send_back", note=reason)


def in_state(w, state: str) -> Transfer:
    """A transfer of w.member requested by its branch, brought to `state` by the user with
    both sides."""
    t = request(w, w.branch)
    if state == TransferStatus.AWAITING_SENDER:
        return t
    if state == TransferStatus.WITHDRAWN:
        return withdraw(actor=w.both, transfer=t, reason="不转了")
    if state == TransferStatus.SENT_BACK:
        return send_back(actor=w.both, transfer=t, reason="材料不全")
    t = approve_sending(actor=w.both, transfer=t)
    if state == TransferStatus.AWAITING_RECEIVER:
        return t
    return approve_receiving(actor=w.both, transfer=t)


STEPS: dict[str, Callable[..., Transfer]] = {
    "approve_sending": lambda actor, t: approve_sending(actor=actor, transfer=t),
    "approve_receiving": lambda actor, t: approve_receiving(actor=actor, transfer=t),
    "withdraw": lambda actor, t: withdraw(actor=actor, transfer=t, reason="x"),
    "send_back": lambda actor, t: send_back(actor=actor, transfer=t, reason="材料不全"),
}

# state → step → the state it leads to (None: refused).
MACHINE: dict[str, dict[str, str | None]] = {
    "awaiting_sender": {
        "approve_sending": "awaiting_receiver",
        "approve_receiving": None,
        "withdraw": "withdrawn",
        "send_back": "sent_back",
    },
    "awaiting_receiver": {
        "approve_sending": None,
        "approve_receiving": "done",
        "withdraw": "withdrawn",
        "send_back": "sent_back",
    },
    "done": dict.fromkeys(STEPS),
    "withdrawn": dict.fromkeys(STEPS),
    "sent_back": dict.fromkeys(STEPS),
}
CASES = [(state, step, after) for state, steps in MACHINE.items() for step, after in steps.items()]


@pytest.mark.parametrize(("state", "step", "after"), CASES)
def test_every_state_and_step(w, state, step, after):
    t = in_state(w, state)
    assert t.status == state
    steps_before = TransferStep.objects.filter(transfer=t).count()
    audit_before = AuditEvent.objects.count()
    if after is None:
        with pytest.raises(ApplicationError) as exc:
            STEPS[step](w.both, t)
        assert exc.value.code == "transfer_state"
        assert exc.value.message  # a sentence for the user
        t.refresh_from_db()
        assert t.status == state
        assert TransferStep.objects.filter(transfer=t).count() == steps_before
        assert AuditEvent.objects.count() == audit_before
    else:
        result = STEPS[step](w.both, t)
        t.refresh_from_db()
        assert result.status == t.status == after
        assert TransferStep.objects.filter(transfer=t).count() == steps_before + 1
        assert AuditEvent.objects.count() > audit_before
        assert (t.closed_at is None) == (after in ("awaiting_sender", "awaiting_receiver"))
    assert counters.rebuild(check_only=True) == []


@pytest.mark.parametrize("state", list(MACHINE))
def test_requesting_again_in_every_state(w, state):
    """One open transfer per member; once closed, a new one may start."""
    in_state(w, state)
    other = w.tree.village_a2 if state == "done" else w.tree.branch_b1
    if state in ("awaiting_sender", "awaiting_receiver"):
        with pytest.raises(ApplicationError) as exc:
            request(w, w.branch, to_org=w.tree.village_a2)
        assert exc.value.code == "transfer_open"
    else:
        # once done, the member is at branch_b1: the county's side no longer asks for them
        t = request(w, w.both if state == "done" else w.branch, to_org=other)
        assert t.status == TransferStatus.AWAITING_SENDER


def test_the_database_refuses_a_second_open_transfer(w):
    t = request(w)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            member=w.member,
            from_org=t.from_org,
            from_path=t.from_path,
            to_org=w.tree.village_a2,
            to_path=w.tree.village_a2.path,
            reason="x",
            requested_on=dt.date.today(),
            last_step_at=timezone.now(),
        )


# Who may take each step: (state, step, user, allowed).
WHO = [
    ("awaiting_sender", "approve_sending", "sender", True),
    ("awaiting_sender", "approve_sending", "branch", False),  # its committee approves
    ("awaiting_sender", "approve_sending", "receiver", False),
    ("awaiting_sender", "approve_sending", "outsider", False),
    ("awaiting_sender", "approve_sending", "viewer", False),
    ("awaiting_sender", "send_back", "sender", True),
    ("awaiting_sender", "send_back", "branch", False),
    ("awaiting_sender", "withdraw", "branch", True),  # the requester
    ("awaiting_sender", "send_back", "receiver", False),
    ("awaiting_sender", "send_back", "viewer", False),
    ("awaiting_sender", "withdraw", "sender", True),
    ("awaiting_sender", "withdraw", "receiver", False),  # not the requester
    ("awaiting_sender", "withdraw", "outsider", False),
    ("awaiting_receiver", "approve_receiving", "receiver", True),
    ("awaiting_receiver", "approve_receiving", "sender", False),
    ("awaiting_receiver", "approve_receiving", "outsider", False),
    ("awaiting_receiver", "approve_receiving", "viewer", False),
    ("awaiting_receiver", "send_back", "receiver", True),
    ("awaiting_receiver", "send_back", "sender", False),
    ("awaiting_receiver", "withdraw", "sender", True),
    ("awaiting_receiver", "withdraw", "branch", True),
    ("awaiting_receiver", "withdraw", "receiver", False),
    ("awaiting_receiver", "withdraw", "viewer", False),
]


@pytest.mark.parametrize(("state", "step", "who", "allowed"), WHO)
def test_who_may_take_each_step(w, state, step, who, allowed):
    t = in_state(w, state)
    user = getattr(w, who)
    policy_action = {"approve_sending": "approve", "approve_receiving": "approve"}.get(step, step)
    assert (policy_action in actions_for(user, t)) is allowed
    if allowed:
        assert STEPS[step](user, t).status == MACHINE[state][step]
    else:
        with pytest.raises(Forbidden):
            STEPS[step](user, t)
        t.refresh_from_db()
        assert t.status == state


def test_either_side_may_request_and_the_requester_may_withdraw(w):
    t = request(w, w.receiver)  # the receiving branch starts it
    assert t.requested_by == w.receiver
    assert actions_for(w.receiver, t) == ["withdraw"]
    assert actions_for(w.sender, t) == ["approve", "send_back", "withdraw"]
    withdraw(actor=w.receiver, transfer=t, reason="弄错了")
    assert Transfer.objects.get(pk=t.pk).status == TransferStatus.WITHDRAWN


@pytest.mark.parametrize("who", ["outsider", "viewer"])
def test_others_may_not_request(w, who):
    with pytest.raises(Forbidden):
        request(w, getattr(w, who))
    assert not Transfer.objects.exists()


def test_a_done_transfer_moves_the_member_history_audit_and_counters(w):
    tree = w.tree
    # A probationary inflow member counts towards several metrics; all of them move.
    member = add_member(tree.village_a1, 2, status="probationary", name="巴特尔")
    member_set_mobility(
        actor=None,
        member=member,
        mobility="inflow",
        since=dt.date(2023, 1, 1),
        place="赤峰市",
        attached_org=tree.village_a1,
    )
    before = counters.read([tree.village_a1.pk, tree.pref_a.pk, tree.pref_b.pk, tree.root.pk])
    t = transfer_request(actor=w.branch, member=member, to_org=tree.branch_b1, reason="迁居")
    t = approve_sending(actor=w.sender, transfer=t, note="同意")
    t = approve_receiving(actor=w.receiver, transfer=t, note="接收")
    assert t.status == TransferStatus.DONE
    member.refresh_from_db()
    assert member.org == tree.branch_b1
    assert member.org_path == tree.branch_b1.path
    after = counters.read([tree.village_a1.pk, tree.pref_a.pk, tree.pref_b.pk, tree.root.pk])
    for metric in ("members.total", "members.probationary", "members.inflow"):
        assert after[tree.village_a1.pk][metric][0] == before[tree.village_a1.pk][metric][0] - 1
        assert after[tree.pref_a.pk][metric][1] == before[tree.pref_a.pk][metric][1] - 1
        assert (
            after[tree.pref_b.pk][metric][1]
            == before.get(tree.pref_b.pk, {}).get(metric, (0, 0))[1] + 1
        )
        assert after[tree.root.pk][metric][1] == before[tree.root.pk][metric][1]
    assert counters.rebuild(check_only=True) == []
    event = MemberEvent.objects.get(member=member, kind=MemberEventKind.TRANSFERRED)
    assert event.detail == {
        "from": tree.village_a1.code,
        "to": tree.branch_b1.code,
        "transfer": t.pk,
    }
    assert event.actor == w.receiver
    assert list(t.steps.values_list("kind", "actor", "note")) == [
        (TransferStepKind.REQUESTED, w.branch.pk, "迁居"),
        (TransferStepKind.SENDER_APPROVED, w.sender.pk, "同意"),
        (TransferStepKind.RECEIVER_APPROVED, w.receiver.pk, "接收"),
    ]
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-4:] == [
        "members.transfer_request",
        "members.transfer_send",
        "members.transfer_move",
        "members.transfer_receive",
    ]
    move = AuditEvent.objects.get(action="members.transfer_move")
    assert move.before["org"] == tree.village_a1.pk and move.after["org"] == tree.branch_b1.pk
    assert move.org_path == tree.branch_b1.path
    # The member now shows in the receiving side's roster, not the sending side's.
    assert scoped(Member.objects.all(), w.receiver, "members.view").filter(pk=member.pk).exists()
    assert not scoped(Member.objects.all(), w.sender, "members.view").filter(pk=member.pk).exists()


@pytest.mark.parametrize(
    ("kw", "field", "code"),
    [
        ({"reason": "  "}, "reason", "invalid"),
        ({"to_org": "same"}, "to_org", "same_org"),
        ({"to_org": "committee"}, "to_org", "invalid"),
        ({"on": "tomorrow"}, "on", "invalid"),
    ],
)
def test_bad_requests(w, kw, field, code):
    values = dict(kw)
    if values.get("to_org") == "same":
        values["to_org"] = w.tree.village_a1
    elif values.get("to_org") == "committee":
        values["to_org"] = w.tree.town_a1
    if values.get("on") == "tomorrow":
        values["on"] = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ApplicationError) as exc:
        request(w, **values)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert not Transfer.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="members.transfer").exists()


def test_lost_contact_members_are_not_transferred(w):
    member_mark_lost(actor=None, member=w.member, since=dt.date(2024, 3, 1))
    with pytest.raises(ApplicationError) as exc:
        request(w)
    assert exc.value.code == "lost_contact"


@pytest.mark.parametrize("state", ["awaiting_sender", "awaiting_receiver"])
def test_losing_contact_meanwhile_stops_the_approval(w, state):
    t = in_state(w, state)
    member_mark_lost(actor=None, member=w.member, since=dt.date(2024, 3, 1))
    step = "approve_sending" if state == "awaiting_sender" else "approve_receiving"
    with pytest.raises(ApplicationError) as exc:
        STEPS[step](w.both, t)
    assert exc.value.code == "lost_contact"
    # It can still be sent back or withdrawn.
    assert withdraw(actor=w.both, transfer=t).status == TransferStatus.WITHDRAWN


def test_the_receiving_org_no_longer_holding_members_stops_the_transfer(w):
    t = in_state(w, "awaiting_receiver")
    org_update(actor=None, org=w.tree.branch_b1, kind=OrgKind.GENERAL_BRANCH)  # still fine
    org_update(actor=None, org=w.tree.branch_b1, kind=OrgKind.COMMITTEE)
    with pytest.raises(ApplicationError):
        approve_receiving(actor=w.both, transfer=t)
    w.member.refresh_from_db()
    assert w.member.org == w.tree.village_a1
    assert counters.rebuild(check_only=True) == []


def test_a_member_moved_meanwhile_is_not_moved_twice(w):
    t = in_state(w, "awaiting_receiver")
    Member.objects.filter(pk=w.member.pk).update(
        org=w.tree.village_a2, org_path=w.tree.village_a2.path
    )  # as a roster import might
    with pytest.raises(ApplicationError) as exc:
        approve_receiving(actor=w.both, transfer=t)
    assert exc.value.code == "moved_meanwhile"


def test_send_back_needs_a_reason(w):
    t = request(w)
    with pytest.raises(ApplicationError) as exc:
        send_back(actor=w.sender, transfer=t, reason=" ")
    assert exc.value.field == "reason"
    assert Transfer.objects.get(pk=t.pk).status == TransferStatus.AWAITING_SENDER


def test_scoped_lists_of_each_side(w):
    t = request(w)
    visible_sender = scoped(Transfer.objects.all(), w.sender, "members.view")
    visible_receiver = scoped(Transfer.objects.all(), w.receiver, "members.view")
    assert list(visible_sender) == [t] and list(visible_receiver) == [t]
    assert not scoped(Transfer.objects.all(), w.outsider, "members.view").exists()
    assert list(scoped_side(visible_sender, w.sender, "members.view", "sending")) == [t]
    assert not scoped_side(visible_sender, w.sender, "members.view", "receiving")
    # Waiting for the sending side: in the sender's box, not yet in the receiver's.
    assert list(transfers_waiting_for(visible_sender, w.sender)) == [t]
    assert not transfers_waiting_for(visible_receiver, w.receiver).exists()
    assert not transfers_waiting_for(Transfer.objects.all(), w.viewer).exists()
    approve_sending(actor=w.sender, transfer=t)
    assert not transfers_waiting_for(visible_sender, w.sender).exists()
    assert list(transfers_waiting_for(visible_receiver, w.receiver)) == [t]


@pytest.mark.parametrize(
    ("who", "sides"),
    [
        ("branch", {"sending"}),
        ("sender", {"sending", "sending_committee"}),
        ("receiver", {"receiving"}),
        ("both", {"sending", "receiving", "sending_committee"}),
        ("outsider", set()),
        ("viewer", set()),  # sees both sides, may transfer at neither
    ],
)
def test_the_sides_a_user_acts_for(w, who, sides):
    # given a transfer from village_a1 (pref_a) to branch_b1 (pref_b)
    t = request(w)
    # when asked which sides the user holds the transfer permission over
    # then the generic two-sided rule answers from the registered sides
    assert sides_of(getattr(w, who), "members.transfer", t) == sides


def test_a_subtree_move_carries_open_transfers_along(w):
    tree = w.tree
    t = request(w)
    org_move(actor=None, org=tree.town_a1, new_parent=tree.county_b1)  # village_a1 moves along
    tree.village_a1.refresh_from_db()
    t.refresh_from_db()
    assert t.from_path == tree.village_a1.path
    assert t.to_path == tree.branch_b1.path
    # village_a1 is now under pref_b: the receiver's scope holds both sides.
    assert list(scoped_side(Transfer.objects.all(), w.receiver, "members.view", "sending")) == [t]
    assert not scoped(Transfer.objects.all(), w.sender, "members.view").exists()
    approve_sending(actor=w.receiver, transfer=t)
    approve_receiving(actor=w.receiver, transfer=t)
    w.member.refresh_from_db()
    assert w.member.org_path == tree.branch_b1.path
    assert counters.rebuild(check_only=True) == []
    # Moving the receiving side's subtree rewrites to_path too.
    other = add_member(tree.village_a2, 3, name="其其格")
    t2 = transfer_request(actor=None, member=other, to_org=tree.branch_a2, reason="调动")
    org_move(actor=None, org=tree.county_a2, new_parent=tree.pref_b)
    t2.refresh_from_db()
    tree.branch_a2.refresh_from_db()
    assert t2.to_path == tree.branch_a2.path


def test_overdue_on_a_controlled_clock(w, settings):
    settings.TRANSFER_OVERDUE_DAYS = 30
    t = request(w)
    start = t.last_step_at

    def flag(now: dt.datetime) -> bool:
        return with_overdue(Transfer.objects.filter(pk=t.pk), now).get().overdue

    assert flag(start + dt.timedelta(days=29)) is False
    assert flag(start + dt.timedelta(days=30, seconds=1)) is True
    rows, _ = transfer_list(
        visible=Transfer.objects.all(), overdue=True, now=start + dt.timedelta(days=31)
    )
    assert rows == [t]
    assert transfer_list(visible=Transfer.objects.all(), overdue=True, now=start)[0] == []
    settings.TRANSFER_OVERDUE_DAYS = 5
    assert flag(start + dt.timedelta(days=6)) is True
    # A step restarts the wait.
    Transfer.objects.filter(pk=t.pk).update(last_step_at=start - dt.timedelta(days=10))
    assert flag(timezone.now()) is True
    approve_sending(actor=w.sender, transfer=t)
    assert flag(timezone.now()) is False
    # A closed transfer is never overdue.
    withdraw(actor=w.sender, transfer=t)
    assert flag(timezone.now() + dt.timedelta(days=365)) is False


def test_overdue_days_come_from_the_environment(monkeypatch):
    import importlib

    import config.settings as settings_module

    monkeypatch.setenv("MASSLINE_TRANSFER_OVERDUE_DAYS", "12")
    assert importlib.reload(settings_module).TRANSFER_OVERDUE_DAYS == 12
    monkeypatch.delenv("MASSLINE_TRANSFER_OVERDUE_DAYS")
    assert importlib.reload(settings_module).TRANSFER_OVERDUE_DAYS == 30
    monkeypatch.undo()
    importlib.reload(settings_module)


def test_a_transfer_approved_by_its_own_requester_is_refused(w):
    # given a transfer requested by the sending county's administrator
    t = request(w, w.sender)
    audit_before = AuditEvent.objects.count()
    # when they approve it themselves
    with pytest.raises(Forbidden) as exc:
        approve_sending(actor=w.sender, transfer=t)
    # then a sentence naming who approves it, and nothing changed
    assert "中共保合少镇委员会" in exc.value.message
    assert "您发起了这项转接" in exc.value.message
    t.refresh_from_db()
    assert (t.status, t.letter_no) == (TransferStatus.AWAITING_SENDER, None)
    assert t.steps.count() == 1 and AuditEvent.objects.count() == audit_before
    assert actions_for(w.sender, t) == ["send_back", "withdraw"]
    # and another person over the committee approves it
    assert approve_sending(actor=w.both, transfer=t).status == TransferStatus.AWAITING_RECEIVER


def test_the_sending_branch_itself_may_not_approve_for_its_committee(w):
    # given a transfer the receiving side started, waiting for the sending side
    t = request(w, w.receiver)
    # when the member's own branch approves it
    with pytest.raises(Forbidden) as exc:
        approve_sending(actor=w.branch, transfer=t)
    # then it is told its superior committee approves, and nothing changed
    assert "由支部的上级党委（中共保合少镇委员会）审批" in exc.value.message
    t.refresh_from_db()
    assert (t.status, t.letter_no) == (TransferStatus.AWAITING_SENDER, None)
    assert t.from_committee == w.tree.town_a1
    assert not transfers_waiting_for(Transfer.objects.all(), w.branch).exists()
    assert list(transfers_waiting_for(Transfer.objects.all(), w.sender)) == [t]
