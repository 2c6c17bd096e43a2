"""Opinions for the dispatch tests, made here (not through the intake's services): the row and
its counters, as a service would leave them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from massline.opinions.counters import counts
from massline.opinions.models import Opinion
from massline.orgs import counters


def make_opinion(org, *, text: str = "村里路灯坏了三个月没人修", **fields: Any) -> Opinion:
    values: dict[str, Any] = {
        "org": org,
        "org_path": org.path,
        "channel": "box",
        "submitter_category": "public",
        "anonymous": True,
        "text": text,
        "received_on": timezone.localdate(),
        **fields,
    }
    lead = values.get("lead_org")
    if lead is not None:
        values["lead_path"] = lead.path
    o = Opinion.objects.create(**values)
    counters.bump(path=o.org_path, deltas={k: v for k, v in counts(o).items() if v})
    return o


def at_hour(hour: int, days: int = 0) -> dt.datetime:
    """Today (plus `days`) at `hour`, local time: a frozen clock stays inside the test
    users' assignment periods."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def figures(org, *codes: str) -> dict[str, int]:
    """The organization's own-and-below counter values of `codes`."""
    got = counters.read([org.pk]).get(org.pk, {})
    return {c: got.get(c, (0, 0))[1] for c in codes}
