"""The shapes of the rectification API (decision 0022, "API and the public board"): what the
staff API answers about problems, fixes and their steps, and what a request may send."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BeforeValidator

from massline.core.api_schemas import LINE, NO_NUL, RequestBody, one_of
from massline.core.errors import ApplicationError

from . import workflow
from .board import Result, round_result
from .models import Audience, Fix, FixEvidence, FixKind, FixState, FixStep, Problem, ProblemSource

ID = Field(..., ge=1, le=2**31 - 1)
OPTIONAL_ID = Field(None, ge=1, le=2**31 - 1)
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _day_text(value: Any) -> Any:
    """A day is written "YYYY-MM-DD": pydantic would also take a number as seconds since 1970."""
    if not isinstance(value, str | dt.date):
        raise ValueError("Input should be a date written YYYY-MM-DD")
    return value


Day = Annotated[dt.date, BeforeValidator(_day_text)]
SourceName = Annotated[str, one_of(ProblemSource.values)]
KindName = Annotated[str, one_of(FixKind.values)]
ActionName = Annotated[str, one_of(workflow.ACTIONS)]
AudienceName = Annotated[str, one_of(["", Audience.SUBMITTERS, Audience.PUBLIC])]


class ResultOut(Schema):
    """The present round's evaluations: `evaluated`, and the three figures only when there
    are at least `k` (null otherwise: a result of fewer is not broken down anywhere)."""

    evaluated: int
    k: int
    satisfied: int | None
    basically_satisfied: int | None
    unsatisfied: int | None


def result_of(r: Result) -> dict[str, Any]:
    return {
        "evaluated": r.evaluated,
        "k": r.k,
        "satisfied": r.satisfied,
        "basically_satisfied": r.basically_satisfied,
        "unsatisfied": r.unsatisfied,
    }


class ProblemSummary(Schema):
    """`org`: the organization responsible; `origin_org`: where it was found or raised.
    `status`: open (owned here) or escalated (awaiting `escalated_to`)."""

    id: int
    org: int
    org_name: str
    origin_org: int
    origin_org_name: str
    campaign: int | None
    source: str
    source_label: str
    description: str
    category: int | None
    category_title: str | None
    responsible_person: str
    status: str
    status_label: str
    escalated_to: int | None
    escalation_reason: str
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_org(p: Problem) -> int:
        return p.org_id

    @staticmethod
    def resolve_org_name(p: Problem) -> str:
        return p.org.name

    @staticmethod
    def resolve_origin_org(p: Problem) -> int:
        return p.origin_org_id

    @staticmethod
    def resolve_origin_org_name(p: Problem) -> str:
        return p.origin_org.name

    @staticmethod
    def resolve_campaign(p: Problem) -> int | None:
        return p.campaign_id

    @staticmethod
    def resolve_source_label(p: Problem) -> str:
        return str(p.get_source_display())  # type: ignore[attr-defined]

    @staticmethod
    def resolve_category(p: Problem) -> int | None:
        return p.category_id

    @staticmethod
    def resolve_category_title(p: Problem) -> str | None:
        return p.category.title if p.category_id and p.category else None

    @staticmethod
    def resolve_status_label(p: Problem) -> str:
        return str(p.get_status_display())  # type: ignore[attr-defined]

    @staticmethod
    def resolve_escalated_to(p: Problem) -> int | None:
        return p.escalated_to_id


class FixBrief(Schema):
    id: int
    org: int
    measure: str
    kind: str
    state: str
    deadline: dt.date | None

    @staticmethod
    def resolve_org(f: Fix) -> int:
        return f.org_id


class ProblemDetail(ProblemSummary):
    """`opinions`: the ids of the opinions it came from; `fixes`: its fixes the caller sees;
    `actions`: escalate, claim, decline as open to the caller now."""

    opinions: list[int]
    fixes: list[FixBrief]
    actions: list[str]

    @staticmethod
    def resolve_opinions(p: Problem) -> list[int]:
        return list(p.opinion_ids)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_fixes(p: Problem) -> list[Fix]:
        return list(p.fixes_seen)  # type: ignore[attr-defined]


class ProblemPage(Schema):
    items: list[ProblemSummary]
    next_after: str | None


class FixOut(Schema):
    """`state`: in_progress, extension_requested, close_requested or closed; `round`: the
    rework round (1 until first reworked); `version`: send it back with a step; `result`: the
    present round's evaluations under the k rule."""

    id: int
    problem: int
    problem_description: str
    org: int
    org_name: str
    origin_org: int
    campaign: int | None
    measure: str
    kind: str
    kind_label: str
    deadline: dt.date | None
    responsible_person: str
    state: str
    state_label: str
    round: int
    reworked: bool
    overdue: bool
    extension_until: dt.date | None
    closed_on: dt.date | None
    audience: str
    promised_on: dt.date | None
    commitment_prepared_at: dt.datetime | None
    commitment_published_at: dt.datetime | None
    published: bool
    result: ResultOut
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_problem(f: Fix) -> int:
        return f.problem_id

    @staticmethod
    def resolve_problem_description(f: Fix) -> str:
        return f.problem.description

    @staticmethod
    def resolve_org(f: Fix) -> int:
        return f.org_id

    @staticmethod
    def resolve_org_name(f: Fix) -> str:
        return f.org.name

    @staticmethod
    def resolve_origin_org(f: Fix) -> int:
        return f.origin_org_id

    @staticmethod
    def resolve_campaign(f: Fix) -> int | None:
        return f.campaign_id

    @staticmethod
    def resolve_kind_label(f: Fix) -> str:
        return str(FixKind(f.kind).label)

    @staticmethod
    def resolve_state_label(f: Fix) -> str:
        return str(FixState(f.state).label)

    @staticmethod
    def resolve_result(f: Fix) -> dict[str, Any]:
        return result_of(round_result(f))


