"""Roster rules that the services and the roster import both apply, one member at a time
(`services`) or a file at a time (`roster_import`)."""

from __future__ import annotations

import datetime as dt

from massline.orgs.models import OrgKind

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
