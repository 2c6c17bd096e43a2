"""Shared by the coverage tests: members made through the member services, and a campaign
whose windows have all opened."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from massline.campaigns.models import Participation
from massline.members.idnumber import make_id
from massline.members.models import Category, MemberStatus, Mobility
from massline.members.services import member_create, member_mark_lost, member_set_mobility


def member(org, name: str, seq: int):
    return member_create(
        actor=None,
        org=org,
        name=name,
        gender="",
        ethnicity="01",
        id_number=make_id("150102", dt.date(1980, 5, 1), seq),
        join_date=dt.date(2005, 7, 1),
        status=MemberStatus.FULL,
        category=Category.EMPLOYED,
        full_date=dt.date(2006, 7, 1),
    )


@pytest.fixture
def cov(w):
    """Windows opened ten days ago. village_a1: 张一, 李二 (lost contact), 王三 (outflow);
    village_a2: 赵四, and 钱五, held by village_a1 but living at village_a2 (inflow there);
    branch_a2: 孙六; branch_b1: 周七."""
    t = w.tree
    today = timezone.localdate()
    Participation.objects.filter(campaign=w.campaign).update(
        starts_on=today - dt.timedelta(days=10)
    )
    m = SimpleNamespace(
        zhang=member(t.village_a1, "张一", 101),
        li=member(t.village_a1, "李二", 102),
        wang=member(t.village_a1, "王三", 103),
        zhao=member(t.village_a2, "赵四", 104),
        qian=member(t.village_a1, "钱五", 105),
        sun=member(t.branch_a2, "孙六", 106),
        zhou=member(t.branch_b1, "周七", 107),
    )
    member_mark_lost(actor=None, member=m.li, since=dt.date(2024, 1, 1))
    member_set_mobility(
        actor=None,
        member=m.wang,
        mobility=Mobility.OUTFLOW,
        since=dt.date(2023, 1, 1),
        place="广东省深圳市",
    )
    member_set_mobility(
        actor=None,
        member=m.qian,
        mobility=Mobility.INFLOW,
        since=dt.date(2023, 1, 1),
        place="包头市",
        attached_org=t.village_a2,
    )
    return SimpleNamespace(**vars(w), m=m, today=today)
