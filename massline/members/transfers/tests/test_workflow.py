"""The declared workflow map: the decision's table is the map's, and the map says what the
transfer tests check state by state (every open state offers each action to one side; closed
states offer nothing)."""

from __future__ import annotations

from django.conf import settings

from massline.members.models import OPEN_TRANSFER_STATUSES, TransferStatus
from massline.members.transfers import workflow

DECISION = settings.BASE_DIR / "docs" / "decisions" / "0006-transfers.md"


def doc_table(text: str) -> str:
    """The state machine's table in the decision: the Markdown table whose header starts with
    "| state | action |"."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| state | action |"))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end]) + "\n"


def test_the_decision_shows_the_map_as_it_is():
    # given the decision as written
    text = DECISION.read_text(encoding="utf-8")
    # when its table is compared with the one rendered from the map
    # then they are the same, row for row
    assert doc_table(text) == workflow.markdown_table()


def test_every_open_state_offers_each_action_and_closed_states_none():
    for state in TransferStatus.values:
        actions = [a for (s, a) in workflow.TRANSITIONS if s == state]
        expected = list(workflow.ACTIONS) if state in OPEN_TRANSFER_STATUSES else []
        assert actions == expected, state


def test_approvals_go_sending_then_receiving_and_the_receiving_one_closes():
    first = workflow.TRANSITIONS[(TransferStatus.AWAITING_SENDER, workflow.APPROVE)]
    second = workflow.TRANSITIONS[(first.target, workflow.APPROVE)]
    assert (first.side, second.side) == (workflow.SENDING_COMMITTEE, workflow.RECEIVING)
    assert second.target == TransferStatus.DONE
    assert all(
        t.requester_too == (t.action == workflow.WITHDRAW) for t in workflow.TRANSITIONS.values()
    )


def test_the_letter_is_issued_by_another_person_and_checked_by_the_receiving_side():
    # given the two approvals the map declares
    first = workflow.TRANSITIONS[(TransferStatus.AWAITING_SENDER, workflow.APPROVE)]
    second = workflow.TRANSITIONS[(first.target, workflow.APPROVE)]
    # then the sending committee's numbers the letter and is never the requester's own; the
    # receiving side's asks for that number; only these two do either
    assert (first.issues_letter, first.not_by_requester, first.asks_letter_no) == (
        True,
        True,
        False,
    )
    assert (second.issues_letter, second.not_by_requester, second.asks_letter_no) == (
        False,
        False,
        True,
    )
    others = [t for t in workflow.TRANSITIONS.values() if t.action != workflow.APPROVE]
    assert not any(t.issues_letter or t.asks_letter_no for t in others)


def test_closing_steps_other_than_the_final_approval_ask_for_confirmation():
    for t in workflow.TRANSITIONS.values():
        assert t.confirm == (t.action in (workflow.WITHDRAW, workflow.SEND_BACK)), t
