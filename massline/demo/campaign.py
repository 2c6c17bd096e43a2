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

from massline.campaigns import (
    action_services,
    coverage,
    coverage_services,
    schedule,
    schedule_services,
    services,
)
from massline.campaigns.models import Campaign, CampaignTemplate, Participation
from massline.campaigns.rollout import add_months
from massline.members.rules import MEMBER_ORG_KINDS
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
    _demo_actions(actor, campaign, root, today)
    return campaign


#: The required actions the province sets: (kind, title, days after each window starts).
REQUIRED = (
    ("study", "集中学习研讨", 14),
    ("research", "开展调查研究", 40),
    ("life_meeting", "召开专题民主生活会或组织生活会", 150),
)
DEMO_COUNTY = "150102000000"  # 新城区: its organizations have done, due and late actions
RECORDED = 60  # how many of its organizations have recorded anything


def _demo_actions(
    actor: User | None, campaign: Campaign, root: Organization, today: dt.date
) -> None:
    """The province's required actions, an optional one the county adds, and in the county's
    first organizations a mix: done on time, done late, and not done (overdue)."""
    defined = {
        kind: action_services.action_define(
            actor=actor,
            campaign=campaign,
            org=root,
            kind=kind,
            title=title,
            offset_days=days,
            evidence_text="required",
        )
        for kind, title, days in REQUIRED
    }
    county = Organization.objects.filter(code=DEMO_COUNTY).first()
    if county is None:
        return
    action_services.action_define(
        actor=actor,
        campaign=campaign,
        org=county,
        kind="research",
        title="走访慰问困难党员和群众",
        offset_days=30,
        kinds=["branch"],
    )
    windows = (
        Participation.objects.filter(campaign=campaign, org_path__startswith=county.path)
        .filter(starts_on__lte=today - dt.timedelta(days=16))
        .select_related("org")
        .order_by("org_path")[:RECORDED]
    )
    _demo_reach(actor, campaign, county, today)
    for i, w in enumerate(windows):
        for kind, _title, days in REQUIRED[:2]:
            due = w.starts_on + dt.timedelta(days=days)
            if i % 3 == 0 or due > today:
                continue  # not done: overdue once its day has passed
            action_services.completion_record(
                actor=actor,
                campaign=campaign,
                org=w.org,
                action_id=defined[kind].pk,
                text="已按要求完成，材料存档备查。",
                # two in three on time, the others a week late
                today=due - dt.timedelta(days=2) if i % 3 == 1 else due + dt.timedelta(days=7),
            )


def _demo_reach(
    actor: User | None, campaign: Campaign, county: Organization, today: dt.date
) -> None:
    """Members reached in the county's branches whose windows have opened: most of each
    branch, at a meeting (the retired by a visit, members living away online), with gaps to
    find: every seventh branch has recorded nobody, members who lost contact are never
    reached, and one in four living away is not either."""
    windows = (
        Participation.objects.filter(
            campaign=campaign,
            org_path__startswith=county.path,
            org__kind__in=MEMBER_ORG_KINDS,
            starts_on__lte=today - dt.timedelta(days=3),
        )
        .select_related("org")
        .order_by("org_path")
    )
    for i, w in enumerate(windows):
        if i % 7 == 3:
            continue
        by_way: dict[str, list[int]] = {}
        for n, m in enumerate(coverage.expected_at(campaign, w.org)):
            if m.lost_contact or (m.mobility == "outflow" and n % 4 == 0) or n % 11 == 5:
                continue
            way = "online" if m.mobility else "visit" if m.category == "retired" else "meeting"
            by_way.setdefault(way, []).append(m.pk)
        day = min(w.starts_on + dt.timedelta(days=7), today)
        for way, ids in by_way.items():
            coverage_services.reach_record(
                actor=actor,
                campaign=campaign,
                org=w.org,
                member_ids=ids,
                on=day,
                way=way,
                today=today,
            )
