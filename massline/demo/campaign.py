"""The demo's campaign (issue 10, item 11): the 2019 theme education at the province, in its
second batch as of the day the demo is loaded. Batch 1 (the committees of counties and
above) started about five months ago; batch 2 (everything else) seven weeks ago, so its
prefectures, counties and townships have started in their waves and most villages with
them; the villages of two leagues and half of 保合少镇's are a third batch that sets its own
timing and starts in a few days. Made through the campaign services (audited) and stored by the
schedule's apply, like an office would; loading again changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from massline.campaigns import schedule, schedule_services, services
from massline.campaigns.models import Campaign, CampaignTemplate
from massline.campaigns.rollout import add_months
from massline.orgs.models import Organization

if TYPE_CHECKING:
    from massline.accounts.models import User

TEMPLATE = "theme-education-2019"
TITLE = "“不忘初心、牢记使命”主题教育（演示）"
LATER_LEAGUES = ("150900000000", "152500000000")  # 乌兰察布市, 锡林郭勒盟
DEMO_TOWNSHIP = "150102101"  # 保合少镇: every other village of it starts later


@transaction.atomic
def demo_campaign(*, actor: User | None, province_code: str) -> Campaign | None:
    """Create and schedule the demo campaign unless it exists; None when it did."""
    root = Organization.objects.get(code=province_code)
    if Campaign.objects.filter(org=root, title=TITLE).exists():
        return None
    today = timezone.localdate()
    start = add_months(today - dt.timedelta(days=50), -3)
    campaign = services.campaign_create(
        actor=actor,
        template=CampaignTemplate.objects.get(code=TEMPLATE),
        org=root,
        title=TITLE,
        starts_on=start,
        ends_on=add_months(start, 9) - dt.timedelta(days=1),
    )
    root_children = list(Organization.objects.filter(parent=root).order_by("code"))
    picks = [(o, False) for o in root_children if o.code not in LATER_LEAGUES]
    villages = list(
        Organization.objects.filter(code__startswith=DEMO_TOWNSHIP, division__level=5).order_by(
            "code"
        )
    )
    # every other one, so the township shows both; a one-village demo (the tests') picks it
    picks += [(o, True) for o in villages[1::2] or villages]
    services.batch_save(
        actor=actor,
        campaign=campaign,
        batch=None,
        data=services.BatchInput(
            name="第二批（嘎查村、社区自定时间）",
            scope="乌兰察布市、锡林郭勒盟的嘎查村和社区，保合少镇部分村",
            starts_on=today + dt.timedelta(days=3),
            ends_on=campaign.ends_on,
            levels=[5],
            kinds=[],
            unit_types=[],
            rest=False,
            picks=picks,
        ),
    )
    p = schedule.plan(campaign)
    schedule_services.schedule_apply(actor=actor, campaign=campaign, token=p.token)
    return campaign
