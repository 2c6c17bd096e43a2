"""The opinion figures kept in the organization counters (orgs.metrics, decision 0009), each
declared once, counted at the organization the opinion was addressed to (`Opinion.org`) and
rolled up the tree: the statistics by channel, status and overdue read them at any level.
Per category, a counter family: `opinion_category.<category id>` for the opinions with that
category (merged ones included, like the status figures), so the statistics by category read
any level in the same lookup. A service changes them with `counts(before)` → `counts(after)`
in its transaction (`changes` gives the difference, a changed category included)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from massline.orgs import counters
from massline.orgs.metrics import Counted
from massline.orgs.metrics import counts as counts_of

from .models import Channel, OpinionStatus

OPEN = ("received", "dispatched", "returned", "handling")

METRICS: tuple[Counted, ...] = (
    Counted("opinions.total", _("opinions")),
    Counted("opinions.anonymous", _("anonymous opinions"), {"anonymous": True}),
    *(Counted(f"opinions.channel.{c.value}", c.label, {"channel": c.value}) for c in Channel),
    *(Counted(f"opinions.status.{s.value}", s.label, {"status": s.value}) for s in OpinionStatus),
    Counted("opinions.open", _("open opinions"), {"status": OPEN}),
    Counted("opinions.overdue", _("overdue opinions"), {"overdue": True}),
    # the response rate's figures (decision 0022, "The three rates"): due = answered in time,
    # answered late, or past the time limit unanswered
    Counted(
        "opinions.response.due", _("opinions due an answer"), {"response": ("in_time", "late")}
    ),
    Counted("opinions.response.in_time", _("opinions answered in time"), {"response": "in_time"}),
)


CATEGORY_PREFIX = "opinion_category."


def category_code(category_id: int) -> str:
    return f"{CATEGORY_PREFIX}{category_id}"


def _categories() -> Iterator[tuple[int, str, int]]:
    from .models import Opinion

    rows = (
        Opinion.objects.filter(category__isnull=False)
        .values("org_id", "category_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows.iterator():
        yield row["org_id"], category_code(row["category_id"]), row["n"]


def register() -> None:
    from .models import Opinion

    counters.register_counted(Opinion, METRICS, org_field="org_id")
    counters.register_family(CATEGORY_PREFIX, _("opinions by category"), _categories)


def counts(opinion: Any) -> dict[str, int]:
    """One opinion's figures: 0 or 1 for each metric, and 1 for its category if it has one."""
    figures = counts_of(METRICS, opinion)
    if opinion.category_id is not None:
        figures[category_code(opinion.category_id)] = 1
    return figures


def changes(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """What to add to the counters when an opinion's figures go from `before` to `after`:
    every code of either side (a category left behind goes down)."""
    return {
        k: after.get(k, 0) - before.get(k, 0)
        for k in {*before, *after}
        if after.get(k, 0) != before.get(k, 0)
    }
