"""/api/v1/campaigns: campaigns in view, one campaign with its batches and phases, and an
organization's window and phase in a campaign; scoped like the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from massline.access.permissions import CAMPAIGNS_RECORD, CAMPAIGNS_VIEW
from massline.access.policy import access_org
from massline.accounts.requests import request_user
from massline.core.api_schemas import RequestBody, errors
from massline.core.errors import NotFound

from . import action_services, checklist
from .overview import overview, overview_org
from .selectors import batches_of, campaign_for, campaigns_visible, org_window

router = Router(tags=["campaigns"])


class CampaignOut(Schema):
    id: int
    title: str
    kind: str
    template: str
    org: int
    org_code: str
    starts_on: dt.date
    ends_on: dt.date
    phased: bool


class PhaseOut(Schema):
    position: int
    code: str
    title: str


class BatchOut(Schema):
    id: int
    position: int
    name: str
    scope: str
    starts_on: dt.date
    ends_on: dt.date
    levels: list[int]
    kinds: list[str]
    unit_types: list[str]
    rest: bool


class RulesOut(Schema):
    level_offset_days: int
    subordinate_offset_days: int
    min_concentrated_months: int
    villages_flexible: bool
    throughout: list[str]


class CampaignDetail(CampaignOut):
    phases: list[PhaseOut]
    batches: list[BatchOut]
    rules: RulesOut


class WindowOut(Schema):
    starts_on: dt.date
    ends_on: dt.date


class CompletionOut(Schema):
    done_on: dt.date
    late: bool
    recorded_at: dt.datetime
    text: str
    links: list[str]
    files: list[str]


class ChecklistItemOut(Schema):
    """One action of an organization's checklist: `status` is done, due, late or not_open
    (its window has not opened, or its phase does not allow the action yet)."""

    action: int
    kind: str
    title: str
    required: bool
    defined_at: int
    due_on: dt.date
    status: str
    evidence: dict[str, str]
    completion: CompletionOut | None


class ScheduleOut(Schema):
    """An organization's place in a campaign. `window` is null until the schedule is applied
    (or when it is in no batch); `checklist` lists the actions that apply to it, with their
    status and completion (decision 0017)."""

    campaign: int
    org: int
    org_code: str
    window: WindowOut | None
    batch: str | None
    started: bool
    flexible: bool
    override_reason: str
    phase: str
    phase_label: str
    next_phase: str | None
    parent_window: WindowOut | None
    checklist: list[ChecklistItemOut]


def _campaign(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "title": c.title,
        "kind": c.kind,
        "template": c.template.code,
        "org": c.org_id,
        "org_code": c.org.code,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "phased": c.phased,
    }


@router.get(
    "",
    response={200: list[CampaignOut], **errors(401, 422)},
    summary="Campaigns that cover an organization in view",
)
def campaigns_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_campaign(c) for c in campaigns_visible(request.user)[:500]]


@router.get(
    "/{campaign_id}",
    response={200: CampaignDetail, **errors(401, 404, 422)},
    summary="One campaign with its phases, batches and rollout rules",
)
def campaign_get(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    c = campaign_for(request.user, campaign_id)
    return {
        **_campaign(c),
        "phases": [
            {"position": p.position, "code": p.code, "title": p.title} for p in c.phases.all()
        ],
        "batches": [
            {
                "id": b.pk,
                "position": b.position,
                "name": b.name,
                "scope": b.scope,
                "starts_on": b.starts_on,
                "ends_on": b.ends_on,
                "levels": b.levels,
                "kinds": b.kinds,
                "unit_types": b.unit_types,
                "rest": b.rest,
            }
            for b in batches_of(c)
        ],
        "rules": {
            "level_offset_days": c.level_offset_days,
            "subordinate_offset_days": c.subordinate_offset_days,
            "min_concentrated_months": c.min_concentrated_months,
            "villages_flexible": c.villages_flexible,
            "throughout": c.throughout,
        },
    }


def _window(row: Any) -> dict[str, Any] | None:
    return None if row is None else {"starts_on": row.starts_on, "ends_on": row.ends_on}


@router.get(
    "/{campaign_id}/schedule",
    response={200: ScheduleOut, **errors(401, 404, 422)},
    summary="An organization's window and phase in a campaign",
)
def campaign_schedule(
    request: HttpRequest, campaign_id: int, org: int = Query(..., ge=1)
) -> dict[str, Any]:
    target = access_org(request.user, org, CAMPAIGNS_VIEW)
    c = campaign_for(request.user, campaign_id)
    if not target.path.startswith(c.org_path):
        raise NotFound()
    today = timezone.localdate()
    w = org_window(c, target, today)
    row = w.row
    return {
        "campaign": c.pk,
        "org": target.pk,
        "org_code": target.code,
        "window": _window(row),
        "batch": w.batch.name if w.batch else None,
        "started": w.started,
        "flexible": bool(row and row.flexible),
        "override_reason": row.override_reason if row else "",
        "phase": (row.phase or "throughout") if row else "",
        "phase_label": w.phase_label,
        "next_phase": w.next_phase,
        "parent_window": _window(w.parent_row),
        "checklist": [_item(i) for i in checklist.checklist(c, target, today, row)] if row else [],
    }


def _item(i: checklist.Item) -> dict[str, Any]:
    a, done = i.action, i.completion
    return {
        "action": a.pk,
        "kind": a.kind,
        "title": a.title,
        "required": a.required,
        "defined_at": a.org_id,
        "due_on": i.due_on,
        "status": i.status,
        "evidence": {"text": a.evidence_text, "file": a.evidence_file, "link": a.evidence_link},
        "completion": None
        if done is None
        else {
            "done_on": done.done_on,
            "late": done.late,
            "recorded_at": done.recorded_at,
            "text": done.text,
            "links": done.links,
            "files": [f.name for f in done.files.all()],
        },
    }


class CompletionIn(RequestBody):
    org: int
    action: int
    text: str = Field("", max_length=20000)
    links: list[str] = Field(default_factory=list, max_length=50)


class CompletionRecorded(Schema):
    campaign: int
    org: int
    action: int
    done_on: dt.date
    late: bool


def _campaign_org(request: HttpRequest, campaign_id: int, org_id: int) -> tuple[Any, Any]:
    target = access_org(request.user, org_id, CAMPAIGNS_RECORD)
    c = campaign_for(request.user, campaign_id)
    if not target.path.startswith(c.org_path):
        raise NotFound()
    return c, target


@router.post(
    "/{campaign_id}/completions",
    response={201: CompletionRecorded, **errors(400, 401, 403, 404, 422)},
    summary="Record that an organization did an action, with a written account and links",
)
def completion_create(
    request: HttpRequest, campaign_id: int, payload: CompletionIn
) -> tuple[int, dict[str, Any]]:
    """Files are attached on the completion page (multipart); the API takes text and links."""
    c, target = _campaign_org(request, campaign_id, payload.org)
    done = action_services.completion_record(
        actor=request_user(request),
        campaign=c,
        org=target,
        action_id=payload.action,
        text=payload.text,
        links=payload.links,
    )
    return 201, {
        "campaign": c.pk,
        "org": target.pk,
        "action": done.action_id,
        "done_on": done.done_on,
        "late": done.late,
    }


@router.delete(
    "/{campaign_id}/completions",
    response={204: None, **errors(400, 401, 403, 404, 422)},
    summary="Withdraw an organization's recorded completion of an action",
)
def completion_delete(
    request: HttpRequest,
    campaign_id: int,
    org: int = Query(..., ge=1),
    action: int = Query(..., ge=1),
) -> tuple[int, None]:
    c, target = _campaign_org(request, campaign_id, org)
    action_services.completion_withdraw(
        actor=request_user(request), campaign=c, org=target, action_id=action
    )
    return 204, None


# --- the overview (decision 0018) ---------------------------------------------------------


class LevelFigureOut(Schema):
    level: int
    level_label: str
    batch: str
    participating: int
    started: int
    not_started: int


class ChildOut(Schema):
    """A child organization: the span of its subtree's windows and how many have started."""

    org: int
    org_code: str
    name: str
    level: int
    region: str
    starts_on: dt.date
    ends_on: dt.date
    last_start: dt.date
    participating: int
    started: int


