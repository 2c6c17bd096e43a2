"""The opinion statistics of an organization (decision 0021, "Statistics"): totals, by status,
by channel and by category, for the organization's subtree, and the same totals for each of
its children, all read from the counters (`opinions/counters.py`): three queries whatever the
subtree (the children, their counters and the organization's, the categories' titles)."""

from __future__ import annotations

from dataclasses import dataclass, field

from massline.orgs import counters
from massline.orgs.models import Organization

from .counters import CATEGORY_PREFIX
from .models import Channel, OpinionCategory, OpinionStatus

CHILD_LIMIT = 300  # one table; a level with more is reached through the organization picker


@dataclass(frozen=True)
class Part:
    """One slice of a breakdown: its key (a status, a channel, a category id), label, count."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Totals:
    total: int
    open: int
    overdue: int
    anonymous: int

    @property
    def anonymous_percent(self) -> str:
        return f"{self.anonymous * 100 / self.total:.0f}%" if self.total else "—"


@dataclass
class Child:
    org: Organization
    totals: Totals


@dataclass
class Stats:
    org: Organization
    totals: Totals
    by_status: list[Part] = field(default_factory=list)
    by_channel: list[Part] = field(default_factory=list)
    by_category: list[Part] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    more_children: bool = False


def _subtree(figures: dict[str, tuple[int, int]], code: str) -> int:
    return figures.get(code, (0, 0))[1]


def _totals(figures: dict[str, tuple[int, int]]) -> Totals:
    return Totals(
        total=_subtree(figures, "opinions.total"),
        open=_subtree(figures, "opinions.open"),
        overdue=_subtree(figures, "opinions.overdue"),
        anonymous=_subtree(figures, "opinions.anonymous"),
    )


def _categories(figures: dict[str, tuple[int, int]]) -> list[Part]:
    """The categories with opinions in the subtree, most opinions first (one query for the
    titles; none when no opinion has a category)."""
    counted = {
        int(code[len(CATEGORY_PREFIX) :]): value[1]
        for code, value in figures.items()
        if code.startswith(CATEGORY_PREFIX) and value[1]
    }
    if not counted:
        return []
    titles = dict(OpinionCategory.objects.filter(pk__in=counted).values_list("pk", "title"))
    parts = [Part(str(pk), titles[pk], n) for pk, n in counted.items() if pk in titles]
    return sorted(parts, key=lambda p: (-p.count, p.label))


def stats(org: Organization) -> Stats:
    """The figures of `org`'s subtree and of each child's (the first CHILD_LIMIT by code)."""
    children = list(
        Organization.objects.filter(parent_id=org.pk).order_by("code")[: CHILD_LIMIT + 1]
    )
    more = len(children) > CHILD_LIMIT
    children = children[:CHILD_LIMIT]
    read = counters.read([org.pk, *(c.pk for c in children)])
    mine = read.get(org.pk, {})
    return Stats(
        org=org,
        totals=_totals(mine),
        by_status=[
            Part(s.value, str(s.label), _subtree(mine, f"opinions.status.{s.value}"))
            for s in OpinionStatus
        ],
        by_channel=[
            Part(c.value, str(c.label), _subtree(mine, f"opinions.channel.{c.value}"))
            for c in Channel
        ],
        by_category=_categories(mine),
        children=[Child(c, _totals(read.get(c.pk, {}))) for c in children],
        more_children=more,
    )
