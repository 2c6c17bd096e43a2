"""The fix workflow (整改 → 延期 → 销号 → 评议 → 返工, decision 0022) as a declared map:
(state, action) -> the next state, the side that acts, and what the step writes (its history
kind, its audit action) and says (its button, its note field, its message when done).

Two sides act on a fix. The responsible side holds `rectification.manage` at the fix's
organization: it reports progress, asks for an extension or a close-out, and prepares its
commitment. The upper side holds `rectification.approve` one level up (at the organization's
parent; at the root, at the root): it approves or refuses extensions and close-outs and sends a
closed fix back for rework. The rework after the public's evaluation is the same step, taken
by the system. Everything that asks "what may happen to this fix now, and who may do it" reads
`TRANSITIONS`: the service (`fix_services.fix_act`), the page's buttons and the API's
`actions`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from massline.access.permissions import RECTIFICATION_APPROVE, RECTIFICATION_MANAGE
from massline.access.policy import can
from massline.core import transitions
from massline.core.errors import ApplicationError

from .models import Fix, FixState, FixStepKind

if TYPE_CHECKING:
    from massline.accounts.models import User
    from massline.orgs.models import Organization

RESPONSIBLE = "responsible"
UPPER = "upper"
EITHER = "either"
_SIDE_WORDS = {
    RESPONSIBLE: "responsible organization (rectification.manage there)",
    UPPER: "the level above (rectification.approve at the parent organization)",
    EITHER: "responsible organization or the level above",
}

PROGRESS = "progress"
REQUEST_EXTENSION = "request_extension"
APPROVE_EXTENSION = "approve_extension"
REFUSE_EXTENSION = "refuse_extension"
REQUEST_CLOSE = "request_close"
APPROVE_CLOSE = "approve_close"
REFUSE_CLOSE = "refuse_close"
PREPARE_COMMITMENT = "prepare_commitment"
PUBLISH_COMMITMENT = "publish_commitment"
REWORK = "rework"
ACTIONS = (
    PROGRESS,
    REQUEST_EXTENSION,
    APPROVE_EXTENSION,
    REFUSE_EXTENSION,
    REQUEST_CLOSE,
    APPROVE_CLOSE,
    REFUSE_CLOSE,
    PREPARE_COMMITMENT,
    PUBLISH_COMMITMENT,
    REWORK,
)

S = FixState
K = FixStepKind
NOTE_OPTIONAL = gettext_lazy("Note (optional)")
#: The states in which a fix is still being worked on.
WORKING = (S.IN_PROGRESS, S.EXTENSION_REQUESTED, S.CLOSE_REQUESTED)


@dataclass(frozen=True)
class Transition:
    """One step the map allows: from `state`, `action` leads to `target`, taken by `side`."""

    state: str
    action: str
    target: str
    side: str
    step_kind: str
    button: Promise
    done: Promise
    note_label: Promise = NOTE_OPTIONAL
    note_required: bool = False
    files: bool = False  # evidence files may come with the step
    until: bool = False  # names a new deadline (an extension)
    commitment: bool = False  # names the audience, the promised date and the text
    confirm: bool = False  # the page asks "are you sure?" first

    @property
    def audit_action(self) -> str:
        return f"rectification.{self.action}"

    @property
    def acting(self) -> str:
        return _SIDE_WORDS[self.side]


def _progress(state: str) -> Transition:
    return Transition(
        state,
        PROGRESS,
        state,
        RESPONSIBLE,
        K.PROGRESS,
        button=gettext_lazy("Report progress"),
        done=gettext_lazy("The progress was recorded."),
        note_label=gettext_lazy("What was done (required)"),
        note_required=True,
        files=True,
    )


def _commitment(state: str) -> list[Transition]:
    return [
        Transition(
            state,
            PREPARE_COMMITMENT,
            state,
            RESPONSIBLE,
            K.COMMITMENT_PREPARED,
            button=gettext_lazy("Prepare the commitment"),
            done=gettext_lazy("The commitment is prepared; it is published with the others."),
            note_label=gettext_lazy("The commitment's words (required)"),
            note_required=True,
            commitment=True,
        ),
        Transition(
            state,
            PUBLISH_COMMITMENT,
            state,
            EITHER,
            K.COMMITMENT_PUBLISHED,
            button=gettext_lazy("Publish the commitment"),
            done=gettext_lazy("The commitment is public."),
            confirm=True,
        ),
    ]


def _all() -> list[Transition]:
    out = [_progress(S.IN_PROGRESS), _progress(S.EXTENSION_REQUESTED)]
    out += [
        Transition(
            S.IN_PROGRESS,
            REQUEST_EXTENSION,
            S.EXTENSION_REQUESTED,
            RESPONSIBLE,
            K.EXTENSION_REQUESTED,
            button=gettext_lazy("Ask for an extension"),
            done=gettext_lazy("The extension was asked for; the level above decides."),
            note_label=gettext_lazy("Why more time is needed (required)"),
            note_required=True,
            until=True,
        ),
        Transition(
            S.EXTENSION_REQUESTED,
            APPROVE_EXTENSION,
            S.IN_PROGRESS,
            UPPER,
            K.EXTENSION_APPROVED,
            button=gettext_lazy("Approve the extension"),
            done=gettext_lazy("The extension was approved; the deadline is now %(deadline)s."),
        ),
        Transition(
            S.EXTENSION_REQUESTED,
            REFUSE_EXTENSION,
            S.IN_PROGRESS,
            UPPER,
            K.EXTENSION_REFUSED,
            button=gettext_lazy("Refuse the extension"),
            done=gettext_lazy("The extension was refused; the deadline stays."),
            note_label=gettext_lazy("Why it is refused (required)"),
            note_required=True,
        ),
        Transition(
            S.IN_PROGRESS,
            REQUEST_CLOSE,
            S.CLOSE_REQUESTED,
            RESPONSIBLE,
            K.CLOSE_REQUESTED,
            button=gettext_lazy("Ask to close it out"),
            done=gettext_lazy("The close-out was asked for; the level above decides."),
            note_label=gettext_lazy("What was achieved (required)"),
            note_required=True,
            files=True,
        ),
        Transition(
            S.CLOSE_REQUESTED,
            APPROVE_CLOSE,
            S.CLOSED,
            UPPER,
            K.CLOSE_APPROVED,
            button=gettext_lazy("Approve the close-out"),
            done=gettext_lazy("The fix is closed out; the people who raised it can judge it."),
            confirm=True,
        ),
        Transition(
            S.CLOSE_REQUESTED,
            REFUSE_CLOSE,
            S.IN_PROGRESS,
            UPPER,
            K.CLOSE_REFUSED,
            button=gettext_lazy("Refuse the close-out"),
            done=gettext_lazy("The close-out was refused; the fix goes on."),
            note_label=gettext_lazy("What is still missing (required)"),
            note_required=True,
        ),
        Transition(
            S.CLOSED,
            REWORK,
            S.IN_PROGRESS,
            UPPER,
            K.REWORK,
            button=gettext_lazy("Send back for rework"),
            done=gettext_lazy("The fix was sent back for rework: round %(round)s begins."),
            note_label=gettext_lazy("Why it is reworked (required)"),
            note_required=True,
            confirm=True,
        ),
    ]
    for state in WORKING:
        out += _commitment(state)
    return out


#: The workflow: (state, action) -> transition. A pair not in the map is refused.
TRANSITIONS: dict[tuple[str, str], Transition] = {(t.state, t.action): t for t in _all()}


def transition(fix: Fix, action: str, *, version: int | None = None) -> Transition:
    """The step `action` from the fix's present state, or the refusal: an action the state does
    not allow (`fix_state`), or a fix changed since the caller read it at `version`
    (`fix_changed`: two people closing the same fix at once, one wins)."""
    if action not in ACTIONS:
        raise ApplicationError(_("Unknown step %(action)s.") % {"action": action}, field="action")
    if version is not None and version != fix.version:
        raise ApplicationError(
            _(
                "This fix was changed by someone else while you were looking at it (it is now "
                "%(state)s); look at it again before you act."
            )
            % {"state": FixState(fix.state).label},
            code="fix_changed",
            field="version",
        )
    found = TRANSITIONS.get((fix.state, action))
    if found is None:
        raise ApplicationError(
            _("This step cannot be taken on a fix that is %(state)s.")
            % {"state": FixState(fix.state).label},
            code="fix_state",
            field="state",
        )
    return found


def upper_org(org: Organization) -> Organization:
    """Where the level above acts: the parent organization (the root approves its own)."""
    return org.parent if org.parent_id is not None and org.parent is not None else org


def sides_of(user: User | None, fix: Fix) -> set[str]:
    """The sides the user acts for on this fix (the system, `None`, acts for both)."""
    if user is None:
        return {RESPONSIBLE, UPPER}
    sides: set[str] = set()
    if can(user, RECTIFICATION_MANAGE, fix.org):
        sides.add(RESPONSIBLE)
    if can(user, RECTIFICATION_APPROVE, upper_org(fix.org)):
        sides.add(UPPER)
    return sides


def may(step: Transition, sides: set[str]) -> bool:
    return bool(sides) if step.side == EITHER else step.side in sides


def actions_for(user: User | None, fix: Fix) -> list[str]:
    """The actions the user may take on the fix in its present state, in the map's order: the
    page's buttons, the API's `actions` and the service's permission check. A published
    commitment is not published again, nor one never prepared."""
    sides = sides_of(user, fix)
    return [
        step.action
        for (state, action), step in TRANSITIONS.items()
        if state == fix.state and may(step, sides) and _fits(fix, action)
    ]


def _fits(fix: Fix, action: str) -> bool:
    if action == PUBLISH_COMMITMENT:
        return bool(fix.commitment_prepared_at) and not fix.published
    if action == PREPARE_COMMITMENT:
        return not fix.published
    if action == REQUEST_EXTENSION:
        return fix.deadline is not None
    return True


def markdown_table() -> str:
    """The state machine as the Markdown table of decision 0022 (a test keeps them equal)."""
    return transitions.markdown_table(TRANSITIONS.values())


def describe(step: Transition, **values: Any) -> str:
    return str(step.done) % values if values else str(step.done)