class OrgRef(Schema):
    id: int
    name: str


class FixDetail(FixOut):
    """`commitment`: the commitment's words; `co_orgs`: the organizations working with the
    responsible one; `handover_org`: the later batch's organization that takes it over;
    `actions`: the steps the caller may take now (POST them to /fixes/{id}/steps)."""

    commitment: str
    co_orgs: list[OrgRef]
    handover_org: OrgRef | None
    actions: list[str]

    @staticmethod
    def resolve_co_orgs(f: Fix) -> list[dict[str, Any]]:
        return [{"id": c.org_id, "name": c.org.name} for c in f.co_orgs.select_related("org")]

    @staticmethod
    def resolve_handover_org(f: Fix) -> dict[str, Any] | None:
        h = f.handover_org
        return {"id": h.pk, "name": h.name} if h is not None else None


class FixPage(Schema):
    items: list[FixOut]
    next_after: str | None


class FileOut(Schema):
    name: str
    content_type: str
    size: int


class FixStepOut(Schema):
    """One step of the history, with its `round`; `public`: progress the organization
    published on its board."""

    id: int
    round: int
    kind: str
    kind_label: str
    org: int | None
    org_name: str | None
    actor: str | None
    at: dt.datetime
    note: str
    public: bool
    files: list[FileOut]

    @staticmethod
    def resolve_kind_label(s: FixStep) -> str:
        return str(s.get_kind_display())  # type: ignore[attr-defined]

    @staticmethod
    def resolve_org(s: FixStep) -> int | None:
        return s.org_id

    @staticmethod
    def resolve_org_name(s: FixStep) -> str | None:
        return s.org.name if s.org_id and s.org else None

    @staticmethod
    def resolve_actor(s: FixStep) -> str | None:
        return str(s.actor) if s.actor_id and s.actor else None

    @staticmethod
    def resolve_files(s: FixStep) -> list[FixEvidence]:
        return list(s.files.all())


class StepsOut(Schema):
    """The fix's whole history, oldest first; `round`: the present round."""

    round: int
    steps: list[FixStepOut]


