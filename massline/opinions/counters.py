"""The opinion figures kept in the organization counters (orgs.metrics, decision 0009), each
declared once, counted at the organization the opinion was addressed to (`Opinion.org`) and
rolled up the tree: the statistics by channel, status and overdue read them at any level.
A service changes them with `counts(before)` → `counts(after)` in its transaction."""

from __future__ import annotations

from typing import Any

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
)


def register() -> None:
    from .models import Opinion

    counters.register_counted(Opinion, METRICS, org_field="org_id")


def counts(opinion: Any) -> dict[str, int]:
    """One opinion's figures (0 or 1 for each metric)."""
    return counts_of(METRICS, opinion)
