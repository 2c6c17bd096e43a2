"""An organization's checklist in a campaign, computed (decision 0017): the actions defined at
it and at each of its ancestors within the campaign that apply to it (level, kind, unit
type), each with the day it is due (a date, or its window's start plus an offset) and its
status today. Three queries: the window, the definitions along the path, the completions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from massline.orgs.models import Organization
from massline.orgs.paths import KEY_WIDTH

from . import phases
from .models import ActionDefinition, Campaign, Completion, Participation

DONE, DUE, LATE, NOT_OPEN = "done", "due", "late", "not_open"


@dataclass(frozen=True)
class Item:
    action: ActionDefinition
    due_on: dt.date
    status: str
    completion: Completion | None
    open_reason: str = ""

    @property
    def kind_label(self) -> str:
        return str(phases.ACTION_KINDS.get(self.action.kind, self.action.kind))


def ancestors_paths(path: str) -> list[str]:
    return [path[:end] for end in range(KEY_WIDTH, len(path) + 1, KEY_WIDTH)]


def applies(action: ActionDefinition, org: Organization, level: int) -> bool:
    return (
        org.path.startswith(action.org_path)
        and (not action.levels or level in action.levels)
        and (not action.kinds or org.kind in action.kinds)
        and (not action.unit_types or org.unit_type in action.unit_types)
    )


def due_day(action: ActionDefinition, window: Participation) -> dt.date:
    if action.due_on is not None:
        return action.due_on
    return window.starts_on + dt.timedelta(days=action.offset_days or 0)


def status(
    action: ActionDefinition, window: Participation, due: dt.date, today: dt.date
) -> tuple[str, str]:
    """(status, why it is not open) for an action not yet done."""
    if today < window.starts_on:
        return NOT_OPEN, "window"
    if phases.allowed(window.phase, action.kind) is None:
        return NOT_OPEN, "phase"
    return (LATE if today > due else DUE), ""


def window_of(campaign: Campaign, org: Organization) -> Participation | None:
    return Participation.objects.filter(campaign=campaign, org=org).first()


def definitions_along(campaign: Campaign, org: Organization) -> list[ActionDefinition]:
    return list(
        ActionDefinition.objects.filter(campaign=campaign, org_path__in=ancestors_paths(org.path))
        .select_related("org")
        .order_by("due_on", "offset_days", "org_path", "id")
    )


def checklist(
    campaign: Campaign, org: Organization, today: dt.date, window: Participation | None = None
) -> list[Item]:
    """The organization's checklist; empty while it has no window in the campaign."""
    window = window or window_of(campaign, org)
    if window is None:
        return []
    actions = [a for a in definitions_along(campaign, org) if applies(a, org, window.level)]
    done = {
        c.action_id: c
        for c in Completion.objects.filter(campaign=campaign, org=org).prefetch_related("files")
    }
    items = []
    for a in actions:
        due = due_day(a, window)
        c = done.get(a.pk)
        if c is not None:
            items.append(Item(a, due, DONE, c))
        else:
            st, why = status(a, window, due, today)
            items.append(Item(a, due, st, None, why))
    items.sort(key=lambda i: (i.due_on, not i.action.required, i.action.pk))
    return items


def item_for(campaign: Campaign, org: Organization, action_id: int, today: dt.date) -> Item | None:
    return next((i for i in checklist(campaign, org, today) if i.action.pk == action_id), None)
