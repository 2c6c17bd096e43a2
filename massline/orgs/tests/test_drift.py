"""The nightly counter drift check finds what `rebuild-counters --check` finds, changes
nothing, and names the organizations."""

from __future__ import annotations

import pytest

from massline.core import schedule
from massline.core.models import RunStatus
from massline.orgs.drift import drift_check
from massline.orgs.models import OrgCounter

pytestmark = pytest.mark.django_db


def test_counters_that_match_are_fine(tree):
    outcome = drift_check()
    assert not outcome.findings and outcome.message


def test_a_drifted_counter_is_found_named_and_left_alone(tree):
    row = OrgCounter.objects.filter(org_id=tree.town_a1.pk).first()
    assert row is not None
    OrgCounter.objects.filter(pk=row.pk).update(subtree=row.subtree + 7)
    outcome = drift_check()
    assert outcome.findings
    assert outcome.details["count"] >= 1
    found = [d for d in outcome.details["drift"] if d["org_id"] == tree.town_a1.pk]
    assert found and found[0]["org"] == tree.town_a1.name
    assert found[0]["stored"][1] == row.subtree + 7 and found[0]["counted"][1] == row.subtree
    assert OrgCounter.objects.get(pk=row.pk).subtree == row.subtree + 7  # unchanged


def test_it_is_declared_as_a_nightly_task_and_its_findings_are_recorded(tree):
    task = next(t for t in schedule.periodic_tasks() if t.name == "orgs.counter_drift")
    assert task.cron == "30 2 * * *"
    OrgCounter.objects.filter(org_id=tree.root.pk).update(own=99)
    run = schedule.run_now("orgs.counter_drift", actor=None)
    assert run.status == RunStatus.FINDINGS and run.details["count"] >= 1
