"""Roster rules that the services and the roster import both apply, one member at a time
(`services`) or a file at a time (`roster_import`)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import ngettext

from massline.orgs.models import Organization, OrgKind

#: The organizations members belong to.
MEMBER_ORG_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
#: A member joins on their 18th birthday or later.
ADULT_AGE = 18


def adult_on(birth: dt.date, day: dt.date) -> bool:
    """Whether someone born on `birth` is ADULT_AGE or older on `day` (born on 29 February:
    from 1 March)."""
    try:
        eighteenth = birth.replace(year=birth.year + ADULT_AGE)
    except ValueError:  # born on 29 February
        eighteenth = dt.date(birth.year + ADULT_AGE, 3, 1)
    return day >= eighteenth


def strands_members(org: Organization, count: int) -> str:
    """Why `org`, holding `count` members, may not become a kind outside MEMBER_ORG_KINDS (the
    organization services ask, through `orgs.services.register_kind_rule`)."""
    return ngettext(
        "%(org)s has %(count)s member, and members belong only to a branch or a general "
        "branch: transfer the member first, or keep the kind.",
        "%(org)s has %(count)s members, and members belong only to a branch or a general "
        "branch: transfer the members first, or keep the kind.",
        count,
    ) % {"org": org.name, "count": count}
