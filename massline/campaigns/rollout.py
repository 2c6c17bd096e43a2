"""The rollout schedule as a pure computation (decision 0015): from the tree in path order, the
batches' selections and the rules, each organization's batch and window. No database here:
`schedule.py` reads the rows and writes the result.

Rules, in order, for an organization in batch B at level L (1 province … 5 village):
1. the level wave: B's start + (L − the batch's shallowest level) × the level offset;
2. a leadership body's subordinates start the subordinate offset after it (when the parent
   is in the same batch): the later of 1 and the parent's start + the offset;
3. the minimum: never later than B's end − the minimum concentrated months (so every
   window lasts at least the minimum); the end is B's end;
4. an override on the organization gives its dates (its subordinates follow by rule 2); an
   override of a subtree gives every organization in it the same dates;
5. an organization that has already started keeps its stored dates, whatever the above says
   (the change lists it as kept)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from massline.orgs.paths import KEY_WIDTH

VILLAGE_LEVEL = 5


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), on the month's last day when it has fewer."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def latest_start(ends_on: dt.date, min_months: int) -> dt.date:
    return add_months(ends_on, -min_months)


@dataclass(frozen=True)
class OrgRow:
    id: int
    path: str
    parent_id: int | None
    kind: str
    unit_type: str
    level: int


@dataclass(frozen=True)
class BatchRule:
    id: int
    position: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    levels: frozenset[int] = frozenset()
    kinds: frozenset[str] = frozenset()
    unit_types: frozenset[str] = frozenset()
    rest: bool = False
    picks: tuple[tuple[str, bool], ...] = ()  # (path, include)

    @property
    def has_criteria(self) -> bool:
        return bool(self.levels or self.kinds or self.unit_types)

    def criteria_match(self, org: OrgRow) -> bool:
        return (
            self.has_criteria
            and (not self.levels or org.level in self.levels)
            and (not self.kinds or org.kind in self.kinds)
            and (not self.unit_types or org.unit_type in self.unit_types)
        )


@dataclass(frozen=True)
class Rules:
    level_offset_days: int = 10
    subordinate_offset_days: int = 10
    min_concentrated_months: int = 3
    villages_flexible: bool = True


@dataclass(frozen=True)
class Fixed:
    """Dates that are not computed: an override's (with its reason) or a started one's."""

    starts_on: dt.date
    ends_on: dt.date
    reason: str = ""
    subtree: bool = False


@dataclass
class Window:
    org_id: int
    path: str
    parent_id: int | None
    batch_id: int
    level: int
    starts_on: dt.date
    ends_on: dt.date
    flexible: bool
    reason: str = ""
    kept: bool = False  # already started: stored dates kept
    wanted: tuple[dt.date, dt.date] | None = None  # what the rules wanted, when kept


@dataclass
class Result:
    windows: list[Window] = field(default_factory=list)
    # (org id, first batch id, second batch id): organizations two batches select
    conflicts: list[tuple[int, int, int]] = field(default_factory=list)
    selected: dict[int, int] = field(default_factory=dict)  # batch id -> organizations


def _prefixes(path: str) -> Iterable[str]:
    """The paths of the organization and its ancestors, nearest first."""
    for end in range(len(path), 0, -KEY_WIDTH):
        yield path[:end]


def select(orgs: Sequence[OrgRow], batches: Sequence[BatchRule]) -> Result:
    """Which batch each organization is in. An explicit pick (the nearest one above or at the
    organization) wins over a batch's level and type criteria; a `rest` batch takes every
    organization no other batch took."""
    ordered = sorted(batches, key=lambda b: b.position)
    picks: dict[str, list[tuple[BatchRule, bool]]] = {}
    for batch in ordered:
        for path, include in batch.picks:
            picks.setdefault(path, []).append((batch, include))
    result = Result(selected={b.id: 0 for b in ordered})
    rests = [b for b in ordered if b.rest]
    chosen: list[tuple[OrgRow, BatchRule]] = []
    for org in orgs:
        decided: dict[int, bool] = {}
        if picks:
            for prefix in _prefixes(org.path):
                for batch, include in picks.get(prefix, ()):
                    decided.setdefault(batch.id, include)
        found: BatchRule | None = None
        for batch in ordered:
            if batch.rest:
                continue
            take = decided.get(batch.id)
            if take is None:
                take = batch.criteria_match(org)
            if take:
                if found is None:
                    found = batch
                else:
                    result.conflicts.append((org.id, found.id, batch.id))
        if found is None:
            for batch in rests:
                if decided.get(batch.id, True):
                    found = batch
                    break
        if found is not None:
            chosen.append((org, found))
            result.selected[found.id] += 1
    result.windows = [
        Window(o.id, o.path, o.parent_id, b.id, o.level, b.starts_on, b.ends_on, False)
        for o, b in chosen
    ]
    return result


def compute(
    orgs: Sequence[OrgRow],
    batches: Sequence[BatchRule],
    rules: Rules,
    *,
    overrides: dict[int, Fixed] | None = None,
    started: dict[int, Fixed] | None = None,
) -> Result:
    """Every selected organization's window, `orgs` given in path order (parents first)."""
    overrides = overrides or {}
    started = started or {}
    result = select(orgs, batches)
    by_id = {b.id: b for b in batches}
    shallowest: dict[int, int] = {}
    for w in result.windows:
        if w.level < shallowest.get(w.batch_id, 99):
            shallowest[w.batch_id] = w.level
    level_step = dt.timedelta(days=rules.level_offset_days)
    sub_step = dt.timedelta(days=rules.subordinate_offset_days)
    latest = {b.id: latest_start(b.ends_on, rules.min_concentrated_months) for b in batches}
    subtree_fixed = {
        o_id: f for o_id, f in overrides.items() if f.subtree
    }  # org id -> dates for its whole subtree
    subtree_by_path: dict[str, Fixed] = {}
    if subtree_fixed:
        path_of = {w.org_id: w.path for w in result.windows}
        subtree_by_path = {path_of[i]: f for i, f in subtree_fixed.items() if i in path_of}
    placed: dict[int, Window] = {}
    for w in result.windows:
        batch = by_id[w.batch_id]
        start = batch.starts_on + (w.level - shallowest[w.batch_id]) * level_step
        parent = placed.get(w.parent_id) if w.parent_id is not None else None
        if parent is not None and parent.batch_id == w.batch_id:
            start = max(start, parent.starts_on + sub_step)
        start = max(batch.starts_on, min(start, latest[w.batch_id]))
        w.starts_on, w.ends_on = start, batch.ends_on
        w.flexible = rules.villages_flexible and w.level >= VILLAGE_LEVEL
        fixed = overrides.get(w.org_id)
        if fixed is None and subtree_by_path:
            fixed = next(
                (subtree_by_path[p] for p in _prefixes(w.path) if p in subtree_by_path), None
            )
        if fixed is not None:
            w.starts_on, w.ends_on, w.reason = fixed.starts_on, fixed.ends_on, fixed.reason
        kept = started.get(w.org_id)
        if kept is not None:
            if (kept.starts_on, kept.ends_on) != (w.starts_on, w.ends_on):
                w.wanted = (w.starts_on, w.ends_on)
            w.starts_on, w.ends_on, w.kept = kept.starts_on, kept.ends_on, True
            w.reason = kept.reason
        placed[w.org_id] = w
    return result
