"""The periodic sweeps of rectification (decision 0022, "Sweeps and handover"), run by the
scheduler (`core.schedule`, registered in apps.py) and safe to run again:

- the overdue sweep (`fixes_overdue`): an open fix (being fixed, or waiting for its extension)
  whose deadline has passed is flagged `overdue`, once, with an `overdue` step, an audit row
  (`rectification.fix_overdue`, by the system), its counters, and a notice to the level above;
  approving an extension or the close-out clears the flag (fix_services);
- the handover (`fixes_handover`, 承接): when the window of a fix's `handover_org` in the fix's
  campaign opens, the fix, if not closed out, moves to that organization with a `handed_over`
  step (`fix_services.fix_move`), its history kept where it was.

Both walk their candidates by id in batches; each batch is one transaction that locks its fixes
(`fix_locked`) and checks each again under the lock, so a fix changed meanwhile (closed,
extended, already moved) is left alone and nothing is done twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import RECTIFICATION_APPROVE
from massline.access.users import holders_at
from massline.campaigns.models import Participation
from massline.core.outcome import Outcome
from massline.notices.services import send

from . import workflow
from .fix_services import fix_change_save, fix_locked, fix_move
from .models import Fix, FixState, FixStepKind

BATCH = 500
OVERDUE_NOTICE = "rectification.overdue"
OPEN_STATES = (FixState.IN_PROGRESS, FixState.EXTENSION_REQUESTED)


def overdue_candidates(today: dt.date) -> Any:
    """Open fixes past their deadline, not flagged yet (the partial index `fix_open_deadline`)."""
    return Fix.objects.filter(state__in=OPEN_STATES, overdue=False, deadline__lt=today)


def handover_candidates(today: dt.date) -> Any:
    """Fixes not closed out whose handover organization's window in their campaign has opened
    (the partial index `fix_handover`)."""
    opened = Participation.objects.filter(
        campaign_id=OuterRef("campaign_id"),
        org_id=OuterRef("handover_org_id"),
        starts_on__lte=today,
    )
    return (
        Fix.objects.filter(handover_org__isnull=False, campaign__isnull=False)
        .exclude(state=FixState.CLOSED)
        .filter(Exists(opened))
    )


def _batches(qs: Any, size: int) -> Iterator[list[int]]:
    """The candidates' ids, a batch at a time (keyset on the id)."""
    last = 0
    while True:
        pks = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not pks:
            return
        yield pks
        last = pks[-1]


def _sweep(qs: Any, size: int, one: Callable[[Fix, dict[str, Any]], bool]) -> tuple[int, list[Fix]]:
    done: list[Fix] = []
    for pks in _batches(qs, size):
        with transaction.atomic():
            for pk in pks:
                fix, before = fix_locked(pk)
                if one(fix, before):
                    done.append(fix)
    return len(done), done


def fixes_overdue(*, today: dt.date | None = None, batch: int = BATCH) -> int:
    """Flag the open fixes past their deadline as overdue (and tell the level above); how many
    were flagged. Running again flags nothing twice."""
    today = today or timezone.localdate()

    def one(fix: Fix, before: dict[str, Any]) -> bool:
        if fix.overdue or fix.state not in OPEN_STATES:
            return False
        if fix.deadline is None or fix.deadline >= today:
            return False
        fix.overdue = True
        fix_change_save(
            actor=None,
            fix=fix,
            before=before,
            kind=FixStepKind.OVERDUE,
            action="rectification.fix_overdue",
            fields=["overdue"],
            note=_("The deadline %(day)s has passed.") % {"day": fix.deadline.isoformat()},
        )
        return True

    n, flagged = _sweep(overdue_candidates(today), batch, one)
    _tell_above(flagged)
    return n


def _tell_above(fixes: list[Fix]) -> None:
    """A notice to those who approve one level above each newly overdue fix's organization
    (keyed by the fix and its deadline: running again sends nothing twice)."""
    uppers = {f.pk: workflow.upper_org(f.org) for f in fixes}
    holders = holders_at(sorted({u.pk for u in uppers.values()}), RECTIFICATION_APPROVE)
    for f in fixes:
        upper = uppers[f.pk]
        users = holders.get(upper.pk)
        if not users or f.deadline is None:
            continue
        send(
            users,
            OVERDUE_NOTICE,
            f"fix:{f.pk}:overdue:{f.deadline.isoformat()}",
            params={"fix": f.pk, "org": f.org.name, "due": f.deadline.isoformat()},
            link=reverse("rectification:fix", args=[f.pk]),
            organization=upper.pk,
        )


def fixes_handover(*, today: dt.date | None = None, batch: int = BATCH) -> int:
    """Move each open fix to its handover organization once that organization's window in the
    fix's campaign has opened; how many moved. A moved fix has no handover organization any
    more, so running again moves nothing twice."""
    today = today or timezone.localdate()

    def one(fix: Fix, before: dict[str, Any]) -> bool:
        if fix.handover_org_id is None or fix.campaign_id is None or fix.state == FixState.CLOSED:
            return False
        window = (
            Participation.objects.filter(
                campaign_id=fix.campaign_id, org_id=fix.handover_org_id, starts_on__lte=today
            )
            .select_related("org")
            .first()
        )
        if window is None:
            return False
        fix_move(
            actor=None,
            fix=fix,
            before=before,
            to=window.org,
            kind=FixStepKind.HANDED_OVER,
            action="rectification.fix_handover",
            note=_("Taken over by %(org)s, whose window opened on %(day)s.")
            % {"org": window.org.name, "day": window.starts_on.isoformat()},
        )
        return True

    n, _moved = _sweep(handover_candidates(today), batch, one)
    return n


def fixes_overdue_task() -> Outcome:
    n = fixes_overdue()
    return Outcome(
        message=_("%(n)d fixes past their deadline flagged.") % {"n": n}, details={"overdue": n}
    )


def fixes_handover_task() -> Outcome:
    n = fixes_handover()
    return Outcome(
        message=_("%(n)d fixes taken over by the next batch.") % {"n": n},
        details={"handed_over": n},
    )
