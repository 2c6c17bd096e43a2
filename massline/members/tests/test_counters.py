"""The member metrics are declared once (members.counters): their Django filter, SQL, column
and per-row forms must count the same members."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import polars as pl
import pytest
from django.db import connection

from massline.members.counters import METRICS, counts
from massline.members.idnumber import make_id
from massline.members.models import Category, Member, MemberStatus
from massline.members.services import member_create
from massline.orgs import counters

SEED = 20261204


@pytest.fixture
def random_members(tree) -> list[Member]:
    rng = random.Random(SEED)
    branches = [tree.village_a1, tree.village_a2, tree.branch_a2, tree.branch_b1]
    created = [
        member_create(
            actor=None,
            org=rng.choice(branches),
            name=f"成员{i}",
            gender="",
            ethnicity="01",
            id_number=make_id("150102", date(1970 + i % 20, 1 + i % 12, 1 + i % 28), i),
            join_date=date(2015, 7, 1),
            status=rng.choice([MemberStatus.FULL, MemberStatus.PROBATIONARY]),
            category=Category.EMPLOYED,
        )
        for i in range(80)
    ]
    # any mix of the fields the metrics read, written straight into the rows
    for member in created:
        Member.objects.filter(pk=member.pk).update(
            mobility=rng.choice(["", "outflow", "inflow"]), lost_contact=rng.random() < 0.3
        )
    return list(Member.objects.order_by("pk"))


def test_each_metrics_filter_sql_columns_and_rows_count_the_same_members(random_members):
    # given: 80 members with a random status, mobility and lost contact
    frame = pl.DataFrame(
        list(Member.objects.values("org_id", "status", "mobility", "lost_contact")),
        orient="row",
    )
    for metric in METRICS:
        # when: each derived form counts per organization
        by_filter = {org_id: n for org_id, n in counters.metrics()[metric.code].source() if n}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT m.org_id, sum({metric.sql('m')}) FROM members_member m GROUP BY m.org_id"
            )
            by_sql = {org_id: int(n) for org_id, n in cursor.fetchall() if n}
        by_columns = {
            org_id: n
            for org_id, n in frame.group_by("org_id").agg(metric.polars_count()).rows()
            if n
        }
        by_row: Counter = Counter()
        for member in random_members:
            by_row[member.org_id] += metric.value(member)
        by_mapping: Counter = Counter()
        for row in frame.iter_rows(named=True):
            by_mapping[row["org_id"]] += metric.value(row)
        # then: all five agree, and the metric is not trivially empty
        assert by_filter == by_sql == by_columns == dict(+by_row) == dict(+by_mapping), metric.code
        assert sum(by_filter.values()) > 0, metric.code


def test_a_members_counts_are_one_per_metric_it_matches(random_members):
    member = next(m for m in random_members if m.lost_contact and m.mobility == "outflow")
    figures = counts(member)
    assert figures["members.total"] == 1
    assert figures["members.lost_contact"] == 1
    assert figures["members.outflow"] == 1
    assert figures["members.inflow"] == 0
    assert figures["members.probationary"] == int(member.status == MemberStatus.PROBATIONARY)
