"""PostgreSQL: a step in flight holds the opinion's row; a second step on the same opinion
waits, then sees the new state and is refused; merges crossing each other do not deadlock."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from massline.core.db import is_postgres
from massline.core.errors import ApplicationError
from massline.opinions.dispatch_services import opinion_act
from massline.opinions.models import Opinion, OpinionStep
from massline.orgs import counters

from .dispatch_fixtures import make_opinion

pytestmark = [
    pytest.mark.skipif(not is_postgres(), reason="row locks are PostgreSQL's"),
    # (no serialized rollback: restoring the seeded rows fails on PostgreSQL once other tests
    # have run in the same database; these tests need only the tree they build)
    pytest.mark.django_db(transaction=True),
]


def test_a_second_dispatch_waits_and_is_refused(tree):
    o = make_opinion(tree.village_a1)
    out: dict[str, object] = {}

    def dispatch_elsewhere():
        try:
            opinion_act(actor=None, opinion=o, action="dispatch", lead_org=tree.village_a2)
        except ApplicationError as exc:
            out["error"] = exc
        finally:
            connection.close()

    with transaction.atomic():
        opinion_act(actor=None, opinion=o, action="dispatch", lead_org=tree.town_a1)
        thread = threading.Thread(target=dispatch_elsewhere)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # it waits for the first
    thread.join(timeout=10)
    assert getattr(out.get("error"), "code", None) == "opinion_state"
    o.refresh_from_db()
    assert o.lead_org_id == tree.town_a1.pk
    assert OpinionStep.objects.filter(opinion=o).count() == 1
    assert counters.rebuild(check_only=True) == []


def test_merges_crossing_each_other_do_not_deadlock(tree):
    a = make_opinion(tree.village_a1)
    b = make_opinion(tree.village_a1)
    out: dict[str, object] = {}

    def merge_b_into_a():
        try:
            opinion_act(actor=None, opinion=b, action="merge", into=a)
        except ApplicationError as exc:
            out["error"] = exc
        finally:
            connection.close()

    with transaction.atomic():
        opinion_act(actor=None, opinion=a, action="merge", into=b)
        thread = threading.Thread(target=merge_b_into_a)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()
    thread.join(timeout=10)
    # it waited, then found its target merged meanwhile
    assert getattr(out.get("error"), "code", None) == "merge_target"
    assert Opinion.objects.get(pk=a.pk).merged_into_id == b.pk
    assert Opinion.objects.get(pk=b.pk).status == "received"
