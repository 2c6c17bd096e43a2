"""The demo's opinions (issue 11, item 8): about two thousand opinions heard in 新城区 since its
window opened, through every channel, anonymous and named, and handled as an office would: most
categorized and dispatched to the branch or township concerned; some returned and reassigned,
some contacted, replied and published, some closed, repeats merged, and some left past their
time limit and escalated. Every write goes through the opinions' services (audited); the only
thing the demo writes itself is the history of a few dispatches, moved back ten days so that
their time limits have passed when the demo is loaded (the escalation then runs as it would
every hour). Loading again changes nothing."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from massline.members.rules import MEMBER_ORG_KINDS
from massline.opinions import dispatch_services, intake_services, workflow
from massline.opinions.models import (
    Channel,
    Forum,
    Opinion,
    OpinionCategory,
    OpinionStep,
    Urgency,
)
from massline.orgs.models import Organization

if TYPE_CHECKING:
    from massline.accounts.models import User

COUNTY = "150102000000"  # 新城区
COUNT = 2000  # at most; 20 an organization in a smaller county (the tests' demo)

# (what, where) phrasings: the same problem is raised by several people in several words
PROBLEMS = (
    ("路灯坏了好几个月，晚上出门黑灯瞎火", "路灯不亮，晚上走路不安全，希望尽快修"),
    ("垃圾清运不及时，垃圾桶天天满出来", "垃圾好几天没人拉，夏天味道很大"),
    ("小区停车太难，消防通道被占", "车位太少，车都停到消防通道上了"),
    ("办事窗口经常没人，跑了好几趟没办成", "去办证窗口没人，让我们改天再来"),
    ("低保评定不公开，不知道怎么评的", "低保名单没有公示，群众有意见"),
    ("自来水水压低，高层用不上水", "楼上经常停水，水压不够"),
    ("冬天暖气不热，室温只有十几度", "供暖温度不达标，家里很冷"),
    ("村道坑洼不平，下雨全是泥", "进村的路坏了很久，雨天没法走"),
    ("开会太多，基层干部忙于填表", "表格重复报，一个数据要填好几次"),
    ("个别干部态度生硬，门难进脸难看", "有的干部对群众不耐烦，说话难听"),
    ("医保报销手续繁琐，材料要跑好多地方", "报销要交的材料太多，老人办不了"),
    ("物业收费不透明，服务跟不上", "物业费涨了服务却没变好"),
)
NAMES = ("王", "李", "张", "刘", "陈", "赵", "其其格", "巴特尔", "乌云", "孙")


def _text(rnd: random.Random, place: str) -> tuple[int, str]:
    topic = rnd.randrange(len(PROBLEMS))
    words = PROBLEMS[topic][rnd.randrange(2)]
    return topic, f"{place}{words}。" + rnd.choice(("", "希望领导重视。", "请尽快解决。", ""))


@transaction.atomic
def demo_opinions(*, actor: User, seed: int = 1) -> int:
    """Create and handle the demo's opinions unless there are some; how many were created."""
    county = Organization.objects.filter(code=COUNTY).first()
    if county is None or Opinion.objects.exists():
        return 0
    rnd = random.Random(seed)
    today = timezone.localdate()
    branches = list(
        Organization.objects.filter(path__startswith=county.path, kind__in=MEMBER_ORG_KINDS)
        .select_related("parent")
        .order_by("path")
    )
    categories = list(OpinionCategory.objects.filter(org__isnull=True).order_by("pk"))
    created: list[tuple[Opinion, int]] = []
    forums: dict[int, Forum] = {}
    for i in range(min(COUNT, 20 * len(branches))):
        org = branches[rnd.randrange(len(branches))]
        place = org.name.removeprefix("中共").removesuffix("支部委员会").removesuffix("委员会")
        topic, text = _text(rnd, place)
        roll = rnd.random()
        if roll < 0.45:  # the opinion box: anonymous mostly
            anonymous = rnd.random() < 0.8
            o, _code = intake_services.opinion_submit(
                org=org,
                text=text,
                anonymous=anonymous,
                name="" if anonymous else rnd.choice(NAMES) + "先生",
                contact="" if anonymous else f"139{rnd.randrange(10**8):08d}",
            )
        else:
            channel = rnd.choice(
                (Channel.FORUM, Channel.INTERVIEW, Channel.VISIT, Channel.PAPER, Channel.FORUM)
            )
            forum = None
            if channel == Channel.FORUM:
                forum = forums.get(org.pk)
                if forum is None:
                    forum = forums[org.pk] = intake_services.forum_create(
                        actor=actor,
                        org=org,
                        held_on=today - dt.timedelta(days=rnd.randrange(3, 40)),
                        place=f"{place}党群服务中心",
                        attendees={"public": 12, "member": 8, "cadre": 3, "retired": 2},
                    )
            named = channel in (Channel.INTERVIEW, Channel.VISIT) and rnd.random() < 0.6
            o, _code = intake_services.opinion_enter(
                actor=actor,
                org=org,
                channel=channel,
                text=text,
                submitter_category=rnd.choice(
                    ("public", "public", "member", "cadre", "retired", "service_user")
                ),
                anonymous=not named,
                name=rnd.choice(NAMES) + "女士" if named else "",
                contact=f"138{rnd.randrange(10**8):08d}" if named else "",
                received_on=forum.held_on if forum else today - dt.timedelta(days=i % 40),
                forum=forum,
            )
        created.append((o, topic))
    _handle(actor, rnd, created, categories, today)
    return len(created)


