"""The campaign figures kept in the organization counters (orgs.metrics, decision 0009),
rolled up the tree like every counter.

- Over all campaigns, declared metrics: completions recorded, and those recorded after their
  due day.
- Per campaign, a counter family (decision 0020): `campaign.<id>.done`, `.late` and
  `.reached` (members reached, at the organization where each takes part), so a campaign's
  overview and coverage read their own figures at any level in one lookup."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from massline.orgs import counters
from massline.orgs.metrics import Counted
from massline.orgs.metrics import counts as counts_of

METRICS: tuple[Counted, ...] = (
    Counted("campaigns.actions_done", _("campaign actions done")),
    Counted("campaigns.actions_late", _("campaign actions done late"), {"late": True}),
)

PREFIX = "campaign."
DONE, LATE, REACHED = "done", "late", "reached"


def code(campaign_id: int, name: str) -> str:
    return f"{PREFIX}{campaign_id}.{name}"


def _family() -> Iterator[tuple[int, str, int]]:
    from .models import Completion, Reach

    done = (
        Completion.objects.values("org_id", "campaign_id")
        .annotate(n=Count("pk"), late_n=Count("pk", filter=Q(late=True)))
        .order_by()
    )
    for row in done.iterator():
        yield row["org_id"], code(row["campaign_id"], DONE), row["n"]
        yield row["org_id"], code(row["campaign_id"], LATE), row["late_n"]
    reached = Reach.objects.values("org_id", "campaign_id").annotate(n=Count("pk")).order_by()
    for row in reached.iterator():
        yield row["org_id"], code(row["campaign_id"], REACHED), row["n"]


def register() -> None:
    from .models import Completion

    counters.register_counted(Completion, METRICS, org_field="org_id")
    counters.register_family(PREFIX, _("campaign figures"), _family)


def counts(completion: Any) -> dict[str, int]:
    """One completion's figures: over all campaigns and in its own."""
    figures = counts_of(METRICS, completion)
    figures[code(completion.campaign_id, DONE)] = 1
    figures[code(completion.campaign_id, LATE)] = int(completion.late)
    return figures
