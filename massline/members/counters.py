"""The member figures kept in the organization counters, each declared once (orgs.metrics):
the recount, the services' changes, the import's SQL and column sums and the generator's
batches all derive from these declarations."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from massline.orgs import counters
from massline.orgs.metrics import Counted
from massline.orgs.metrics import counts as counts_of

METRICS: tuple[Counted, ...] = (
    Counted("members.total", _("members")),
    Counted("members.probationary", _("probationary members"), {"status": "probationary"}),
    Counted("members.outflow", _("outflow members"), {"mobility": "outflow"}),
    Counted("members.inflow", _("inflow members"), {"mobility": "inflow"}),
    Counted("members.lost_contact", _("members who lost contact"), {"lost_contact": True}),
)


def register() -> None:
    from .models import Member

    counters.register_counted(Member, METRICS, org_field="org_id")


def counts(member: Any) -> dict[str, int]:
    """The figures one member counts towards (0 or 1 for each metric): a member, or anything
    with the member's fields as attributes or keys."""
    return counts_of(METRICS, member)
