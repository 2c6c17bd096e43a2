"""The campaign overview at one organization (decision 0018): the figures per level and batch
of its subtree and one bar per child organization (the span of the child's subtree windows),
read from the rollups (`SubtreeWave`) of the organization and of its children, never from the
subtree; and the lists of organizations in a subtree (not started; the actions branch
registers late and overdue ones through `register_list`), keyset-paged by path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from massline.access.permissions import CAMPAIGNS_VIEW
from massline.access.policy import access_org, can, scope_roots
from massline.core.errors import NotFound
from massline.orgs import counters
from massline.orgs.models import DivisionLevel, Organization
from massline.orgs.paths import subtree_q

from .action_counters import DONE, LATE, code
from .models import Batch, Campaign, Participation, SubtreeWave

CHILD_LIMIT = 300  # bars on one chart; a level with more is listed in the table's pages
LIST_PAGE = 50


def level_label(level: int) -> str:
    try:
        return str(DivisionLevel(level).label)
    except ValueError:
        return str(level)


def overview_org(user: Any, campaign: Campaign, org_id: Any = None) -> Organization:
    """The organization the overview is at: the one asked for (inside the campaign and the
    user's view), else the campaign's organization, else the user's highest one under it."""
    if org_id:
        org = access_org(user, org_id, CAMPAIGNS_VIEW)
        if not org.path.startswith(campaign.org_path):
            raise NotFound()
        return org
    if can(user, CAMPAIGNS_VIEW, campaign.org):
        return campaign.org
    for root in scope_roots(user, CAMPAIGNS_VIEW):
        if root.path.startswith(campaign.org_path):
            return root
    raise NotFound()


class _Counted:
    level: int
    participating: int
    started: int

    @property
    def level_label(self) -> str:
        return level_label(self.level)

    @property
    def not_started(self) -> int:
        return self.participating - self.started


@dataclass
class LevelFigure(_Counted):
    level: int
    batch_id: int
    batch_name: str = ""
    participating: int = 0
    started: int = 0


@dataclass
class Bar(_Counted):
    """A child organization's bar: the span of its subtree's windows."""

    org: Organization
    level: int
    starts_on: dt.date  # the first window of the subtree opens
    ends_on: dt.date  # the last one closes
    last_start: dt.date  # the last one opens: the waves have reached the whole subtree
    participating: int = 0
    started: int = 0

    @property
    def region(self) -> str:
        return self.org.division.name if self.org.division_id and self.org.division else ""


@dataclass
class Overview:
    campaign: Campaign
    org: Organization
    today: dt.date
    own: Participation | None
    levels: list[LevelFigure] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    more_children: bool = False
    actions_done: int = 0  # completions recorded in the subtree, in this campaign
    actions_late: int = 0  # of them, recorded after their due day

    @property
    def participating(self) -> int:
        return sum(f.participating for f in self.levels)

    @property
    def started(self) -> int:
        return sum(f.started for f in self.levels)

    @property
    def not_started(self) -> int:
        return self.participating - self.started


def _fold(waves: list[dict[str, Any]], today: dt.date) -> dict[tuple[int, int], LevelFigure]:
    out: dict[tuple[int, int], LevelFigure] = {}
    for w in waves:
        fig = out.setdefault((w["level"], w["batch_id"]), LevelFigure(w["level"], w["batch_id"]))
        fig.participating += w["count"]
        if w["starts_on"] <= today:
            fig.started += w["count"]
    return out


WAVE_FIELDS = ("org_id", "level", "batch_id", "starts_on", "last_end", "count")


def overview(campaign: Campaign, org: Organization, today: dt.date) -> Overview:
    """Six queries whatever the subtree: the organization's window and rollups, its
    counters, its children, their windows and rollups, the batches' names."""
    own = Participation.objects.filter(campaign=campaign, org=org).first()
    waves = list(SubtreeWave.objects.filter(campaign=campaign, org_id=org.pk).values(*WAVE_FIELDS))
    names = dict(Batch.objects.filter(campaign=campaign).values_list("pk", "name"))
    figures = sorted(_fold(waves, today).values(), key=lambda f: (f.level, f.batch_id))
    for f in figures:
        f.batch_name = names.get(f.batch_id, "")
    children = list(
        Organization.objects.filter(parent_id=org.pk)
        .select_related("division")
        .order_by("code")[: CHILD_LIMIT + 1]
    )
    result = Overview(campaign, org, today, own, figures, more_children=len(children) > CHILD_LIMIT)
    mine = counters.read([org.pk]).get(org.pk, {})
    result.actions_done = mine.get(code(campaign.pk, DONE), (0, 0))[1]
    result.actions_late = mine.get(code(campaign.pk, LATE), (0, 0))[1]
    children = children[:CHILD_LIMIT]
    if not children:
        return result
    levels = dict(
        Participation.objects.filter(
            campaign=campaign, org_id__in=[c.pk for c in children]
        ).values_list("org_id", "level")
    )
    bars: dict[int, Bar] = {}
    for w in SubtreeWave.objects.filter(
        campaign=campaign, org_id__in=[c.pk for c in children]
    ).values(*WAVE_FIELDS):
        bar = bars.get(w["org_id"])
        if bar is None:
            bar = bars[w["org_id"]] = Bar(
                None,  # type: ignore[arg-type]
                0,
                w["starts_on"],
                w["last_end"],
                w["starts_on"],
            )
        bar.starts_on = min(bar.starts_on, w["starts_on"])
        bar.last_start = max(bar.last_start, w["starts_on"])
        bar.ends_on = max(bar.ends_on, w["last_end"])
        bar.participating += w["count"]
        if w["starts_on"] <= today:
            bar.started += w["count"]
    for child in children:
        bar = bars.get(child.pk)
        if bar is not None:
            bar.org = child
            bar.level = levels.get(child.pk, 0)
    result.bars = sorted(
        (b for b in bars.values() if b.org is not None),
        key=lambda b: (b.level, b.region, b.starts_on, b.org.code),
    )
    return result


# --- lists of organizations in a subtree --------------------------------------------------

ListFn = Callable[[Campaign, Organization, dt.date], "QuerySet[Participation]"]


@dataclass(frozen=True)
class OrgList:
    code: str
    label: str | Promise
    rows_fn: ListFn  # Participation rows in the subtree, filtered; paged here by org_path
    order: int = 100


_lists: dict[str, OrgList] = {}


def register_list(code: str, label: str | Promise, rows_fn: ListFn, order: int = 100) -> None:
    """A list of organizations on the overview (the actions branch adds "late" and "with
    overdue required actions"): `rows_fn(campaign, org, today)` returns the Participation
    rows of `org`'s subtree it keeps, an indexed filter; pages and the export walk them by
    path."""
    _lists[code] = OrgList(code, label, rows_fn, order)


def registered_lists() -> list[OrgList]:
    return sorted(_lists.values(), key=lambda x: (x.order, x.code))


def org_list(code: str) -> OrgList:
    found = _lists.get(code)
    if found is None:
        raise NotFound()
    return found


def subtree_rows(campaign: Campaign, org: Organization) -> QuerySet[Participation]:
    return Participation.objects.filter(subtree_q("org_path", org.path), campaign=campaign)


def not_started_rows(campaign: Campaign, org: Organization, today: dt.date):
    return subtree_rows(campaign, org).filter(starts_on__gt=today)


register_list("not_started", _("Organizations not started"), not_started_rows, order=10)


def list_page(
    lst: OrgList, campaign: Campaign, org: Organization, today: dt.date, after: str = ""
) -> tuple[list[Participation], str]:
    """One page of the list after the path `after`, and the path to continue after ("" at
    the end): one query."""
    qs = lst.rows_fn(campaign, org, today).select_related("org", "batch").order_by("org_path")
    if after:
        qs = qs.filter(org_path__gt=after)
    rows = list(qs[: LIST_PAGE + 1])
    more = len(rows) > LIST_PAGE
    rows = rows[:LIST_PAGE]
    for r in rows:
        r.level_text = level_label(r.level)  # type: ignore[attr-defined]
    return rows, (rows[-1].org_path if more else "")