def _act(actor: User, o: Opinion, action: str, **kwargs: Any) -> Opinion:
    return dispatch_services.opinion_act(actor=actor, opinion=o, action=action, **kwargs)


def _handle(
    actor: User,
    rnd: random.Random,
    created: list[tuple[Opinion, int]],
    categories: list[OpinionCategory],
    today: dt.date,
) -> None:
    """The office's work: repeats merged into the first of their topic at the same branch,
    then each other opinion categorized and carried some way along the map."""
    first: dict[tuple[int, int], Opinion] = {}
    late: list[int] = []
    for o, topic in created:
        key = (o.org_id, topic)
        target = first.get(key)
        if target is not None and target.status != "closed" and rnd.random() < 0.5:
            _act(actor, o, workflow.MERGE, into=target)
            continue
        stage = rnd.random()
        if stage < 0.15:
            first[key] = o
            continue  # received, waiting for the office
        urgency = rnd.choice((Urgency.GENERAL, Urgency.GENERAL, Urgency.URGENT, Urgency.COMPLEX))
        first[key] = o = _act(
            actor, o, workflow.TRIAGE, category=rnd.choice(categories), urgency=urgency
        )
        lead = o.org if rnd.random() < 0.7 else (o.org.parent or o.org)
        o = _act(actor, o, workflow.DISPATCH, lead_org=lead)
        if stage < 0.25:
            late.append(o.pk)  # left past its time limit
            continue
        if stage < 0.32:
            o = _act(actor, o, workflow.RETURN, note="不属于本单位职责，请改派相关部门。")
            if rnd.random() < 0.6:
                o = _act(actor, o, workflow.REASSIGN, lead_org=lead.parent or lead,
                         note="改由上级统筹办理。")  # fmt: skip
            continue
        if stage < 0.45:
            continue  # dispatched, within its time limit
        o = _act(actor, o, workflow.CONTACT)
        if stage < 0.6:
            continue
        o = _act(actor, o, workflow.REPLY, note="已安排专人核实处理，整改情况将及时公开。")
        if stage < 0.75:
            continue
        o = _act(actor, o, workflow.PUBLISH)
        if stage < 0.9:
            first[key] = _act(actor, o, workflow.CLOSE)
    # the late ones were dispatched ten days ago, as far as their history goes
    back = dt.timedelta(days=10)
    for o in Opinion.objects.filter(pk__in=late, due_at__isnull=False):
        assert o.dispatched_at is not None and o.due_at is not None
        o.dispatched_at, o.due_at = o.dispatched_at - back, o.due_at - back
        o.save(update_fields=["dispatched_at", "due_at"])
    for step in OpinionStep.objects.filter(opinion_id__in=late, kind="dispatched"):
        step.at -= back
        step.save(update_fields=["at"])
    dispatch_services.opinions_escalate()
