"""/api/v1/rectification: the staff side of rectification (decision 0022, "API and the public
board"): an organization's problems and fixes in keyset pages, one of each with the actions
the caller may take, a fix's history by round, its steps as the workflow map declares them
(`workflow.actions_for`), escalation, and publishing an organization's prepared commitments
at once. Errors: 400 with the message and field (a version another person changed meanwhile
is `fix_changed` / `problem_changed`), 401, 403 for a step the caller may not take, 404 for
what is out of their view, 422."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from massline.access.permissions import (
    RECTIFICATION_APPROVE,
    RECTIFICATION_MANAGE,
    RECTIFICATION_VIEW,
)
from massline.access.policy import access_org, can
from massline.accounts.requests import request_user
from massline.campaigns.models import Campaign
from massline.core.api_schemas import NO_NUL, errors, one_of
from massline.core.errors import ApplicationError
from massline.opinions.models import OpinionCategory
from massline.orgs.models import Organization

from . import workflow
from .api_reads import (
    PAGE,
    PAGE_MAX,
    FixFilter,
    ProblemFilter,
    fix_for,
    fixes_page,
    fixes_q,
    opinions_named,
    org_in_view,
    orgs_in_view,
    problem_for,
    problem_named,
    problems_page,
)
from .api_schemas import (
    ClaimIn,
    FixDetail,
    FixIn,
    FixPage,
    FixStepForm,
    FixStepIn,
    ProblemDetail,
    ProblemIn,
    ProblemPage,
    PublishedOut,
    ReasonIn,
    StepsOut,
)
from .fix_services import commitments_publish, fix_act, fix_create
from .models import Fix, FixKind, FixState, Problem, ProblemSource, ProblemStatus
from .problem_services import problem_claim, problem_create, problem_decline, problem_escalate

router = Router(tags=["rectification"])

ESCALATE, CLAIM, DECLINE = "escalate", "claim", "decline"
Cursor = Query("", max_length=300, pattern=NO_NUL)
Limit = Query(PAGE, ge=1, le=PAGE_MAX)
# documented values; the code refuses others (400 naming the field), as the other routers do
SourceFilter = Annotated[str, one_of(["", *ProblemSource.values])]
StatusFilter = Annotated[str, one_of(["", *ProblemStatus.values])]
StateFilter = Annotated[str, one_of(["", "open", *FixState.values])]
KindFilter = Annotated[str, one_of(["", *FixKind.values])]


# --- problems ---------------------------------------------------------------------------


def problem_actions(user: Any, p: Problem) -> list[str]:
    """What the caller may do to the problem now: escalate it (the owner, when there is a level
    above), or claim or decline it (the level above it was escalated to)."""
    if p.status == ProblemStatus.OPEN:
        up = p.org.parent_id is not None and can(user, RECTIFICATION_MANAGE, p.org)
        return [ESCALATE] if up else []
    if p.escalated_to is not None and can(user, RECTIFICATION_APPROVE, p.escalated_to):
        return [CLAIM, DECLINE]
    return []


def _problem_detail(request: HttpRequest, pk: int) -> Problem:
    user = request_user(request)
    p = problem_for(user, pk)
    seen = fixes_q(user)
    fixes = Fix.objects.filter(problem=p) if seen is None else Fix.objects.filter(seen, problem=p)
    p.fixes_seen = list(fixes.order_by("pk"))  # type: ignore[attr-defined]
    p.opinion_ids = list(  # type: ignore[attr-defined]
        p.opinions.order_by("pk").values_list("pk", flat=True)
    )
    p.actions = problem_actions(user, p)  # type: ignore[attr-defined]
    return p


def _category(pk: int | None) -> OpinionCategory | None:
    if pk is None:
        return None
    found = OpinionCategory.objects.filter(pk=pk).first()
    if found is None:
        raise ApplicationError(_("Unknown category."), field="category")
    return found


def _campaign(pk: int | None, org: Organization) -> int | None:
    """A campaign the problem belongs to: one whose subtree holds the organization."""
    if pk is None:
        return None
    path = Campaign.objects.filter(pk=pk).values_list("org_path", flat=True).first()
    if path is None or not org.path.startswith(path):
        raise ApplicationError(
            _("No campaign %(n)s covers %(org)s.") % {"n": pk, "org": org.name}, field="campaign"
        )
    return pk


@router.get(
    "/problems",
    response={200: ProblemPage, **errors(400, 401, 403, 404, 422)},
    summary="An organization's problems (owned in its subtree, found there or escalated to it)",
)
def problems_list(
    request: HttpRequest,
    org: int = Query(..., ge=1, le=2**31 - 1),
    source: SourceFilter = "",
    status: StatusFilter = "",
    category: int | None = Query(None, ge=1, le=2**31 - 1),
    after: str = Cursor,
    limit: int = Limit,
) -> dict[str, object]:
    """`after`: the previous page's `next_after`."""
    user = request_user(request)
    where = access_org(user, org, RECTIFICATION_VIEW)
    if source not in ("", *ProblemSource.values):
        raise ApplicationError(
            _("Unknown source %(value)s.") % {"value": source[:20]}, field="source"
        )
    if status not in ("", *ProblemStatus.values):
        raise ApplicationError(
            _("Unknown status %(value)s.") % {"value": status[:20]}, field="status"
        )
    f = ProblemFilter(source=source, status=status, category=category)
    rows, cursor = problems_page(user, where, f, after=after, limit=limit)
    return {"items": rows, "next_after": cursor or None}


