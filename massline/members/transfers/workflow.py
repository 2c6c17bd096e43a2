"""The transfer workflow (组织关系转接, decision 0006) as a declared map:
(state, action) -> the next state, the side that acts, and what the step writes (its history
kind, its audit action) and says (its button, its note field, its message when done).

A transfer has two sides, each an organization: the sending side (`from_org`) and the receiving
side (`to_org`); the sending side's approval is its superior committee's (`from_committee`, the
parent of the sending branch), which issues the introduction letter (介绍信), and never the
requester's own. A side acts with `members.transfer` over its organization. Everything that
asks "what may happen to this transfer now, and who may do it" reads `TRANSITIONS`: the
service that applies a step, the buttons of the page and the actions of the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from massline.access.permissions import MEMBERS_TRANSFER
from massline.access.policy import can, sides_of
from massline.core.errors import ApplicationError
from massline.orgs.models import Organization

from ..models import Transfer, TransferStatus, TransferStepKind

if TYPE_CHECKING:
    from massline.accounts.models import User

SENDING = "sending"
RECEIVING = "receiving"
#: The sending branch's superior committee: it approves for the sending side.
SENDING_COMMITTEE = "sending_committee"
#: Each side's organization on a transfer: (path field, org id field), for the scope rules.
SIDES = {
    SENDING: ("from_path", "from_org_id"),
    RECEIVING: ("to_path", "to_org_id"),
    SENDING_COMMITTEE: ("from_committee_path", "from_committee_id"),
}
#: Who acts, as the docs' table says it.
_SIDE_WORDS = {
    SENDING: "sending side",
    RECEIVING: "receiving side",
    SENDING_COMMITTEE: "sending branch's superior committee",
}

APPROVE = "approve"
SEND_BACK = "send_back"
WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Transition:
    """One step the map allows: from `state`, `action` leads to `target`, taken by `side`
    (the audit row is written at that side's organization)."""

    state: str
    action: str
    target: str
    side: str
    step_kind: str
    audit_action: str
    button: Promise
    note_label: Promise
    done: Promise  # the message once taken; may name %(name)s and %(org)s (the receiving side)
    requester_too: bool = False  # the requester may take it too, while holding the permission
    not_by_requester: bool = False  # never the requester: another person approves
    note_required: bool = False
    checks_member: bool = False  # the member must still be transferable (not lost contact)
    issues_letter: bool = False  # numbers the introduction letter (介绍信)
    asks_letter_no: bool = False  # the letter's number must be typed, and match
    confirm: bool = False  # the page asks "are you sure?" before taking it

    @property
    def acting(self) -> str:
        """Who may take the step, as the docs' table says it."""
        who = _SIDE_WORDS[self.side]
        if self.requester_too:
            return f"{who} or the requester"
        if self.not_by_requester:
            return f"{who}, not the requester"
        return who


def _approve(
    state: str, target: str, side: str, kind: str, audit: str, button: Promise
) -> Transition:
    done = (
        gettext_lazy("Approved for the sending side; now waiting for the receiving side.")
        if side == SENDING_COMMITTEE
        else gettext_lazy("Transfer done: %(name)s now belongs to %(org)s.")
    )
    sending = side == SENDING_COMMITTEE
    return Transition(
        state=state,
        action=APPROVE,
        target=target,
        side=side,
        step_kind=kind,
        audit_action=audit,
        button=button,
        note_label=gettext_lazy("Note (optional)"),
        done=done,
        checks_member=True,
        not_by_requester=sending,
        issues_letter=sending,
        asks_letter_no=not sending,
    )


def _send_back(state: str, side: str) -> Transition:
    return Transition(
        state=state,
        action=SEND_BACK,
        target=TransferStatus.SENT_BACK,
        side=side,
        step_kind=TransferStepKind.SENT_BACK,
        audit_action="members.transfer_send_back",
        button=gettext_lazy("Send back"),
        note_label=gettext_lazy("Reason for sending back (required)"),
        done=gettext_lazy("The transfer was sent back."),
        note_required=True,
        confirm=True,
    )


def _withdraw(state: str) -> Transition:
    return Transition(
        state=state,
        action=WITHDRAW,
        target=TransferStatus.WITHDRAWN,
        side=SENDING,
        step_kind=TransferStepKind.WITHDRAWN,
        audit_action="members.transfer_withdraw",
        button=gettext_lazy("Withdraw the request"),
        note_label=gettext_lazy("Reason for withdrawing (optional)"),
        done=gettext_lazy("The transfer was withdrawn."),
        requester_too=True,
        confirm=True,
    )


_ALL = [
    _approve(
        TransferStatus.AWAITING_SENDER,
        TransferStatus.AWAITING_RECEIVER,
        SENDING_COMMITTEE,
        TransferStepKind.SENDER_APPROVED,
        "members.transfer_send",
        gettext_lazy("Approve for the sending side"),
    ),
    _send_back(TransferStatus.AWAITING_SENDER, SENDING_COMMITTEE),
    _withdraw(TransferStatus.AWAITING_SENDER),
    _approve(
        TransferStatus.AWAITING_RECEIVER,
        TransferStatus.DONE,
        RECEIVING,
        TransferStepKind.RECEIVER_APPROVED,
        "members.transfer_receive",
        gettext_lazy("Approve and receive the member"),
    ),
    _send_back(TransferStatus.AWAITING_RECEIVER, RECEIVING),
    _withdraw(TransferStatus.AWAITING_RECEIVER),
]
#: The workflow: (state, action) -> transition. A pair not in the map is refused.
TRANSITIONS: dict[tuple[str, str], Transition] = {(t.state, t.action): t for t in _ALL}
ACTIONS = (APPROVE, SEND_BACK, WITHDRAW)

#: How a transfer starts (`transfer_request`): either side may ask; the sending side's turn.
REQUEST_STATE = TransferStatus.AWAITING_SENDER
REQUEST_STEP_KIND = TransferStepKind.REQUESTED
REQUEST_AUDIT_ACTION = "members.transfer_request"

_CLOSED_MESSAGES: dict[str, Promise] = {
    TransferStatus.DONE: gettext_lazy("This transfer is already done."),
    TransferStatus.WITHDRAWN: gettext_lazy("This transfer was withdrawn."),
    TransferStatus.SENT_BACK: gettext_lazy("This transfer was sent back."),
}


def transition(transfer: Transfer, action: str, *, seen: str | None = None) -> Transition:
    """The step `action` from the transfer's present state, or the refusal (`transfer_state`)
    when it does not fit that state, or not the state the caller last `seen`."""
    if action not in ACTIONS:
        raise ApplicationError(_("Unknown step %(action)s.") % {"action": action}, field="action")
    found = TRANSITIONS.get((transfer.status, action))
    if found is not None and seen in (None, transfer.status):
        return found
    closed = _CLOSED_MESSAGES.get(transfer.status)
    message = (
        str(closed)
        if closed is not None
        else _("This transfer changed while you were looking at it; check it again.")
    )
    raise ApplicationError(message, code="transfer_state", field="status")


def turn(transfer: Transfer) -> str:
    """The side whose turn it is: the one that approves next ("" once closed)."""
    found = TRANSITIONS.get((transfer.status, APPROVE))
    return found.side if found is not None else ""


def turn_org(transfer: Transfer) -> Organization | None:
    """The organization whose approval the transfer waits for (None once closed)."""
    found = TRANSITIONS.get((transfer.status, APPROVE))
    return side_org(transfer, found.side) if found is not None else None


def _may(user: User, transfer: Transfer, step: Transition, sides: set[str]) -> bool:
    requester = transfer.requested_by_id is not None and user.pk == transfer.requested_by_id
    if step.not_by_requester and requester:
        return False
    if step.side in sides:
        return True
    return step.requester_too and bool(sides) and requester


def actions_for(user: User, transfer: Transfer) -> list[str]:
    """The actions the user may take on the transfer in its present state, in the map's
    order: the page's buttons, the API's `actions` and the services' permission check."""
    sides = sides_of(user, MEMBERS_TRANSFER, transfer)
    return [
        step.action
        for (state, _action), step in TRANSITIONS.items()
        if state == transfer.status and _may(user, transfer, step, sides)
    ]


def refusal(user: User, transfer: Transfer, action: str) -> str:
    """Why the user may not take `action` now, translated: the requester approving their own
    request, the sending branch approving for its committee, or no right at all."""
    step = TRANSITIONS.get((transfer.status, action))
    sides = sides_of(user, MEMBERS_TRANSFER, transfer)
    if (
        step is not None
        and step.side == SENDING_COMMITTEE
        and SENDING in sides
        and step.side not in sides
    ):
        return _(
            "The sending side's approval is given by the branch's superior committee, "
            "%(org)s, not by the branch itself."
        ) % {"org": side_org(transfer, step.side).name}
    if step is not None and step.not_by_requester and user.pk == transfer.requested_by_id:
        return _(
            "You requested this transfer, so you may not approve it: another person at "
            "%(org)s approves it."
        ) % {"org": side_org(transfer, step.side).name}
    return _("You may not take this step on this transfer.")


def committee_of(org: Organization) -> Organization:
    """The committee that approves a transfer out of `org`: its parent (itself at the top)."""
    return org.parent if org.parent_id is not None and org.parent is not None else org


def may_request(user: User, from_org: Organization, to_org: Organization) -> bool:
    """Either side may start a transfer: the sending branch, or the receiving branch the
    member has come to."""
    return can(user, MEMBERS_TRANSFER, from_org) or can(user, MEMBERS_TRANSFER, to_org)


def side_org(transfer: Transfer, side: str) -> Organization:
    """The organization acting for `side`: the foreign key behind its org id field."""
    org: Organization = getattr(transfer, SIDES[side][1].removesuffix("_id"))
    return org if org is not None else transfer.from_org


def markdown_table() -> str:
    """The state machine as the Markdown table of decision 0006 (a test keeps them equal)."""
    rows = [
        "| state | action | next state | who acts | history step | audit action |",
        "|---|---|---|---|---|---|",
        f"| (new) | request | `{REQUEST_STATE}` | {SENDING} or {RECEIVING} side"
        f" | `{REQUEST_STEP_KIND}` | `{REQUEST_AUDIT_ACTION}` |",
    ]
    rows += [
        f"| `{t.state}` | {t.action} | `{t.target}` | {t.acting}"
        f" | `{t.step_kind}` | `{t.audit_action}` |"
        for t in TRANSITIONS.values()
    ]
    return "\n".join(rows) + "\n"