class ProblemIn(RequestBody):
    """`source`: opinion (needs `opinions`), team_review or self_review (need `category`, a
    checklist item), supervision or assigned. `category`: an id from the checklists."""

    org: int = ID
    source: SourceName = Field(..., max_length=16, pattern=LINE)
    description: str = Field(..., max_length=10000, pattern=NO_NUL)
    responsible_person: str = Field(..., max_length=200, pattern=NO_NUL)
    category: int | None = OPTIONAL_ID
    opinions: list[Id] = Field(default_factory=list, max_length=200)
    campaign: int | None = OPTIONAL_ID


class ReasonIn(RequestBody):
    """`version`: the problem's version the caller read (another one refuses the step)."""

    reason: str = Field(..., max_length=10000, pattern=NO_NUL)
    version: int | None = OPTIONAL_ID


class ClaimIn(RequestBody):
    responsible_person: str = Field(..., max_length=200, pattern=NO_NUL)
    version: int | None = OPTIONAL_ID


class FixIn(RequestBody):
    """`kind`: immediate, time_limited (both need a `deadline`) or ongoing. `org`: the
    organization responsible, the problem's or one below it (default: the problem's).
    `co_orgs`, `handover_org`: organization ids within your view; a fix is handed over only
    within a campaign."""

    problem: int = ID
    measure: str = Field(..., max_length=10000, pattern=NO_NUL)
    kind: KindName = Field(..., max_length=16, pattern=LINE)
    deadline: Day | None = None
    responsible_person: str = Field(..., max_length=200, pattern=NO_NUL)
    org: int | None = OPTIONAL_ID
    co_orgs: list[Id] = Field(default_factory=list, max_length=50)
    handover_org: int | None = OPTIONAL_ID


class FixStepIn(RequestBody):
    """`action`: one of the fix's `actions`. `version`: the fix's version the caller read
    (another one refuses the step: someone changed it meanwhile). `note`: what was done, the
    reason, or the commitment's words, as the step asks. `until`: the new deadline an extension
    asks for. `audience` (submitters or public) and `promised_on`: a commitment's.
    `public`: progress shown on the organization's public board."""

    action: ActionName = Field(..., max_length=32, pattern=LINE)
    version: int | None = OPTIONAL_ID
    note: str = Field("", max_length=10000, pattern=NO_NUL)
    until: Day | None = None
    audience: AudienceName = Field("", max_length=16, pattern=NO_NUL)
    promised_on: Day | None = None
    public: bool = False


FormDay = Field("", max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")


class FixStepForm(RequestBody):
    """`FixStepIn` as a multipart form, where an empty field is none: `version` digits,
    `until` and `promised_on` written YYYY-MM-DD, or empty."""

    action: ActionName = Field(..., max_length=32, pattern=LINE)
    version: str = Field("", max_length=9, pattern=r"^\d*$")
    note: str = Field("", max_length=10000, pattern=NO_NUL)
    until: str = FormDay
    audience: AudienceName = Field("", max_length=16, pattern=NO_NUL)
    promised_on: str = FormDay
    public: bool = False

    def as_step(self) -> FixStepIn:
        """The JSON body's shape; a day that is no day of the calendar is refused naming it."""
        days: dict[str, dt.date | None] = {}
        for name in ("until", "promised_on"):
            text = getattr(self, name)
            try:
                days[name] = dt.date.fromisoformat(text) if text else None
            except ValueError:
                raise ApplicationError(
                    _("%(value)s is not a day of the calendar.") % {"value": text}, field=name
                ) from None
        # built as is: "000" is version 0, which no fix has (refused as changed meanwhile)
        return FixStepIn.model_construct(
            action=self.action,
            version=int(self.version) if self.version else None,
            note=self.note,
            audience=self.audience,
            public=self.public,
            until=days["until"],
            promised_on=days["promised_on"],
        )


class PublishedOut(Schema):
    """How many prepared commitments were published now, all at the same moment."""

    published: int