@router.post(
    "/problems",
    response={201: ProblemDetail, **errors(400, 401, 403, 404, 422)},
    summary="Record a problem at an organization",
)
def problem_post(request: HttpRequest, payload: ProblemIn) -> tuple[int, Problem]:
    user = request_user(request)
    org = access_org(user, payload.org, RECTIFICATION_MANAGE)
    p = problem_create(
        actor=user,
        org=org,
        source=payload.source,
        description=payload.description,
        responsible_person=payload.responsible_person,
        category=_category(payload.category),
        opinions=opinions_named(payload.opinions),
        campaign_id=_campaign(payload.campaign, org),
    )
    return 201, _problem_detail(request, p.pk)


@router.get(
    "/problems/{problem_id}",
    response={200: ProblemDetail, **errors(401, 404, 422)},
    summary="One problem with its fixes and the actions open to the caller",
)
def problem_get(request: HttpRequest, problem_id: int) -> Problem:
    return _problem_detail(request, problem_id)


@router.post(
    "/problems/{problem_id}/escalate",
    response={200: ProblemDetail, **errors(400, 401, 403, 404, 422)},
    summary="Say the problem's cause sits above: the level above is asked to claim it",
)
def problem_escalate_post(request: HttpRequest, problem_id: int, payload: ReasonIn) -> Problem:
    p = problem_for(request_user(request), problem_id)
    problem_escalate(
        actor=request_user(request), problem=p, reason=payload.reason, version=payload.version
    )
    return _problem_detail(request, problem_id)


@router.post(
    "/problems/{problem_id}/claim",
    response={200: ProblemDetail, **errors(400, 401, 403, 404, 422)},
    summary="Claim a problem escalated from below, with its open fixes",
)
def problem_claim_post(request: HttpRequest, problem_id: int, payload: ClaimIn) -> Problem:
    p = problem_for(request_user(request), problem_id)
    problem_claim(
        actor=request_user(request),
        problem=p,
        responsible_person=payload.responsible_person,
        version=payload.version,
    )
    return _problem_detail(request, problem_id)


@router.post(
    "/problems/{problem_id}/decline",
    response={200: ProblemDetail, **errors(400, 401, 403, 404, 422)},
    summary="Decline a problem escalated from below: it stays with the organization below",
)
def problem_decline_post(request: HttpRequest, problem_id: int, payload: ReasonIn) -> Problem:
    p = problem_for(request_user(request), problem_id)
    problem_decline(
        actor=request_user(request), problem=p, reason=payload.reason, version=payload.version
    )
    return _problem_detail(request, problem_id)


# --- fixes ------------------------------------------------------------------------------


def _fix_detail(request: HttpRequest, pk: int) -> Fix:
    user = request_user(request)
    f = fix_for(user, pk)
    f.actions = workflow.actions_for(user, f)  # type: ignore[attr-defined]
    return f


