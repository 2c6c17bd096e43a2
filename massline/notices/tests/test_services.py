"""Sending and marking notices: once per recipient and key, in bulk, only one's own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from massline.notices.kinds import notice_kind, render
from massline.notices.models import Notice
from massline.notices.selectors import capped_count, notice_page, shown_count, unread_count
from massline.notices.services import mark_all_read, mark_read, send

from .helpers import TEST_KIND, remind


def test_sending_twice_with_the_same_key_sends_nothing_twice(make_user):
    # given
    alice, bob = make_user(), make_user()
    # when a scheduled task runs twice
    remind([alice, bob], "event:1")
    remind([alice, bob.pk, alice], "event:1")
    # then
    assert Notice.objects.filter(key="event:1").count() == 2
    assert unread_count(alice) == 1


def test_a_new_key_is_a_new_notice(make_user):
    alice = make_user()
    remind([alice], "event:1")
    remind([alice], "event:2")
    assert unread_count(alice) == 2


def test_sending_writes_one_statement_per_batch(make_user):
    # given 25 recipients
    users = [make_user() for _ in range(25)]
    # when sent in batches of 10
    with CaptureQueriesContext(connection) as queries:
        remind(users, "bulk", batch_size=10)
    # then three INSERTs, and every one of them got it
    inserts = [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")
    ]
    assert len(inserts) == 3
    assert Notice.objects.filter(key="bulk").count() == 25


def test_sending_refuses_an_unknown_kind_a_missing_key_and_a_link_elsewhere(make_user):
    alice = make_user()
    with pytest.raises(ValueError, match="unknown notice kind"):
        send([alice], "nobody.registered", "k")
    with pytest.raises(ValueError, match="key"):
        send([alice], TEST_KIND, "")
    for link in ("https://evil.example/", "//evil.example/", "jobs/1/"):
        with pytest.raises(ValueError, match="path on this site"):
            send([alice], TEST_KIND, "k", link=link)
    assert not Notice.objects.exists()


def test_mark_read_marks_only_the_users_own_notices(make_user):
    # given a notice each
    alice, bob = make_user(), make_user()
    remind([alice, bob], "event")
    theirs = Notice.objects.get(recipient=bob)
    mine = Notice.objects.get(recipient=alice)
    # when alice marks both ids
    marked = mark_read(alice, [mine.pk, theirs.pk])
    # then only hers is read
    assert marked == 1
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    # and marking again changes nothing
    assert mark_read(alice, [mine.pk]) == 0


def test_mark_all_read_leaves_other_users_alone(make_user):
    alice, bob = make_user(), make_user()
    for i in range(3):
        remind([alice, bob], f"e{i}")
    assert mark_all_read(alice) == 3
    assert unread_count(alice) == 0
    assert unread_count(bob) == 3


def test_counts_stop_at_the_cap_and_show_99_plus(make_user):
    alice = make_user()
    for i in range(105):
        remind([alice], f"e{i}")
    assert unread_count(alice) == 100
    assert capped_count(Notice.objects.all(), cap=7) == 7
    assert [shown_count(n) for n in (0, 1, 99, 100)] == ["", "1", "99", "99+"]


def test_words_follow_the_readers_language(make_user):
    alice = make_user()
    remind([alice], "e", what="第一支部")
    with translation.override("zh-hans"):
        (row,), _ = notice_page(alice)
        assert (row.title, row.body) == ("后台任务已结束", "第一支部")
    with translation.override("en"):
        (row,), _ = notice_page(alice)
        assert row.title == "Background job finished"


def test_a_kind_no_longer_registered_shows_its_code():
    assert notice_kind("gone.kind") is None
    assert render("gone.kind", {"x": 1}) == ("gone.kind", "")


def test_pages_of_notices_go_newest_first_by_keyset(make_user):
    alice = make_user()
    for i in range(5):
        remind([alice], f"e{i}", what=str(i))
    mark_read(alice, [Notice.objects.get(key="e3").pk])
    first, cursor = notice_page(alice, limit=2)
    assert [n.body for n in first] == ["4", "3"]
    second, cursor2 = notice_page(alice, limit=2, after=cursor)
    assert [n.body for n in second] == ["2", "1"]
    last, end = notice_page(alice, limit=2, after=cursor2)
    assert [n.body for n in last] == ["0"] and end is None
    unread, _ = notice_page(alice, unread=True)
    assert [n.body for n in unread] == ["4", "2", "1", "0"]
