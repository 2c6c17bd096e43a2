"""A campaign's coverage at an organization (decision 0020): members expected (each member
once, where they take part: their branch, or where an inflow member lives) and reached, for
the organization and each child, from the counters (never from the subtree); and the members
not yet reached, a page at a time, listed at both ends when they are held in one place and
take part in another."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from massline.members.counters import HOSTED, taking_part
from massline.members.models import Member
from massline.orgs import counters
from massline.orgs.models import Organization
from massline.orgs.paths import subtree_q

from .action_counters import REACHED, code
from .models import Campaign, Participation, Reach
from .overview import CHILD_LIMIT

PAGE = 50
#: members taking part in the subtree but held outside it, listed below the page (few: those
#: living here from elsewhere)
HOSTED_LIMIT = 200


@dataclass
class Figure:
    org: Organization
    expected: int
    reached: int
    outflow: int = 0
    lost: int = 0
    hosted: int = 0  # members taking part here who are held at another branch
    participates: bool = True

    @property
    def missing(self) -> int:
        return max(self.expected - self.reached, 0)

    @property
    def rate(self) -> float | None:
        """Reached ÷ expected, or None when nobody is expected."""
        return self.reached / self.expected if self.expected else None

    @property
    def percent(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{rate * 100:.1f}%"


@dataclass
class Coverage:
    campaign: Campaign
    org: Organization
    own: Figure
    children: list[Figure] = field(default_factory=list)
    more_children: bool = False


def _figure(org: Organization, subtree: dict[str, int], campaign: Campaign) -> Figure:
    return Figure(
        org=org,
        expected=taking_part(subtree),
        reached=subtree.get(code(campaign.pk, REACHED), 0),
        outflow=subtree.get("members.outflow", 0),
        lost=subtree.get("members.lost_contact", 0),
        hosted=subtree.get(HOSTED, 0),
    )


def coverage(campaign: Campaign, org: Organization) -> Coverage:
    """Four queries whatever the subtree: the children, the counters of the organization and
    its children, which of them take part."""
    children = list(
        Organization.objects.filter(parent_id=org.pk).order_by("code")[: CHILD_LIMIT + 1]
    )
    more = len(children) > CHILD_LIMIT
    children = children[:CHILD_LIMIT]
    ids = [org.pk, *(c.pk for c in children)]
    read = counters.read(ids)
    subtree = {pk: {m: v[1] for m, v in figures.items()} for pk, figures in read.items()}
    taking = set(
        Participation.objects.filter(campaign=campaign, org_id__in=ids).values_list(
            "org_id", flat=True
        )
    )
    own = _figure(org, subtree.get(org.pk, {}), campaign)
    own.participates = org.pk in taking
    figures = []
    for child in children:
        f = _figure(child, subtree.get(child.pk, {}), campaign)
        f.participates = child.pk in taking
        if f.expected or f.reached:
            figures.append(f)
    return Coverage(campaign, org, own, figures, more)


# --- members not reached ------------------------------------------------------------------


def _not_reached(campaign: Campaign) -> Any:
    return ~Exists(Reach.objects.filter(campaign=campaign, member_id=OuterRef("pk")))


def missing_page(
    campaign: Campaign, org: Organization, after: tuple[str, int] | None = None
) -> tuple[list[Member], tuple[str, int] | None]:
    """Members held in the subtree whom the campaign has not reached, in the tree's order,
    a page after `after` ((path, id)); those who take part elsewhere are listed too (they
    count where they take part: `taking_part_at`). Empty at once when the counters say
    everyone is reached."""
    qs: QuerySet[Member] = (
        Member.objects.filter(subtree_q("org_path", org.path))
        .filter(_not_reached(campaign))
        .select_related("org", "attached_org")
        .order_by("org_path", "id")
    )
    if after is not None:
        path, pk = after
        qs = qs.filter(org_path__gte=path).exclude(org_path=path, id__lte=pk)
    rows = list(qs[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    _mark_places(rows, org)
    return rows, ((rows[-1].org_path, rows[-1].pk) if more else None)


def hosted_missing(campaign: Campaign, org: Organization, hosted: int) -> list[Member]:
    """Inflow members who take part in the subtree but are held outside it, not reached.
    `hosted`: the subtree's `members.hosted` figure; none there (the common case: the bulk
    paths attach inflow members to their own branch), no query."""
    if not hosted:
        return []
    qs = (
        Member.objects.filter(subtree_q("attached_org__path", org.path))
        .exclude(subtree_q("org_path", org.path))
        .filter(_not_reached(campaign))
        .select_related("org", "attached_org")
        .order_by("attached_org__path", "id")
    )
    rows = list(qs[:HOSTED_LIMIT])
    _mark_places(rows, org)
    return rows


def _mark_places(rows: list[Member], org: Organization) -> None:
    for m in rows:
        elsewhere = m.attached_org_id is not None and m.attached_org_id != m.org_id
        m.taking_part_at = m.attached_org if elsewhere else m.org  # type: ignore[attr-defined]
        m.counted_here = (  # type: ignore[attr-defined]
            m.taking_part_at.path.startswith(org.path)  # type: ignore[attr-defined]
        )


def expected_at(campaign: Campaign, org: Organization) -> list[Any]:
    """Every member who takes part at this one organization (a branch's own list, for
    recording who took part), capped; `reached_on` gives their records."""
    here = Member.objects.filter(org=org, attached_org__isnull=True) | Member.objects.filter(
        attached_org=org
    )
    return list(here.select_related("org", "attached_org").order_by("name_key", "id")[:1000])


def reached_on(campaign: Campaign, member_ids: list[int]) -> dict[int, Reach]:
    return {
        r.member_id: r for r in Reach.objects.filter(campaign=campaign, member_id__in=member_ids)
    }
