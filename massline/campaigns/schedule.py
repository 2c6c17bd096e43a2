"""The stored schedule: one ordered read of the campaign's subtree, the computation
(`rollout.compute`), the difference with the stored participation rows (the preview), and the
bulk write of that difference (PostgreSQL COPY, SQLite executemany, in the caller's
transaction). Nothing here checks permissions or writes audit rows: services.py does."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from massline.core.db import chunked, copy_rows, is_postgres
from massline.orgs.models import Division, Organization
from massline.orgs.paths import depth_of

from . import phases, rollups
from .models import Batch, Campaign, Participation, ScheduleOverride
from .rollout import BatchRule, Fixed, OrgRow, Result, Rules, compute

MAX_LEVEL = 5


def org_rows(campaign: Campaign) -> list[OrgRow]:
    """The campaign's subtree in path order, in one query: each organization's level is its
    division's (1 province … 5 village or community), or its depth's below the root's. Read
    with a plain cursor: 70,000 rows through the ORM's converters cost more than the rule."""
    org_table = Organization._meta.db_table
    sql = (
        f"SELECT o.id, o.path, o.parent_id, o.kind, o.unit_type, d.level FROM {org_table} o "
        f"LEFT JOIN {Division._meta.db_table} d ON d.code = o.division_id "
        "WHERE o.path >= %s AND o.path < %s ORDER BY o.path"
    )
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.org_path, campaign.org_path + "~"])
        for pk, path, parent_id, kind, unit_type, div_level in cursor.fetchall():
            level = div_level or min(depth_of(path) + 1, MAX_LEVEL)
            rows.append(OrgRow(pk, path, parent_id, kind, unit_type, level))
    return rows


def batch_rules(batches: Iterable[Batch]) -> list[BatchRule]:
    return [
        BatchRule(
            id=b.pk,
            position=b.position,
            name=b.name,
            starts_on=b.starts_on,
            ends_on=b.ends_on,
            levels=frozenset(int(x) for x in b.levels),
            kinds=frozenset(b.kinds),
            unit_types=frozenset(b.unit_types),
            rest=b.rest,
            picks=tuple((p.org_path, p.include) for p in b.picks.all()),
        )
        for b in batches
    ]


def rules_of(campaign: Campaign) -> Rules:
    return Rules(
        level_offset_days=campaign.level_offset_days,
        subordinate_offset_days=campaign.subordinate_offset_days,
        min_concentrated_months=campaign.min_concentrated_months,
        villages_flexible=campaign.villages_flexible,
    )


@dataclass(frozen=True)
class Stored:
    id: int
    batch_id: int
    starts_on: dt.date
    ends_on: dt.date
    reason: str


