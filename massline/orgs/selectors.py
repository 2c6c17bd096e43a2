"""Reads of the organization tree that need no permission (callers pass scoped querysets)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from . import counters
from .models import Organization, OrgKind
from .paths import ancestor_ids

CHILDREN_PAGE = 200


@dataclass(frozen=True)
class OrgFigures:
    """Counters of one organization: subtree totals and its own, by metric code."""

    subtree: dict[str, int]
    own: dict[str, int]

    def get(self, metric: str) -> int:
        return self.subtree.get(metric, 0)

    @property
    def total(self) -> int:
        return self.subtree.get("orgs.total", 0)

    @property
    def others(self) -> list[tuple[str, str, int]]:
        """The figures other domains keep for this organization and below (members, ...),
        in the order they registered them."""
        return [
            (code, str(metric.label), self.subtree.get(code, 0))
            for code, metric in counters.metrics().items()
            if not code.startswith("orgs.")
        ]

    @property
    def other_groups(self) -> list[list[tuple[str, str, int]]]:
        """`others` in one group per domain (the metric code's prefix: members, transfers)."""
        groups: dict[str, list[tuple[str, str, int]]] = {}
        for row in self.others:
            groups.setdefault(row[0].split(".")[0], []).append(row)
        return list(groups.values())

    @property
    def by_kind(self) -> list[tuple[str, str, int]]:
        return [(k.value, str(k.label), self.subtree.get(f"orgs.{k.value}", 0)) for k in OrgKind]


def org_figures(*, org_ids: list[int]) -> dict[int, OrgFigures]:
    raw = counters.read(org_ids)
    return {
        pk: OrgFigures(
            subtree={m: v[1] for m, v in raw.get(pk, {}).items()},
            own={m: v[0] for m, v in raw.get(pk, {}).items()},
        )
        for pk in org_ids
    }


def org_ancestors(*, org: Organization, visible: QuerySet[Organization]) -> list[Organization]:
    """The organization's ancestors (root first) that the viewer may see."""
    ids = ancestor_ids(org.path, include_self=False)
    return list(visible.filter(pk__in=ids).order_by("depth"))


def org_children(*, org: Organization, visible: QuerySet[Organization]) -> QuerySet[Organization]:
    return visible.filter(parent=org).order_by("code")


def org_search(*, visible: QuerySet[Organization], q: str, limit: int = 50) -> list[Organization]:
    """By name (a part of it) or by organization or division code (its beginning)."""
    q = q.strip()
    if not q:
        return []
    cond = Q(name__contains=q)
    if q.replace("-", "").isalnum() and q.isascii():
        cond |= Q(code__startswith=q.upper()) | Q(division__code__startswith=q)
    return list(visible.filter(cond).select_related("division").order_by("depth", "code")[:limit])


def org_by_words(*, visible: QuerySet[Organization], words: str) -> tuple[Organization | None, str]:
    """The one organization of `visible` the words typed name (an organization picker sent
    without script), or None with a message saying why: none or several match."""
    words = words.strip()[:64]
    if not words:
        return None, ""
    found = org_search(visible=visible, q=words, limit=2)
    if len(found) == 1:
        return found[0], ""
    if not found:
        return None, _("No organization in your view matches “%(words)s”.") % {"words": words}
    return None, _("Several organizations match “%(words)s”: pick one from the list.") % {
        "words": words
    }


def administrative_only(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    """Leave out the organizations of development zones, parks, farms, companies and virtual
    communities (divisions tagged non-administrative) and everything under them."""
    return qs.exclude(division__non_admin=True)
