"""The member figures kept in the organization counters."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from massline.orgs import counters

METRICS = {
    "members.total": (_("members"), Q()),
    "members.probationary": (_("probationary members"), Q(status="probationary")),
    "members.outflow": (_("outflow members"), Q(mobility="outflow")),
    "members.inflow": (_("inflow members"), Q(mobility="inflow")),
    "members.lost_contact": (_("members who lost contact"), Q(lost_contact=True)),
}


def register() -> None:
    from .models import Member

    def source_for(condition: Q):  # type: ignore[no-untyped-def]
        def source() -> Iterable[tuple[int, int]]:
            rows = Member.objects.filter(condition).values("org_id").annotate(n=Count("id"))
            return ((r["org_id"], r["n"]) for r in rows.iterator())

        return source

    for code, (label, condition) in METRICS.items():
        counters.register_metric(code, label, source_for(condition))


def flags(*, status: str, mobility: str, lost_contact: bool) -> dict[str, int]:
    """The metrics one member counts towards (1 each)."""
    return {
        "members.total": 1,
        "members.probationary": int(status == "probationary"),
        "members.outflow": int(mobility == "outflow"),
        "members.inflow": int(mobility == "inflow"),
        "members.lost_contact": int(lost_contact),
    }


def difference(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
