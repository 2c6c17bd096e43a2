"""The shape and cost of the member list query: it never counts, costs the same number of
queries whatever the scope, and starts reading at the cursor or at the chosen organization
rather than at the start of the user's scope (bench/member_lists.py measures it at 1.3
million members)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from massline.access.permissions import MEMBERS_VIEW
from massline.access.policy import scoped
from massline.conftest import api_client, login_client
from massline.members.models import Member
from massline.members.selectors import MemberFilter, member_list, member_queryset


def bulk(org, count, *, start=0, status="full"):
    """Roster rows written directly: only the list query is under test here."""
    Member.objects.bulk_create(
        Member(
            org=org,
            org_path=org.path,
            name=f"成员{start + i}",
            name_folded=f"成员{start + i}",
            gender="male",
            ethnicity="01",
            birth_date=dt.date(1980, 1, 1),
            id_number_enc="x",
            id_number_hash=f"hash-{org.pk}-{start + i}",
            id_masked="150102********0000",
            id_tail="0000",
            category="employed",
            join_date=dt.date(2005, 7, 1),
            status=status,
        )
        for i in range(count)
    )


@pytest.fixture
def rows(tree):
    # village_a1 comes before village_a2 in tree order (its path is lower)
    assert tree.village_a1.path < tree.village_a2.path
    bulk(tree.village_a2, 120, status="probationary")
    bulk(tree.branch_b1, 10)


def visible_to(user):
    return scoped(Member.objects.all(), user, MEMBERS_VIEW)


def test_the_narrowest_path_bounds_come_first_in_the_query(tree, rows, make_user):
    # SQLite takes the first bounds on org_path as the index range: the cursor's, then the
    # chosen organization's, and only then the scope's.
    user = make_user("campaign_office", tree.root)
    _, cursor = member_list(visible=visible_to(user), filters=MemberFilter(org=tree.town_a1))
    path = cursor.rpartition(":")[0]
    qs = member_queryset(
        visible=visible_to(user), filters=MemberFilter(org=tree.town_a1), after=cursor
    )
    _sql, params = qs.query.sql_with_params()
    town_low, town_high = tree.town_a1.path, tree.town_a1.path + "~"
    assert list(params[:5]) == [path, town_low, town_high, tree.root.path, tree.root.path + "~"]


@pytest.mark.parametrize("endpoint", ["/members/", "/api/v1/members"])
def test_lists_never_count_and_cost_the_same_at_every_level(tree, rows, make_user, endpoint):
    queries = {}
    for place in ("root", "pref_a", "county_a1", "town_a1", "village_a2"):
        user = make_user("campaign_office", getattr(tree, place))
        client = api_client(user) if endpoint.startswith("/api") else login_client(user)
        url = f"{endpoint}?status=probationary"
        first = client.get(url)
        assert first.status_code == 200
        cursor = (
            first.json()["next_after"] if endpoint.startswith("/api") else first.context["next_url"]
        )
        assert cursor  # 120 probationary members: there is a second page
        second = f"{url}&after={cursor}" if endpoint.startswith("/api") else f"/members/{cursor}"
        for page_url in (url, second):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(page_url).status_code == 200
            sqls = [q["sql"].upper() for q in captured]
            # (the page's layout counts the user's unread notices for the bell, up to 100)
            assert not [s for s in sqls if "COUNT(" in s and "NOTICES_NOTICE" not in s], sqls
            assert sum('FROM "MEMBERS_MEMBER"' in s for s in sqls) == 1
            queries.setdefault(place, set()).add(len(sqls))
    assert len({n for ns in queries.values() for n in ns}) == 1, queries


@pytest.mark.skipif(connection.vendor != "sqlite", reason="counts SQLite VM steps")
@pytest.mark.parametrize("case", ["cursor", "org"])
def test_reading_starts_at_the_cursor_or_the_chosen_organization(tree, rows, make_user, case):
    """The work of the query does not grow with the members before the cursor (or before
    the chosen organization) in tree order: counted as SQLite virtual machine steps."""
    user = make_user("campaign_office", tree.root)

    def steps() -> int:
        visible = visible_to(user)
        if case == "cursor":  # the second page of village_a2's members
            filters = MemberFilter(status="probationary")
            _, after = member_list(visible=visible, filters=filters)
        else:  # the first page of village_a2, chosen by a user scoped at the root
            filters, after = MemberFilter(org=tree.village_a2), ""
        connection.ensure_connection()
        count = [0]

        def tick() -> int:
            count[0] += 1
            return 0

        connection.connection.set_progress_handler(tick, 1)
        try:
            page, _ = member_list(visible=visible, filters=filters, after=after)
        finally:
            connection.connection.set_progress_handler(None, 1)
        assert len(page) == 50
        return count[0]

    alone = steps()
    bulk(tree.village_a1, 3000, status="full")  # before village_a2 in tree order
    assert steps() < alone * 1.2
