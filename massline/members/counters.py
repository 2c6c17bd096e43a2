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


#: Inflow members attached to an organization other than their own branch, counted at both
#: ends: where they are held (`away`) and where they take part (`hosted`). A member is expected
#: once, where they take part: total - away + hosted (`taking_part`). Every bulk path attaches
#: an inflow member to their own branch, so only the services and an import's updates move them.
AWAY = "members.away"
HOSTED = "members.hosted"


def _elsewhere() -> Any:
    from django.db.models import F

    from .models import Member

    return Member.objects.filter(attached_org__isnull=False).exclude(attached_org=F("org"))


def _grouped(field: str) -> Any:
    from django.db.models import Count

    rows = _elsewhere().values(field).annotate(n=Count("pk")).order_by()
    return ((r[field], r["n"]) for r in rows.iterator())


def register() -> None:
    from .models import Member

    counters.register_counted(Member, METRICS, org_field="org_id")
    counters.register_metric(AWAY, _("members taking part elsewhere"), lambda: _grouped("org_id"))
    counters.register_metric(
        HOSTED, _("inflow members taking part here"), lambda: _grouped("attached_org_id")
    )


def taking_part(subtree: dict[str, int]) -> int:
    """Members who take part at an organization or below, from its subtree figures: each
    member once, where they take part."""
    return subtree.get("members.total", 0) - subtree.get(AWAY, 0) + subtree.get(HOSTED, 0)


def place(member: Any) -> tuple[int, str]:
    """The organization where a member takes part, (id, path): the one an inflow member is
    attached to, else their branch. `member.attached_org` must be loaded."""
    if member.attached_org_id is not None and member.attached_org_id != member.org_id:
        return member.attached_org_id, member.attached_org.path
    return member.org_id, member.org_path


def elsewhere_changes(
    before: tuple[int, str], after: tuple[int, str], org_path: tuple[str, str]
) -> dict[str, dict[str, int]]:
    """Counter changes when a member's place of taking part goes from `before` to `after`
    (each (org id, path)), with their branch's path before and after."""
    out: dict[str, dict[str, int]] = {}

    def add(path: str, code: str, n: int) -> None:
        d = out.setdefault(path, {})
        d[code] = d.get(code, 0) + n

    old_branch, new_branch = org_path
    if before[1] != old_branch:
        add(old_branch, AWAY, -1)
        add(before[1], HOSTED, -1)
    if after[1] != new_branch:
        add(new_branch, AWAY, 1)
        add(after[1], HOSTED, 1)
    return out


def counts(member: Any) -> dict[str, int]:
    """The figures one member counts towards (0 or 1 for each metric): a member, or anything
    with the member's fields as attributes or keys."""
    return counts_of(METRICS, member)
