"""/api/v1/notices: the caller's own notices, and marking them read; nobody else's."""

from __future__ import annotations

from massline.conftest import api_client
from massline.notices.models import Notice
from massline.notices.selectors import unread_count

from .helpers import remind


def test_the_list_is_newest_first_in_keyset_pages(make_user):
    user = make_user()
    for i in range(5):
        remind([user], f"e{i}", what=str(i), link="/jobs/")
    client = api_client(user)
    body = client.get("/api/v1/notices?limit=2").json()
    assert [n["body"] for n in body["items"]] == ["4", "3"]
    assert body["unread_count"] == 5
    assert body["items"][0]["unread"] is True and body["items"][0]["link"] == "/jobs/"
    rest = client.get(f"/api/v1/notices?limit=10&after={body['next_after']}").json()
    assert [n["body"] for n in rest["items"]] == ["2", "1", "0"] and rest["next_after"] is None


def test_the_unread_filter(make_user):
    user = make_user()
    remind([user], "a", what="a")
    remind([user], "b", what="b")
    Notice.objects.filter(key="a").update(read_at="2026-01-01T00:00:00Z")
    body = api_client(user).get("/api/v1/notices?unread=true").json()
    assert [n["body"] for n in body["items"]] == ["b"]


def test_a_user_cannot_read_or_mark_another_users_notices(make_user):
    alice, bob = make_user(), make_user()
    remind([bob], "secret", what="bob's")
    theirs = Notice.objects.get()
    client = api_client(alice)
    assert client.get("/api/v1/notices").json()["items"] == []
    response = client.post(
        "/api/v1/notices/read", {"ids": [theirs.pk]}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["marked"] == 0
    client.post("/api/v1/notices/read", {"all": True}, content_type="application/json")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_by_ids_and_all(make_user):
    user = make_user()
    for key in ("a", "b", "c"):
        remind([user], key)
    ids = list(Notice.objects.order_by("id").values_list("pk", flat=True))
    client = api_client(user)
    body = client.post(
        "/api/v1/notices/read", {"ids": ids[:2]}, content_type="application/json"
    ).json()
    assert body == {"marked": 2, "unread_count": 1}
    body = client.post(
        "/api/v1/notices/read", {"all": True}, content_type="application/json"
    ).json()
    assert body == {"marked": 1, "unread_count": 0}
    assert unread_count(user) == 0


def test_errors_have_the_apis_shape(make_user, client):
    user = make_user()
    api = api_client(user)
    nothing = api.post("/api/v1/notices/read", {}, content_type="application/json")
    assert nothing.status_code == 400
    assert nothing.json()["code"] == "invalid" and nothing.json()["field"] == "ids"
    wrong = api.post("/api/v1/notices/read", {"ids": "x"}, content_type="application/json")
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_request"
    huge = api.post("/api/v1/notices/read", {"ids": [2**64]}, content_type="application/json")
    assert huge.status_code == 422 and huge.json()["field"] == "ids.0"
    kind = api.get("/api/v1/notices?kind=nope")
    assert kind.status_code == 400 and kind.json()["field"] == "kind"
    anonymous = client.get("/api/v1/notices")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"


def test_the_operations_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/notices"]
    assert "post" in paths["/api/v1/notices/read"]