@router.get(
    "/fixes",
    response={200: FixPage, **errors(400, 401, 403, 404, 422)},
    summary="An organization's fixes (responsible in its subtree, found there, or co-working)",
)
def fixes_list(
    request: HttpRequest,
    org: int = Query(..., ge=1, le=2**31 - 1),
    state: StateFilter = "",
    kind: KindFilter = "",
    overdue: bool | None = None,
    published: bool | None = None,
    problem: int | None = Query(None, ge=1, le=2**31 - 1),
    after: str = Cursor,
    limit: int = Limit,
) -> dict[str, object]:
    """`state`: a state, or open (every state but closed); `after`: the previous page's
    `next_after`."""
    user = request_user(request)
    where = access_org(user, org, RECTIFICATION_VIEW)
    if state not in ("", "open", *FixState.values):
        raise ApplicationError(_("Unknown state %(value)s.") % {"value": state[:20]}, field="state")
    if kind not in ("", *FixKind.values):
        raise ApplicationError(
            _("Unknown kind of fix %(value)s.") % {"value": kind[:20]}, field="kind"
        )
    f = FixFilter(
        state=state,
        kind=kind,
        overdue=overdue,
        published=published,
        problem=problem,
    )
    rows, cursor = fixes_page(user, where, f, after=after, limit=limit)
    return {"items": rows, "next_after": cursor or None}


@router.post(
    "/fixes",
    response={201: FixDetail, **errors(400, 401, 403, 404, 422)},
    summary="Record a fix of a problem",
)
def fix_post(request: HttpRequest, payload: FixIn) -> tuple[int, Fix]:
    user = request_user(request)
    problem = problem_named(user, payload.problem)
    f = fix_create(
        actor=user,
        problem=problem,
        measure=payload.measure,
        kind=payload.kind,
        deadline=payload.deadline,
        responsible_person=payload.responsible_person,
        org=org_in_view(user, payload.org, "org"),
        co_orgs=orgs_in_view(user, payload.co_orgs, "co_orgs"),
        handover_org=org_in_view(user, payload.handover_org, "handover_org"),
    )
    return 201, _fix_detail(request, f.pk)


@router.get(
    "/fixes/{fix_id}",
    response={200: FixDetail, **errors(401, 404, 422)},
    summary="One fix with its version and the steps open to the caller",
)
def fix_get(request: HttpRequest, fix_id: int) -> Fix:
    return _fix_detail(request, fix_id)


@router.get(
    "/fixes/{fix_id}/steps",
    response={200: StepsOut, **errors(401, 404, 422)},
    summary="A fix's history, every round, oldest first",
)
def fix_steps(request: HttpRequest, fix_id: int) -> dict[str, Any]:
    f = fix_for(request_user(request), fix_id)
    steps = f.steps.select_related("org", "actor").prefetch_related("files").order_by("at", "pk")
    return {"round": f.round, "steps": list(steps)}


def _act(request: HttpRequest, fix_id: int, payload: FixStepIn, files: list[Any]) -> Fix:
    user = request_user(request)
    f = fix_for(user, fix_id)
    fix_act(
        actor=user,
        fix=f,
        action=payload.action,
        version=payload.version,
        note=payload.note,
        until=payload.until,
        audience=payload.audience,
        promised_on=payload.promised_on,
        public=payload.public,
        files=files,
    )
    return _fix_detail(request, fix_id)


@router.post(
    "/fixes/{fix_id}/steps",
    response={200: FixDetail, **errors(400, 401, 403, 404, 422)},
    summary="Take a step on a fix: progress, extension, close-out, commitment, rework",
)
def fix_step_post(request: HttpRequest, fix_id: int, payload: FixStepIn) -> Fix:
    """The step must be among the fix's `actions`; send the `version` you read."""
    return _act(request, fix_id, payload, [])


@router.post(
    "/fixes/{fix_id}/steps/files",
    response={200: FixDetail, **errors(400, 401, 403, 404, 413, 422)},
    summary="Take a step with evidence files (multipart): progress or a close-out request",
)
def fix_step_files_post(
    request: HttpRequest,
    fix_id: int,
    payload: Form[FixStepForm],
    files: list[UploadedFile] = File(None),  # noqa: B008
) -> Fix:
    """The same fields as a form, and up to 10 files (PDF, JPG, PNG, DOCX, XLSX; each checked
    by its content)."""
    return _act(request, fix_id, payload.as_step(), [(f.name or "", f) for f in files or []])


@router.post(
    "/orgs/{org_id}/commitments/publish",
    response={200: PublishedOut, **errors(400, 401, 403, 404, 422)},
    summary="Publish every prepared commitment of the organization's fixes, at one moment",
)
def commitments_publish_post(request: HttpRequest, org_id: int) -> dict[str, int]:
    user = request_user(request)
    org = access_org(user, org_id, RECTIFICATION_MANAGE)
    return {"published": commitments_publish(actor=user, org=org)}
