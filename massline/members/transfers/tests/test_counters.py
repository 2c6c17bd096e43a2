"""Transfer figures in the organization counters: each step moves them on both sides and up
both trees, the daily sweep follows the clock (overdue, a new year), and a recount agrees."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from massline.members.models import Transfer
from massline.members.transfers.services import transfers_sweep
from massline.orgs import counters

from . import test_services
from .test_services import add_member, approve_receiving, approve_sending, request

w = test_services.w  # the same people around a transfer


def figures_at(org, *metrics: str) -> list[int]:
    """The subtree figures of `org` for these metrics."""
    stored = counters.read([org.pk]).get(org.pk, {})
    return [stored.get(m, (0, 0))[1] for m in metrics]


OUT = ("transfers.out_open", "transfers.out_overdue", "transfers.out_done_year")
IN = ("transfers.in_open", "transfers.in_overdue", "transfers.in_done_year")


def test_transfer_figures_follow_each_step(w):
    # given a request from village_a1 (pref_a) to branch_b1 (pref_b)
    t = request(w)
    # then it is in progress on both sides, up their trees
    assert figures_at(w.tree.village_a1, *OUT) == [1, 0, 0]
    assert figures_at(w.tree.pref_a, *OUT) == [1, 0, 0]
    assert figures_at(w.tree.branch_b1, *IN) == [1, 0, 0]
    assert figures_at(w.tree.root, *OUT, *IN) == [1, 0, 0, 1, 0, 0]
    assert figures_at(w.tree.pref_b, *OUT) == [0, 0, 0]
    # when it is done
    approve_receiving(actor=w.receiver, transfer=approve_sending(actor=w.sender, transfer=t))
    # then done this year on both sides, no longer in progress, and a recount agrees
    assert figures_at(w.tree.county_a1, *OUT) == [0, 0, 1]
    assert figures_at(w.tree.pref_b, *IN) == [0, 0, 1]
    assert counters.rebuild(check_only=True) == []


def test_the_daily_sweep_moves_overdue_and_this_years_figures(w, settings):
    settings.TRANSFER_OVERDUE_DAYS = 30
    # given an open transfer and one done, both from village_a1
    t = request(w)
    other = add_member(w.tree.village_a2, 2, name="其其格")
    done = request(w, w.both, member=other)
    approve_receiving(actor=w.receiver, transfer=approve_sending(actor=w.sender, transfer=done))
    # when the open one has waited 31 days and the sweep runs
    start = timezone.now() - dt.timedelta(days=31)
    Transfer.objects.filter(pk=t.pk).update(last_step_at=start)
    assert transfers_sweep()["overdue"] == 1
    # then the open one counts as overdue on both sides
    assert figures_at(w.tree.county_a1, *OUT) == [1, 1, 1]
    assert figures_at(w.tree.branch_b1, *IN) == [1, 1, 1]
    assert counters.rebuild(check_only=True) == []
    # and running it again changes nothing
    assert transfers_sweep() == {
        "overdue": 0,
        "not_overdue": 0,
        "last_year": 0,
    }
    # when the sending committee approves, the wait restarts: no longer overdue
    approve_sending(actor=w.sender, transfer=t)
    assert figures_at(w.tree.county_a1, *OUT) == [1, 0, 1]
    # when the limit grows past the wait, the sweep takes the flag back
    Transfer.objects.filter(pk=t.pk).update(
        flagged_overdue=True, last_step_at=timezone.now() - dt.timedelta(days=40)
    )
    counters.rebuild()
    settings.TRANSFER_OVERDUE_DAYS = 60
    assert transfers_sweep()["not_overdue"] == 1
    assert figures_at(w.tree.county_a1, *OUT) == [1, 0, 1]
    # and in the next year the done transfer is no longer this year's
    next_year = dt.datetime(timezone.localdate().year + 1, 1, 2, tzinfo=dt.UTC)
    assert transfers_sweep(now=next_year)["last_year"] == 1
    assert figures_at(w.tree.county_a1, *OUT)[2] == 0
    assert figures_at(w.tree.pref_b, *IN)[2] == 0
    assert counters.rebuild(check_only=True) == []
