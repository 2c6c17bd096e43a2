"""A campaign over the shared test tree, and a frozen clock (the schedule's "already started"
depends on today): the project passes `today` to services, and pages read
`timezone.localdate()`, which `frozen` moves."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from massline.campaigns import schedule, schedule_services, services
from massline.campaigns.models import CampaignTemplate
from massline.campaigns.rollout import add_months

TODAY = timezone.localdate()
START = TODAY + dt.timedelta(days=30)


@pytest.fixture
def frozen(monkeypatch):
    """frozen(day): from now on, today is `day` (noon, local time)."""

    def freeze(day: dt.date) -> None:
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def make_campaign(tree, code: str = "theme-education-2019", *, org=None, start=START, months=8):
    template = CampaignTemplate.objects.get(code=code)
    return services.campaign_create(
        actor=None,
        template=template,
        org=org or tree.root,
        title=f"{template.title} 测试",
        starts_on=start,
        ends_on=add_months(start, months) - dt.timedelta(days=1),
    )


def apply(campaign, today=None):
    p = schedule.plan(campaign, today=today)
    schedule_services.schedule_apply(actor=None, campaign=campaign, token=p.token)
    return p


@pytest.fixture
def campaign(tree):
    """The 2019 theme education at the root: batch 1 the committees of levels 1-3 from START,
    batch 2 everything else from three months later; the schedule applied."""
    c = make_campaign(tree)
    apply(c)
    return c


@pytest.fixture
def w(tree, campaign):
    batches = list(campaign.batches.order_by("position"))
    return SimpleNamespace(tree=tree, campaign=campaign, b1=batches[0], b2=batches[1])