def _day(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def stored_rows(campaign: Campaign) -> dict[int, Stored]:
    """The stored windows, read with a plain cursor (SQLite gives dates as text)."""
    sql = (
        "SELECT org_id, id, batch_id, starts_on, ends_on, override_reason "
        f"FROM {Participation._meta.db_table} WHERE campaign_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk])
        return {
            org: Stored(pk, b, _day(s), _day(e), r) for org, pk, b, s, e, r in cursor.fetchall()
        }


def overrides_of(
    campaign: Campaign, extra: ScheduleOverride | None = None, without: int | None = None
) -> dict[int, Fixed]:
    found = {
        o.org_id: Fixed(o.starts_on, o.ends_on, o.reason, o.subtree)
        for o in ScheduleOverride.objects.filter(campaign=campaign).exclude(org_id=without)
    }
    if extra is not None:
        found[extra.org_id] = Fixed(extra.starts_on, extra.ends_on, extra.reason, extra.subtree)
    return found


# What a change does to one organization.
NEW = "new"
MOVED = "moved"
KEPT = "kept"  # already started: its stored dates stay, though the rules would move them
REMOVED = "removed"


@dataclass(frozen=True)
class Change:
    org_id: int
    status: str
    old: tuple[dt.date, dt.date] | None
    new: tuple[dt.date, dt.date] | None


@dataclass
class Plan:
    """The computed schedule and what storing it would change."""

    result: Result
    stored: dict[int, Stored]
    changes: list[Change] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    #: new or moved windows that would open on a day already come: they start at once
    backdated: int = 0

    @property
    def token(self) -> str:
        """Names this exact set of changes: applying checks nothing moved since the preview."""
        digest = hashlib.sha256()
        for c in self.changes:
            digest.update(f"{c.org_id}:{c.status}:{c.old}:{c.new};".encode())
        return digest.hexdigest()[:16]


def plan(
    campaign: Campaign,
    *,
    batches: list[Batch] | None = None,
    extra_override: ScheduleOverride | None = None,
    without_override: int | None = None,
    today: dt.date | None = None,
) -> Plan:
    """The schedule as the rules, batches and overrides give it now (or with `batches` and
    `extra_override` in place of the stored ones, or without the override of the organization
    `without_override`), compared with what is stored. A window whose dates stay but whose
    reason changes (dates set by hand that happen to equal the computed ones) is *moved*, so
    its stored reason follows."""
    today = today or timezone.localdate()
    if batches is None:
        batches = list(Batch.objects.filter(campaign=campaign).prefetch_related("picks"))
    stored = stored_rows(campaign)
    started = {
        org: Fixed(s.starts_on, s.ends_on, s.reason)
        for org, s in stored.items()
        if s.starts_on <= today
    }
    result = compute(
        org_rows(campaign),
        batch_rules(batches),
        rules_of(campaign),
        overrides=overrides_of(campaign, extra_override, without_override),
        started=started,
    )
    out = Plan(result=result, stored=stored)
    seen = set()
    for w in result.windows:
        seen.add(w.org_id)
        old = stored.get(w.org_id)
        new = (w.starts_on, w.ends_on)
        if old is None:
            out.changes.append(Change(w.org_id, NEW, None, new))
        elif w.kept and w.wanted is not None:
            out.changes.append(Change(w.org_id, KEPT, (old.starts_on, old.ends_on), w.wanted))
        elif (old.starts_on, old.ends_on) != new or (old.batch_id, old.reason) != (
            w.batch_id,
            w.reason,
        ):
            out.changes.append(Change(w.org_id, MOVED, (old.starts_on, old.ends_on), new))
    for org, old in stored.items():
        if org not in seen:
            status = KEPT if org in started else REMOVED
            out.changes.append(Change(org, status, (old.starts_on, old.ends_on), None))
    out.counts = {s: 0 for s in (NEW, MOVED, KEPT, REMOVED)}
    for c in out.changes:
        out.counts[c.status] += 1
        if c.status in (NEW, MOVED) and c.new is not None and c.new[0] <= today:
            out.backdated += 1
    return out


def store(campaign: Campaign, p: Plan) -> dict[str, int]:
    """Write the plan's changes in bulk: new rows copied in, moved rows updated, removed rows
    deleted; kept rows are left as they are."""
    windows = {w.org_id: w for w in p.result.windows}
    first = phases.first_phase(campaign.phased)
    first = "" if first == phases.THROUGHOUT else first
    new_rows = []
    updates = []
    removed = []
    for c in p.changes:
        if c.status == NEW:
            w = windows[c.org_id]
            new_rows.append(
                (
                    campaign.pk,
                    w.org_id,
                    w.path,
                    w.parent_id,
                    w.batch_id,
                    w.level,
                    w.starts_on,
                    w.ends_on,
                    w.flexible,
                    w.reason,
                    first,
                )
            )
        elif c.status == MOVED:
            w = windows[c.org_id]
            updates.append((w.batch_id, w.starts_on, w.ends_on, w.reason, p.stored[c.org_id].id))
        elif c.status == REMOVED:
            removed.append(p.stored[c.org_id].id)
    if new_rows:
        copy_rows(
            Participation._meta.db_table,
            [
                "campaign_id",
                "org_id",
                "org_path",
                "parent_org_id",
                "batch_id",
                "level",
                "starts_on",
                "ends_on",
                "flexible",
                "override_reason",
                "phase",
            ],
            new_rows,
        )
    if updates:
        _update_windows(updates)
    for ids in chunked(removed, 5000):
        Participation.objects.filter(Q(pk__in=ids)).delete()
    if new_rows or updates or removed:
        rollups.refresh(campaign)  # the overview's figures follow the stored windows
    return {"new": len(new_rows), "moved": len(updates), "removed": len(removed)}


def _update_windows(updates: list[tuple[int, dt.date, dt.date, str, int]]) -> None:
    table = Participation._meta.db_table
    with connection.cursor() as cursor:
        if not is_postgres():
            cursor.executemany(
                f"UPDATE {table} SET batch_id = %s, starts_on = %s, ends_on = %s, "
                "override_reason = %s WHERE id = %s",
                updates,
            )
            return
        cursor.execute(
            "CREATE TEMP TABLE campaigns_window_change (batch_id bigint, starts_on date, "
            "ends_on date, reason varchar(500), id bigint) ON COMMIT DROP"
        )
    copy_rows(
        "campaigns_window_change", ["batch_id", "starts_on", "ends_on", "reason", "id"], updates
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} p SET batch_id = c.batch_id, starts_on = c.starts_on, "
            "ends_on = c.ends_on, override_reason = c.reason "
            "FROM campaigns_window_change c WHERE p.id = c.id"
        )
        cursor.execute("DROP TABLE campaigns_window_change")
