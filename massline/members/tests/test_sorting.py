"""The roster sorted by name (pinyin order) or by join date: every page, forwards and back,
is the same whichever way it is read (sorted here or walked on the sort's index), over the
user's scope and a chosen subtree; the page and the API offer the sorts."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from massline.conftest import api_client, login_client
from massline.core.collation import name_sort_key
from massline.members import sorting
from massline.members.models import Member
from massline.members.selectors import MemberFilter
from massline.members.sorting import SORTS, sorted_page

NAMES = [
    "张伟",
    "章伟",
    "赵六",
    "李明",
    "林立",
    "吕布",
    "卢俊义",
    "單雄信",
    "曾国藩",
    "王芳",
    "王芳",
]


def bulk(org, count, *, seed):
    """Roster rows written directly, with repeated names and join dates (ties)."""
    rnd = random.Random(seed)
    Member.objects.bulk_create(
        Member(
            org=org,
            org_path=org.path,
            name=(name := rnd.choice(NAMES)),
            name_folded=name,
            name_key=name_sort_key(name),
            gender="male",
            ethnicity="01",
            birth_date=dt.date(1980, 1, 1),
            id_number_enc="x",
            id_number_hash=f"hash-{org.pk}-{seed}-{i}",
            id_masked="150102********0000",
            id_tail="0000",
            category="employed",
            join_date=dt.date(2000 + rnd.randrange(4), 7, 1),
            status=rnd.choice(["full", "probationary"]),
        )
        for i in range(count)
    )


@pytest.fixture
def rows(tree):
    bulk(tree.village_a1, 40, seed=1)
    bulk(tree.village_a2, 45, seed=2)
    bulk(tree.branch_a2, 30, seed=3)
    bulk(tree.branch_b1, 20, seed=4)


def expected(sort, members):
    pairs = [(getattr(m, sort.field), m.pk) for m in members]
    return [pk for _v, pk in sorted(pairs, reverse=sort.descending)]


def read_all(user, sort, filters, small, limit=7):
    def page(after="", before=""):
        return sorted_page(
            user=user,
            filters=filters,
            sort=sort,
            after=after,
            before=before,
            limit=limit,
            small=small,
        )

    forward, pages, after = [], [], ""
    for _n in range(100):
        p = page(after=after)
        pages.append(p)
        forward += [m.pk for m in p.rows]
        if not p.next:
            break
        after = p.next
    # back from the last page, by each page's `previous` cursor
    backward = [m.pk for m in pages[-1].rows]
    before = pages[-1].previous
    while before:
        p = page(before=before)
        backward = [m.pk for m in p.rows] + backward
        before = p.previous
    return forward, backward, pages


@pytest.mark.parametrize("small", [True, False, None], ids=["in-memory", "walk", "counted"])
@pytest.mark.parametrize("sort_code", list(SORTS))
@pytest.mark.parametrize("narrowed", [False, True], ids=["scope", "chosen-org"])
def test_every_page_in_order_forwards_and_back(tree, rows, make_user, small, sort_code, narrowed):
    user = make_user("org_admin", tree.pref_a)
    sort = SORTS[sort_code]
    filters = MemberFilter(org=tree.town_a1 if narrowed else None, status="full")
    under = tree.town_a1 if narrowed else tree.pref_a
    members = Member.objects.filter(org_path__startswith=under.path, status="full")
    want = expected(sort, members)
    assert len(want) > 20
    forward, backward, pages = read_all(user, sort, filters, small)
    assert forward == want
    assert backward == want
    assert pages[0].previous == "" and pages[-1].next == ""
    assert all(len(p.rows) == 7 for p in pages[:-1])


def test_pinyin_order_of_the_names(tree, rows, make_user):
    user = make_user("org_admin", tree.root)
    forward, _back, _pages = read_all(user, SORTS["name"], MemberFilter(), small=None, limit=50)
    names = [n for n, _g in itertools.groupby(Member.objects.get(pk=pk).name for pk in forward)]
    assert names == [
        "李明",
        "林立",
        "卢俊义",
        "吕布",
        "單雄信",
        "王芳",
        "曾国藩",
        "张伟",
        "章伟",
        "赵六",
    ]


def test_a_cursor_of_another_shape_starts_at_the_beginning(tree, rows, make_user):
    user = make_user("org_admin", tree.root)
    first, _b, _p = read_all(user, SORTS["joined"], MemberFilter(), small=None, limit=10)
    for bad in ["x:1", "2001-13-01:5", "000001:7", ":", "2001-07-01:abc"]:
        page = sorted_page(
            user=user,
            filters=MemberFilter(),
            sort=SORTS["joined"],
            after=bad,
            limit=10,
        )
        assert [m.pk for m in page.rows] == first[:10], bad


def test_the_page_sorts_and_keeps_the_order_on_its_links(tree, rows, make_user):
    client = login_client(make_user("org_admin", tree.root))
    response = client.get("/members/", {"sort": "name", "size": 20})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="name" selected' in body
    assert "sort=name" in response.context["next_url"]
    shown = [m.name for m in response.context["members"]]
    assert shown[0] == "李明"
    # the next page follows on in the same order
    after = client.get("/members/" + response.context["next_url"])
    keys = [m.name_key for m in [*response.context["members"], *after.context["members"]]]
    assert keys == sorted(keys)
    # by join date, latest first, with the date shown
    latest = client.get("/members/", {"sort": "joined_desc"})
    dates = [m.join_date for m in latest.context["members"]]
    assert dates == sorted(dates, reverse=True)
    assert latest.context["sort_by_join"]
    # an unknown order is the tree's
    assert client.get("/members/", {"sort": "salary"}).context["sort"] == "tree"


def test_a_name_search_with_too_many_to_sort_says_so(tree, rows, make_user, monkeypatch):
    monkeypatch.setattr(sorting, "IN_MEMORY", 5)
    monkeypatch.setattr("massline.members.list_views.IN_MEMORY", 5)
    monkeypatch.setattr("massline.members.api.IN_MEMORY", 5)
    user = make_user("org_admin", tree.root)
    response = login_client(user).get("/members/", {"sort": "name", "q": "王芳"})
    assert response.status_code == 200
    assert response.context["sort"] == "tree"
    assert "请缩小搜索范围" in response.context["sort_error"]
    assert response.context["members"]  # the matches, in the tree's order
    api = api_client(user).get("/api/v1/members", {"sort": "name", "q": "王芳"})
    assert api.status_code == 400
    assert api.json()["code"] == "too_many_to_sort"
    # a filter that is not a name search is walked instead
    assert api_client(user).get("/api/v1/members", {"sort": "name"}).status_code == 200


def test_the_api_sorts_and_pages(tree, rows, make_user):
    client = api_client(make_user("org_admin", tree.pref_a))
    seen, after = [], ""
    while True:
        body = client.get("/api/v1/members", {"sort": "joined", "limit": 25, "after": after})
        assert body.status_code == 200
        data = body.json()
        seen += [item["id"] for item in data["items"]]
        if not data["next_after"]:
            break
        after = data["next_after"]
    members = Member.objects.filter(org_path__startswith=tree.pref_a.path)
    assert seen == expected(SORTS["joined"], members)
    assert client.get("/api/v1/members", {"sort": "age"}).status_code == 422
