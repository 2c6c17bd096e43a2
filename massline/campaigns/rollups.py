"""The overview's rollups (decision 0018): after the schedule is stored, one ordered read of
the campaign's windows gives, for every participating organization, its subtree's windows
grouped by (level, batch, start day) with their count and latest end, rewritten in bulk as
`SubtreeWave` rows. The overview then reads an organization's own groups and its children's:
"started as of today" is the sum of the groups whose start day has come, whatever the day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection

from massline.core.db import copy_rows
from massline.orgs.paths import KEY_WIDTH

from .models import Campaign, Participation, SubtreeWave

Key = tuple[int, int, int, dt.date]  # (org, level, batch, start)


def _day(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def windows(campaign_id: int) -> list[tuple[int, str, int, int, dt.date, dt.date]]:
    """The stored windows (org, path, level, batch, start, end), read with a plain cursor."""
    sql = (
        "SELECT org_id, org_path, level, batch_id, starts_on, ends_on "
        f"FROM {Participation._meta.db_table} WHERE campaign_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id])
        return [(o, p, lv, b, _day(s), _day(e)) for o, p, lv, b, s, e in cursor.fetchall()]


def compute(
    rows: list[tuple[int, str, int, int, dt.date, dt.date]],
) -> dict[Key, list]:
    """Every window counted at its organization and at each participating ancestor: a pure
    function, so the tests compare it with a direct count over the subtree."""
    by_path = {path: org for org, path, *_ in rows}
    out: dict[Key, list] = defaultdict(lambda: [0, dt.date.min])
    for _org, path, level, batch, start, end in rows:
        for cut in range(KEY_WIDTH, len(path) + 1, KEY_WIDTH):
            holder = by_path.get(path[:cut])
            if holder is None:
                continue
            cell = out[(holder, level, batch, start)]
            cell[0] += 1
            if end > cell[1]:
                cell[1] = end
    return out


def refresh(campaign: Campaign) -> int:
    """Rewrite the campaign's rollups from its stored windows, in the caller's transaction."""
    groups = compute(windows(campaign.pk))
    SubtreeWave.objects.filter(campaign=campaign).delete()
    copy_rows(
        SubtreeWave._meta.db_table,
        ["campaign_id", "org_id", "level", "batch_id", "starts_on", "last_end", "count"],
        (
            (campaign.pk, org, level, batch, start, cell[1], cell[0])
            for (org, level, batch, start), cell in groups.items()
        ),
    )
    return len(groups)
