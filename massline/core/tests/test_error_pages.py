"""Error pages in the site's own layout, and the API's answers to the same cases, through the
test client: 400, 403, 404, 405, 429 and 500. A page shows the navigation to a signed-in user
and the plain layout otherwise, says what happened in Chinese and offers a way back; the 500
page needs neither the database nor the request's context. The API answers JSON with a `code`
and a translated `message`."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from massline.access.models import DataScope
from massline.conftest import PASSWORD, api_client, login_client
from massline.core.errors import ApplicationError

NAV = 'id="main-nav"'
HOME_LINK = 'href="/"'


def _crash(*args, **kwargs):
    raise RuntimeError("a bug")


def _throttled(*args, **kwargs):
    raise ApplicationError("请求太频繁。", code="throttled")


@pytest.fixture
def admin(tree, make_user):
    return make_user("campaign_office", tree.root, DataScope.SUBTREE)


def _page(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


# --- pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed_in", "anonymous"])
def test_404_page_is_in_the_site_layout_with_a_way_home(client, admin, signed_in):
    # given
    if signed_in:
        client = login_client(admin)
    # when
    response = client.get("/no-such-page/", headers={"Referer": "http://testserver/orgs/"})
    # then
    page = _page(response)
    assert response.status_code == 404
    assert "页面不存在" in page
    assert "未找到。" not in page  # the default message would only repeat the heading
    assert 'data-testid="error-page"' in page
    assert (NAV in page) is signed_in
    assert 'href="http://testserver/orgs/">返回上一页' in page
    assert "返回首页" in page


def test_403_page_says_why_and_keeps_the_navigation(tree, make_user):
    # given a supervisor, who sees the county but may not edit it
    client = login_client(make_user("supervisor", tree.county_a1))
    # when
    response = client.get(f"/orgs/{tree.county_a1.pk}/edit/")
    # then
    page = _page(response)
    assert response.status_code == 403
    assert "没有权限" in page and NAV in page
    assert "请联系本组织的管理员为您授权" in page


def test_403_of_a_form_without_its_token_is_our_page(tree, admin):
    # given a session that does not send the CSRF token
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    # when
    response = client.post(f"/orgs/{tree.county_a1.pk}/edit/", {"name": "x"})
    # then
    page = _page(response)
    assert response.status_code == 403
    assert "表单已失效" in page and 'data-testid="error-links"' in page


def test_400_page_for_a_request_that_cannot_be_stored(admin):
    # given / when a NUL character in the query
    response = login_client(admin).get("/orgs/", {"q": "a\x00"})
    # then
    page = _page(response)
    assert response.status_code == 400
    assert "请求被拒绝" in page and "请求中含有无法保存的字符（NUL）。" in page
    assert NAV in page


def test_405_page_for_a_method_the_address_does_not_take(admin):
    # when signing out with GET (only POST signs out)
    response = login_client(admin).get("/accounts/logout/")
    # then
    page = _page(response)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "此地址不接受 GET 请求（只接受 POST）。" in page and NAV in page


def test_429_page_in_the_site_layout(admin, monkeypatch):
    # given a page whose work is refused as too frequent
    monkeypatch.setattr("massline.orgs.views.scope_roots", _throttled)
    # when
    response = login_client(admin).get("/orgs/")
    # then
    page = _page(response)
    assert response.status_code == 429
    assert "尝试次数过多" in page and "请求太频繁。" in page and NAV in page


def test_sign_in_answers_429_on_its_own_page_after_too_many_failures(db, settings):
    # given
    settings.LOGIN_FAILURE_LIMIT = 1
    client = Client()
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    # when
    response = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    # then
    assert response.status_code == 429
    assert "登录失败次数过多" in _page(response)


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed_in", "anonymous"])
def test_500_page_is_self_contained_and_translated(client, admin, monkeypatch, signed_in):
    # given a page that crashes: the tree for a signed-in user, the sign-in page otherwise
    if signed_in:
        client = login_client(admin)
    client.raise_request_exception = False
    monkeypatch.setattr("massline.orgs.views.scope_roots", _crash)
    monkeypatch.setattr("massline.accounts.views.LoginForm", _crash)
    url = "/orgs/" if signed_in else "/accounts/login/"
    # when
    response = client.get(url, headers={"Referer": "http://testserver/orgs/1/"})
    # then
    page = _page(response)
    assert response.status_code == 500
    assert "服务器错误" in page and "错误已记录" in page
    assert HOME_LINK in page and 'href="http://testserver/orgs/1/">返回上一页' in page
    assert NAV not in page  # no navigation: it needs the user and the database
    assert "a bug" not in page
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_500_page_renders_while_the_database_is_down(admin, monkeypatch):
    # given a signed-in user, then a database that refuses every statement
    client = login_client(admin)
    client.raise_request_exception = False

    def refuse(*args, **kwargs):
        raise OperationalError("the database is gone")

    # when (the database comes back before the test's own clean-up needs it)
    with monkeypatch.context() as down:
        down.setattr(CursorWrapper, "execute", refuse)
        down.setattr(CursorWrapper, "executemany", refuse)
        response = client.get("/orgs/")
    # then
    assert response.status_code == 500
    assert "服务器错误" in _page(response)


def test_500_page_falls_back_to_plain_html_when_its_template_fails(admin, monkeypatch):
    # given a crash, and a template engine that cannot render the 500 page either
    client = login_client(admin)
    client.raise_request_exception = False
    monkeypatch.setattr("massline.orgs.views.scope_roots", _crash)
    monkeypatch.setattr("massline.core.error_responses.loader.get_template", _crash)
    # when
    response = client.get("/orgs/")
    # then
    page = _page(response)
    assert response.status_code == 500
    assert "<h1>服务器错误</h1>" in page and 'href="/"' in page


def test_error_pages_follow_the_language_chosen(admin):
    # given
    client = login_client(admin)
    client.cookies["django_language"] = "en"
    # when
    response = client.get("/no-such-page/")
    # then
    page = _page(response)
    assert response.status_code == 404
    assert "Page not found" in page and "Back to the start page" in page


def test_a_back_link_to_another_site_is_not_offered(admin):
    # when
    response = login_client(admin).get(
        "/no-such-page/", headers={"Referer": "https://elsewhere.example/page"}
    )
    # then
    assert "elsewhere.example" not in _page(response)
    assert "返回上一页" not in _page(response)


# --- the API ------------------------------------------------------------------------------


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_api_400_for_a_body_that_is_not_json(tree, admin):
    # when
    response = api_client(admin).patch(
        f"/api/v1/orgs/{tree.county_a1.pk}", "{not json", content_type="application/json"
    )
    # then
    assert response.status_code == 400
    assert _json(response)["code"] == "bad_request"
    assert _json(response)["message"] == "无法理解该请求。"


def test_api_403_and_404_answer_json(tree, make_user):
    # given a member of the village branch
    client = api_client(make_user("member", tree.village_a1, DataScope.THIS_ORG))
    # when
    forbidden = client.get(f"/api/v1/orgs/{tree.village_a1.pk}/stats")
    missing = client.get(f"/api/v1/orgs/{tree.village_a2.pk}")
    # then
    assert (forbidden.status_code, _json(forbidden)["code"]) == (403, "forbidden")
    assert (missing.status_code, _json(missing)["code"]) == (404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/orgs/1/nothing", "/api/v2/"])
def test_api_404_for_an_unknown_path(admin, path):
    # when
    response = api_client(admin).get(path)
    # then
    assert response.status_code == 404
    assert _json(response) == {"code": "not_found", "message": "未找到。"}


def test_api_405_for_a_method_the_path_does_not_take(admin):
    # when
    response = api_client(admin).delete("/api/v1/orgs")
    # then
    assert response.status_code == 405
    assert "GET" in response["Allow"] and "POST" in response["Allow"]
    body = _json(response)
    assert body["code"] == "method_not_allowed"
    assert body["message"].startswith("此地址不接受 DELETE 请求")


def test_api_429_after_too_many_failed_sign_ins(db, settings):
    # given
    settings.LOGIN_FAILURE_LIMIT = 1
    client = Client()
    wrong = {"username": "nobody", "password": "wrong"}
    client.post("/api/v1/auth/token", wrong, content_type="application/json")
    # when
    response = client.post(
        "/api/v1/auth/token",
        {"username": "nobody", "password": PASSWORD},
        content_type="application/json",
    )
    # then
    assert response.status_code == 429
    body = _json(response)
    assert body["code"] == "throttled" and "登录失败次数过多" in body["message"]


def test_api_500_answers_json_without_the_exception(admin, monkeypatch):
    # given an endpoint that crashes
    client = api_client(admin)
    client.raise_request_exception = False
    monkeypatch.setattr("massline.orgs.api.org_search", _crash)
    # when
    response = client.get("/api/v1/orgs", {"q": "新城"})
    # then
    assert response.status_code == 500
    body = _json(response)
    assert body["code"] == "server_error"
    assert "错误已记录" in body["message"] and "a bug" not in response.content.decode()
