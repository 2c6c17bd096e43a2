"""The response figures of an opinion (decision 0022, "The three rates"): settled once, at the
first contact or reply (in time at or before the time limit), or late by the escalation sweep;
counted in `opinions.response.due` and `opinions.response.in_time`, exactly."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from massline.opinions.dispatch_services import opinion_act, opinions_escalate
from massline.opinions.models import Opinion
from massline.orgs import counters

from .dispatch_fixtures import at_hour, figures, make_opinion

CODES = ("opinions.response.due", "opinions.response.in_time")


@pytest.fixture
def office(tree, make_user):
    return make_user("campaign_office", tree.county_a1, "subtree")


@pytest.fixture
def lead(tree, make_user):
    return make_user("org_admin", tree.town_a1, "this_org")


def urgent(tree, office, frozen) -> Opinion:
    """Dispatched to the town today at 9, due tomorrow at 9."""
    frozen(at_hour(9))
    o = make_opinion(tree.village_a1, urgency="urgent")
    return opinion_act(actor=office, opinion=o, action="dispatch", lead_org=tree.town_a1)


def test_a_contact_before_the_time_limit_is_in_time(tree, office, lead, frozen):
    o = urgent(tree, office, frozen)
    assert o.response == ""
    assert figures(tree.root, *CODES) == dict.fromkeys(CODES, 0)
    frozen(at_hour(9, days=1))  # at the time limit exactly: in time
    o = opinion_act(actor=lead, opinion=o, action="contact")
    assert o.response == "in_time"
    # the reply later, and the sweep past the limit, keep it
    frozen(at_hour(10, days=2))
    assert opinions_escalate() == 1  # contacted, not replied: flagged overdue all the same
    o = opinion_act(actor=lead, opinion=o, action="reply", note="已修复")
    o.refresh_from_db()
    assert (o.response, o.overdue) == ("in_time", True)
    assert figures(tree.root, *CODES) == dict.fromkeys(CODES, 1)
    assert counters.rebuild(check_only=True) == []


def test_a_contact_after_the_time_limit_is_late(tree, office, lead, frozen):
    o = urgent(tree, office, frozen)
    frozen(at_hour(10, days=1))
    o = opinion_act(actor=lead, opinion=o, action="contact")
    assert o.response == "late"
    assert figures(tree.town_a1, *CODES) == {CODES[0]: 1, CODES[1]: 0}
    assert counters.rebuild(check_only=True) == []


def test_a_reply_without_a_contact_settles_it(tree, office, lead, frozen):
    o = urgent(tree, office, frozen)
    frozen(at_hour(15))
    o = opinion_act(actor=lead, opinion=o, action="reply", note="已答复")
    assert o.response == "in_time"
    assert figures(tree.village_a1, *CODES) == dict.fromkeys(CODES, 1)


def test_the_sweep_makes_an_unanswered_opinion_late_for_good(tree, office, lead, frozen):
    o = urgent(tree, office, frozen)
    frozen(at_hour(10, days=1))
    assert opinions_escalate() == 1
    o.refresh_from_db()
    assert o.response == "late"
    assert figures(tree.root, *CODES) == {CODES[0]: 1, CODES[1]: 0}
    # a contact after it keeps it late
    o = opinion_act(actor=lead, opinion=o, action="contact")
    assert o.response == "late"
    assert figures(tree.root, *CODES) == {CODES[0]: 1, CODES[1]: 0}
    assert counters.rebuild(check_only=True) == []


def test_the_audit_keeps_the_response(tree, office, lead, frozen):
    from massline.core.models import AuditEvent

    o = urgent(tree, office, frozen)
    opinion_act(actor=lead, opinion=o, action="contact")
    event = AuditEvent.objects.filter(action="opinions.contact").latest("pk")
    assert (event.before["response"], event.after["response"]) == ("", "in_time")


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_existing_rows(tree, office, lead, frozen):
    # opinions answered in time, late, flagged unanswered, and not yet due
    in_time = urgent(tree, office, frozen)
    opinion_act(actor=lead, opinion=in_time, action="contact")
    late = urgent(tree, office, frozen)
    frozen(at_hour(10, days=1))
    opinion_act(actor=lead, opinion=late, action="reply", note="答复")
    flagged = urgent(tree, office, frozen)
    frozen(at_hour(10, days=2))
    opinions_escalate()
    waiting = make_opinion(tree.village_a1)
    expected = {in_time.pk: "in_time", late.pk: "late", flagged.pk: "late", waiting.pk: ""}
    Opinion.objects.update(response="")
    executor = MigrationExecutor(connection)
    executor.migrate([("opinions", "0005_ticket_number")])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    got = dict(Opinion.objects.filter(pk__in=expected).values_list("pk", "response"))
    assert got == expected
