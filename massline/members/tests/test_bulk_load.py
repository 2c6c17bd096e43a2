"""core.db.bulk_load_into_empty on the member tables, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, transaction

from massline.core.db import bulk_load_into_empty
from massline.members.idnumber import make_id
from massline.members.models import Member
from massline.members.services import member_create

pytestmark = pytest.mark.django_db


def _indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name for name, c in found.items() if c["index"] and not c["primary_key"]}


def _add(tree, day: int) -> Member:
    return member_create(
        actor=None, org=tree.village_a1, name="乌云", gender="female", ethnicity="02",
        id_number=make_id("150102", date(1970, 5, day), 102), category="retired",
        join_date=date(1995, 7, 1), full_date=date(1996, 7, 1), status="full",
    )  # fmt: skip


def test_empty_tables_lose_their_indexes_until_restored(tree):
    before = _indexes("members_member")
    assert "member_path_id" in before
    with transaction.atomic():
        load = bulk_load_into_empty(["members_member", "members_memberevent"])
        assert load.active
        assert "member_path_id" not in _indexes("members_member")
        _add(tree, 6)
        load.restore()
        assert _indexes("members_member") == before
    assert Member.objects.filter(org_path__startswith=tree.village_a1.path).count() == 1


def test_a_table_with_rows_is_left_as_it_is(tree):
    _add(tree, 6)
    before = _indexes("members_member")
    with transaction.atomic():
        load = bulk_load_into_empty(["members_member"])
        assert not load.active
        assert _indexes("members_member") == before
        load.restore()
    assert _indexes("members_member") == before
