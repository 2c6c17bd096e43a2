"""The opinion workflow (受理 → 派单 → 办理 → 答复 → 办结, decision 0021 "Dispatch") as a declared
map: (state, action) -> the next state, the side that acts, and what the step writes (its
history kind, its audit action) and says (its button, its note field, its message when done).

Two sides act on an opinion. The dispatcher side (the campaign office) holds
`opinions.dispatch` at the organization the opinion was addressed to (or above it): it
categorizes, merges, dispatches, reassigns, publishes and closes. The lead side holds
`opinions.handle` at the lead organization the opinion was dispatched to: it returns it, records
the first contact, replies and publishes its reply. Everything that asks "what may happen to
this opinion now, and who may do it" reads `TRANSITIONS`: the service that applies a step
(`dispatch_services.opinion_act`), the buttons of the page and the actions of the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from massline.access.permissions import OPINIONS_DISPATCH, OPINIONS_HANDLE
from massline.access.policy import can
from massline.core import transitions
from massline.core.errors import ApplicationError

from .models import Opinion, OpinionStatus, OpinionStepKind

if TYPE_CHECKING:
    from massline.accounts.models import User

DISPATCHER = "dispatcher"
LEAD = "lead"
EITHER = "either"
_SIDE_WORDS = {
    DISPATCHER: "dispatcher (opinions.dispatch at the opinion's organization)",
    LEAD: "lead organization (opinions.handle there)",
    EITHER: "lead organization or dispatcher",
}

TRIAGE = "triage"
MERGE = "merge"
DISPATCH = "dispatch"
RETURN = "return"
REASSIGN = "reassign"
CONTACT = "contact"
REPLY = "reply"
PUBLISH = "publish"
CLOSE = "close"
ACTIONS = (TRIAGE, MERGE, DISPATCH, RETURN, REASSIGN, CONTACT, REPLY, PUBLISH, CLOSE)

#: The default time limits by urgency, in days (settings.OPINION_DUE_DAYS overrides them).
DEFAULT_DUE_DAYS = {"urgent": 1, "general": 7, "complex": 15}

S = OpinionStatus
NOTE_OPTIONAL = gettext_lazy("Note (optional)")


@dataclass(frozen=True)
class Transition:
    """One step the map allows: from `state`, `action` leads to `target`, taken by `side`."""

    state: str
    action: str
    target: str
    side: str
    step_kind: str
    audit_action: str
    button: Promise
    done: Promise
    note_label: Promise = NOTE_OPTIONAL
    note_required: bool = False  # a reason (return, reassign) or the reply's text
    to_org: bool = False  # names a lead organization (and co-organizations)
    confirm: bool = False  # the page asks "are you sure?" first

    @property
    def acting(self) -> str:
        return _SIDE_WORDS[self.side]


def _t(state: str, action: str, target: str, side: str, kind: str, **kw: Any) -> Transition:
    return Transition(
        state=state,
        action=action,
        target=target,
        side=side,
        step_kind=kind,
        audit_action=f"opinions.{action}",
        **kw,
    )


def _all() -> list[Transition]:
    out: list[Transition] = []
    for state in (S.RECEIVED, S.RETURNED):
        out += [
            _t(
                state,
                TRIAGE,
                state,
                DISPATCHER,
                OpinionStepKind.TRIAGED,
                button=gettext_lazy("Categorize"),
                done=gettext_lazy("The opinion was categorized."),
            ),
            _t(
                state,
                MERGE,
                S.MERGED,
                DISPATCHER,
                OpinionStepKind.MERGED,
                button=gettext_lazy("Merge into another opinion"),
                done=gettext_lazy("The opinion was merged; its receipts follow the other one."),
                confirm=True,
            ),
            _t(
                state,
                DISPATCH,
                S.DISPATCHED,
                DISPATCHER,
                OpinionStepKind.DISPATCHED,
                button=gettext_lazy("Dispatch"),
                done=gettext_lazy("The opinion was dispatched to %(org)s, due %(due)s."),
                to_org=True,
            ),
        ]
    for state in (S.DISPATCHED, S.RETURNED):
        out.append(
            _t(
                state,
                REASSIGN,
                S.DISPATCHED,
                DISPATCHER,
                OpinionStepKind.REASSIGNED,
                button=gettext_lazy("Reassign"),
                done=gettext_lazy("The opinion was reassigned to %(org)s, due %(due)s."),
                note_label=gettext_lazy("Reason for reassigning (required)"),
                note_required=True,
                to_org=True,
            )
        )
    out += [
        _t(
            S.DISPATCHED,
            RETURN,
            S.RETURNED,
            LEAD,
            OpinionStepKind.RETURNED,
            button=gettext_lazy("Return to the dispatcher"),
            done=gettext_lazy("The opinion was returned to the dispatcher."),
            note_label=gettext_lazy("Reason for returning (required)"),
            note_required=True,
            confirm=True,
        ),
        _t(
            S.DISPATCHED,
            CONTACT,
            S.HANDLING,
            LEAD,
            OpinionStepKind.CONTACTED,
            button=gettext_lazy("Record the first contact"),
            done=gettext_lazy("The first contact was recorded."),
        ),
    ]
    for state in (S.DISPATCHED, S.HANDLING):
        out.append(
            _t(
                state,
                REPLY,
                S.REPLIED,
                LEAD,
                OpinionStepKind.REPLIED,
                button=gettext_lazy("Reply"),
                done=gettext_lazy("The reply was recorded."),
                note_label=gettext_lazy("Reply (required)"),
                note_required=True,
            )
        )
    out += [
        _t(
            S.REPLIED,
            PUBLISH,
            S.REPLIED,
            EITHER,
            OpinionStepKind.PUBLISHED,
            button=gettext_lazy("Publish the reply"),
            done=gettext_lazy("The reply is public: the submitter sees it with the receipt code."),
            confirm=True,
        ),
        _t(
            S.REPLIED,
            CLOSE,
            S.CLOSED,
            DISPATCHER,
            OpinionStepKind.CLOSED,
            button=gettext_lazy("Close"),
            done=gettext_lazy("The opinion was closed."),
            confirm=True,
        ),
    ]
    return out


#: The workflow: (state, action) -> transition. A pair not in the map is refused.
TRANSITIONS: dict[tuple[str, str], Transition] = {(t.state, t.action): t for t in _all()}
#: The escalation (督办) is the system's, not a step of the map: it changes no state.
ESCALATE_AUDIT_ACTION = "opinions.escalate"


def transition(opinion: Opinion, action: str, *, seen: str | None = None) -> Transition:
    """The step `action` from the opinion's present state, or the refusal (`opinion_state`)
    when it does not fit that state, or not the state the caller last `seen`."""
    if action not in ACTIONS:
        raise ApplicationError(_("Unknown step %(action)s.") % {"action": action}, field="action")
    found = TRANSITIONS.get((opinion.status, action))
    if found is not None and seen in (None, "", opinion.status):
        return found
    if found is None:
        message = _("This step cannot be taken on an opinion that is %(status)s.") % {
            "status": OpinionStatus(opinion.status).label
        }
    else:
        message = _("This opinion changed while you were looking at it; check it again.")
    raise ApplicationError(message, code="opinion_state", field="status")


def sides_of(user: User, opinion: Opinion) -> set[str]:
    """The sides the user acts for on this opinion."""
    sides: set[str] = set()
    if can(user, OPINIONS_DISPATCH, opinion.org):
        sides.add(DISPATCHER)
    lead = opinion.lead_org
    if lead is not None and can(user, OPINIONS_HANDLE, lead):
        sides.add(LEAD)
    return sides


def _may(step: Transition, sides: set[str]) -> bool:
    return bool(sides) if step.side == EITHER else step.side in sides


def actions_for(user: User, opinion: Opinion) -> list[str]:
    """The actions the user may take on the opinion in its present state, in the map's order:
    the page's buttons, the API's `actions` and the service's permission check. A published
    reply is not published again."""
    sides = sides_of(user, opinion)
    return [
        step.action
        for (state, action), step in TRANSITIONS.items()
        if state == opinion.status
        and _may(step, sides)
        and not (action == PUBLISH and opinion.reply_published)
    ]


def due_days(urgency: str) -> int:
    """The time limit of an opinion of this urgency, in days (settings.OPINION_DUE_DAYS)."""
    days = {**DEFAULT_DUE_DAYS, **getattr(settings, "OPINION_DUE_DAYS", {})}
    return int(days.get(urgency, DEFAULT_DUE_DAYS["general"]))


def due_at(urgency: str, start: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(days=due_days(urgency))


def markdown_table() -> str:
    """The state machine as the Markdown table of decision 0021 (a test keeps them equal)."""
    return transitions.markdown_table(TRANSITIONS.values())
