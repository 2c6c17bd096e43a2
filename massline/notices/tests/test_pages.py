"""The bell, the notices page and the workbench, through the test client."""

from __future__ import annotations

import re

import pytest

from massline.conftest import login_client
from massline.notices.models import Notice
from massline.notices.selectors import unread_count

from .helpers import remind


def bell_count(page: str) -> str:
    found = re.search(r'data-testid="bell-count">([^<]*)<', page)
    return found.group(1) if found else ""


def test_the_bell_shows_the_unread_count_capped_at_99_plus(tree, make_user):
    user = make_user("org_admin", tree.county_a1)
    client = login_client(user)
    assert bell_count(client.get("/orgs/").content.decode()) == ""
    remind([user], "one")
    assert bell_count(client.get("/orgs/").content.decode()) == "1"
    for i in range(120):
        remind([user], f"e{i}")
    page = client.get("/orgs/").content.decode()
    assert bell_count(page) == "99+"
    assert 'href="/notices/"' in page


def test_the_bell_costs_one_query(tree, make_user, django_assert_max_num_queries):
    user = make_user("org_admin", tree.county_a1)
    client = login_client(user)
    remind([user], "one")
    client.get("/notices/")  # warm what is cached per process
    with django_assert_max_num_queries(50) as with_bell:
        client.get("/jobs/")
    bell_queries = [q for q in with_bell.captured_queries if "notices_notice" in q["sql"]]
    assert len(bell_queries) == 1
    assert "LIMIT" in bell_queries[0]["sql"].upper()


def test_the_notices_page_lists_newest_first_with_unread_highlighted(tree, make_user):
    user = make_user()
    remind([user], "a", what="第一条")
    remind([user], "b", what="第二条")
    Notice.objects.filter(key="a").update(read_at="2026-01-01T00:00:00Z")
    page = login_client(user).get("/notices/").content.decode()
    assert page.index("第二条") < page.index("第一条")
    assert page.count('data-unread="1"') == 1
    assert "ml-notice-unread" in page


def test_the_notices_page_says_when_there_are_none(make_user):
    client = login_client(make_user())
    assert "还没有通知" in client.get("/notices/").content.decode()
    assert "没有未读通知" in client.get("/notices/?unread=1").content.decode()


def test_mark_read_and_mark_all_read_by_post(make_user):
    user = make_user()
    for key in ("a", "b", "c"):
        remind([user], key)
    client = login_client(user)
    one = Notice.objects.get(key="a")
    response = client.post("/notices/read/", {"id": [one.pk], "next": "/notices/?unread=1"})
    assert response.status_code == 302 and response["Location"] == "/notices/?unread=1"
    assert unread_count(user) == 2
    client.post("/notices/read/", {"all": "1", "next": "https://evil.example/"})
    assert unread_count(user) == 0
    assert client.get("/notices/read/").status_code == 405


def test_mark_read_needs_the_csrf_token(make_user):
    from django.test import Client

    user = make_user()
    remind([user], "a")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/notices/read/", {"all": "1"}).status_code == 403
    assert unread_count(user) == 1


def test_opening_a_notice_marks_it_read_and_goes_to_its_link(make_user):
    user = make_user()
    remind([user], "a", link="/jobs/")
    notice = Notice.objects.get()
    response = login_client(user).post(f"/notices/{notice.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_nobody_opens_or_marks_another_users_notice(make_user):
    alice, bob = make_user(), make_user()
    remind([bob], "a", what="鲍勃的通知")
    theirs = Notice.objects.get()
    client = login_client(alice)
    assert client.post(f"/notices/{theirs.pk}/open/").status_code == 404
    client.post("/notices/read/", {"id": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "鲍勃的通知" not in client.get("/notices/").content.decode()


def test_the_notices_page_pages_by_keyset(make_user):
    user = make_user()
    for i in range(35):
        remind([user], f"e{i:02d}", what=f"第{i:02d}条")
    client = login_client(user)
    page = client.get("/notices/").content.decode()
    assert "第34条" in page and "第05条" in page and "第04条" not in page
    cursor = re.search(r"after=(\d+)", page).group(1)
    older = client.get(f"/notices/?after={cursor}").content.decode()
    assert "第04条" in older and "第00条" in older and "第05条" not in older


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in ("/notices/", "/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("language", ["en"])
def test_the_page_follows_the_language(make_user, language):
    user = make_user()
    remind([user], "a")
    client = login_client(user)
    client.post("/i18n/setlang/", {"language": language})
    assert "Background job finished" in client.get("/notices/").content.decode()


def test_ids_out_of_range_mark_nothing_and_break_nothing(make_user):
    user = make_user()
    remind([user], "a")
    client = login_client(user)
    huge = str(2**64)
    assert client.post("/notices/read/", {"id": [huge, "0"]}).status_code == 302
    assert unread_count(user) == 1
    assert client.get(f"/notices/?after={huge}").status_code == 200
    assert client.post(f"/notices/{huge}/open/").status_code == 404
