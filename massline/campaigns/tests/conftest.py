"""A campaign over the shared test tree, and a frozen clock (the schedule's "already started"
depends on today): the project passes `today` to services, and pages read
`timezone.localdate()`, which `frozen` moves."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from massline.campaigns import action_services, schedule, schedule_services, services
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


def override_kwargs(w, org, start, end=None, *, subtree=False, reason="春耕"):
    """An override of `org`'s dates, to the end of batch 2 unless `end`."""
    return {
        "campaign": w.campaign,
        "org": org,
        "subtree": subtree,
        "starts_on": start,
        "ends_on": end or w.b2.ends_on,
        "reason": reason,
    }


def set_override(w, org, start, end=None, *, subtree=False, reason="春耕"):
    """Set `org`'s dates by hand after their preview."""
    kwargs = override_kwargs(w, org, start, end, subtree=subtree, reason=reason)
    p = schedule_services.override_preview(**kwargs)
    schedule_services.override_set(actor=None, token=p.token, **kwargs)


@pytest.fixture
def builtin_templates(transactional_db):
    """A transactional test empties every table after it, the seeded templates too: seed them
    again (the data migration's own function) when a test before this one took them."""
    from importlib import import_module

    from django.apps import apps

    if not CampaignTemplate.objects.filter(builtin=True).exists():
        import_module("massline.campaigns.migrations.0002_builtin_templates").seed(apps, None)


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


# --- actions (decision 0017) ---


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.EVIDENCE_DIR = tmp_path / "evidence"
    return settings.EVIDENCE_DIR


@pytest.fixture
def acts(w):
    """A required study at the root (due 5 days after each window starts, a written account
    required) and an optional review meeting the county 新城区 adds for its branches (due on
    a date, a file required)."""
    t, c = w.tree, w.campaign
    study = action_services.action_define(
        actor=None,
        campaign=c,
        org=t.root,
        kind="study",
        title="集中学习研讨",
        offset_days=5,
        evidence_text="required",
    )
    meeting = action_services.action_define(
        actor=None,
        campaign=c,
        org=t.county_a1,
        kind="life_meeting",
        title="专题组织生活会",
        due_on=c.ends_on - dt.timedelta(days=10),
        kinds=["branch"],
        evidence_file="required",
    )
    return SimpleNamespace(**vars(w), study=study, meeting=meeting)


from .coverage_fixtures import cov  # noqa: E402, F401
