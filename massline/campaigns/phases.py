"""What each phase of a phased campaign allows, as a declared map (decision 0015):
(phase, action) -> the transition, where an action is completing an action of a kind (study,
research, …) or `advance` (the organization moves to the next phase). The 2013 campaign had
three phases; a campaign without phases (2019, 2023: "不划阶段、不分环节") is in `throughout`,
where every kind runs and nothing advances. Phases move per organization (services.
phase_advance), never for the whole province at once. Whatever asks "may this be done in this
phase" reads `TRANSITIONS`: the phase service now, the checklist's completion later."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from massline.core.errors import ApplicationError

from .models import PhaseCode

THROUGHOUT = "throughout"
ADVANCE = "advance"
ADVANCE_AUDIT = "campaigns.phase_advance"
COMPLETE_AUDIT = "campaigns.action_complete"

# The kinds of action a campaign asks for (issue 10, item 4: the checklist builds on these).
ACTION_KINDS: dict[str, Promise] = {
    "study": gettext_lazy("study"),
    "research": gettext_lazy("research"),
    "opinion_collection": gettext_lazy("opinion collection"),
    "problem_review": gettext_lazy("problem review"),
    "life_meeting": gettext_lazy("democratic or organizational life meeting"),
    "rectification": gettext_lazy("rectification"),
    "assessment": gettext_lazy("assessment"),
}

#: The phases of a phased campaign, in order.
PHASE_ORDER = (PhaseCode.LEARN.value, PhaseCode.REVIEW.value, PhaseCode.RECTIFY.value)


@dataclass(frozen=True)
class Transition:
    """One thing the map allows: in `phase`, `action` leads to `target` (the same phase for
        completing an action). `early` marks an action whose own phase is a later one that this
        phase still allows (立行立改: what can be fixed at once is fixed at once); `catch_up` an action
    of an earlier phase left undone that this phase still lets the organization make up (补课),
    recorded late as its due day has passed."""

    phase: str
    action: str
    target: str
    audit_action: str
    early: bool = False
    catch_up: bool = False


def _complete(
    phase: str, *kinds: str, early: tuple[str, ...] = (), catch_up: tuple[str, ...] = ()
) -> list[Transition]:
    return (
        [Transition(phase, kind, phase, COMPLETE_AUDIT) for kind in kinds]
        + [Transition(phase, kind, phase, COMPLETE_AUDIT, early=True) for kind in early]
        + [Transition(phase, kind, phase, COMPLETE_AUDIT, catch_up=True) for kind in catch_up]
    )


def _advance(phase: str, target: str) -> Transition:
    return Transition(phase, ADVANCE, target, ADVANCE_AUDIT)


_ALL: list[Transition] = [
    *_complete("learn", "study", "research", "opinion_collection"),
    _advance("learn", "review"),
    *_complete(
        "review",
        "study",
        "opinion_collection",
        "problem_review",
        "life_meeting",
        early=("rectification",),
        catch_up=("research",),
    ),
    _advance("review", "rectify"),
    *_complete(
        "rectify",
        "study",
        "rectification",
        "assessment",
        catch_up=("research", "opinion_collection", "problem_review", "life_meeting"),
    ),
    *_complete(THROUGHOUT, *ACTION_KINDS),
]

TRANSITIONS: dict[tuple[str, str], Transition] = {(t.phase, t.action): t for t in _ALL}


def first_phase(phased: bool) -> str:
    return PHASE_ORDER[0] if phased else THROUGHOUT


def allowed(phase: str, action: str) -> Transition | None:
    return TRANSITIONS.get((phase or THROUGHOUT, action))


def phase_label(code: str) -> str:
    if not code or code == THROUGHOUT:
        return _("runs throughout (no phases)")
    return str(PhaseCode(code).label)


def require(phase: str, action: str, *, org_name: str) -> Transition:
    """The transition, or a translated refusal naming the organization and its phase."""
    step = allowed(phase, action)
    if step is not None:
        return step
    if action == ADVANCE:
        raise ApplicationError(
            _("%(org)s is in the last phase (%(phase)s): there is no phase after it.")
            % {"org": org_name, "phase": phase_label(phase)},
            code="last_phase",
        )
    raise ApplicationError(
        _("%(org)s is in the phase “%(phase)s”, which does not allow %(action)s yet.")
        % {
            "org": org_name,
            "phase": phase_label(phase),
            "action": ACTION_KINDS.get(action, action),
        },
        code="not_in_this_phase",
    )


def index(phase: str) -> int:
    return PHASE_ORDER.index(phase) if phase in PHASE_ORDER else -1


def markdown_table() -> str:
    """The map as the table of decision 0015 (a test keeps them equal)."""
    rows = [
        "| phase | action | next phase | early | catch-up | audit action |",
        "|---|---|---|---|---|---|",
    ]
    rows += [
        f"| `{t.phase}` | {t.action} | `{t.target}` | {'yes' if t.early else ''}"
        f" | {'yes' if t.catch_up else ''} | `{t.audit_action}` |"
        for t in TRANSITIONS.values()
    ]
    return "\n".join(rows) + "\n"