class OverviewOut(Schema):
    campaign: int
    org: int
    org_code: str
    today: dt.date
    window: WindowOut | None
    participating: int
    started: int
    not_started: int
    levels: list[LevelFigureOut]
    children: list[ChildOut]
    more_children: bool
    actions_done: int = Field(description="completions recorded in the subtree, this campaign")
    actions_late: int = Field(description="of them, recorded after their due day")


@router.get(
    "/{campaign_id}/overview",
    response={200: OverviewOut, **errors(401, 403, 404, 422)},
    summary="A campaign's figures per level and the windows of the children at an organization",
)
def campaign_overview(
    request: HttpRequest, campaign_id: int, org: int | None = Query(None, ge=1)
) -> dict[str, Any]:
    c = campaign_for(request.user, campaign_id)
    ov = overview(c, overview_org(request.user, c, org), timezone.localdate())
    return {
        "campaign": c.pk,
        "org": ov.org.pk,
        "org_code": ov.org.code,
        "today": ov.today,
        "window": _window(ov.own),
        "participating": ov.participating,
        "started": ov.started,
        "not_started": ov.not_started,
        "levels": [
            {
                "level": f.level,
                "level_label": f.level_label,
                "batch": f.batch_name,
                "participating": f.participating,
                "started": f.started,
                "not_started": f.not_started,
            }
            for f in ov.levels
        ],
        "children": [
            {
                "org": b.org.pk,
                "org_code": b.org.code,
                "name": b.org.name,
                "level": b.level,
                "region": b.region,
                "starts_on": b.starts_on,
                "ends_on": b.ends_on,
                "last_start": b.last_start,
                "participating": b.participating,
                "started": b.started,
            }
            for b in ov.bars
        ],
        "more_children": ov.more_children,
        "actions_done": ov.actions_done,
        "actions_late": ov.actions_late,
    }
