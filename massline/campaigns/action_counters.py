"""The action figures kept in the organization counters (orgs.metrics, decision 0009), rolled
up the tree like every counter: completions recorded, and those recorded after their due day.
Counted over all campaigns (the counters have no campaign key; decision 0017)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from massline.orgs import counters
from massline.orgs.metrics import Counted
from massline.orgs.metrics import counts as counts_of

METRICS: tuple[Counted, ...] = (
    Counted("campaigns.actions_done", _("campaign actions done")),
    Counted("campaigns.actions_late", _("campaign actions done late"), {"late": True}),
)


def register() -> None:
    from .models import Completion

    counters.register_counted(Completion, METRICS, org_field="org_id")


def counts(completion: Any) -> dict[str, int]:
    return counts_of(METRICS, completion)
