import hashlib
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from massline.accounts.models import ApiToken, User
from massline.accounts.services import (
    TOKEN_LIFETIME,
    api_token_create,
    api_token_user,
    login_locked_until,
    user_authenticate,
)
from massline.conftest import PASSWORD
from massline.core.errors import ApplicationError
from massline.core.models import AuditEvent

ADDRESS = "203.0.113.7"


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user(username="wangfang", password=PASSWORD)


def _fail(username: str, address: str = ADDRESS, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(ApplicationError) as caught:
            user_authenticate(request=None, username=username, password="wrong", address=address)
        assert caught.value.code == "bad_credentials"


# user_authenticate


def test_user_authenticate_returns_the_user_for_the_right_password(user):
    # given / when
    found = user_authenticate(request=None, username="wangfang", password=PASSWORD, address=ADDRESS)
    # then
    assert found == user


@pytest.mark.parametrize(
    ("username", "password"),
    [("wangfang", "wrong"), ("wangfang", ""), ("nobody", PASSWORD)],
    ids=["wrong-password", "empty-password", "unknown-user"],
)
def test_user_authenticate_refuses_bad_credentials(user, username, password):
    # given / when
    with pytest.raises(ApplicationError) as caught:
        user_authenticate(request=None, username=username, password=password, address=ADDRESS)
    # then
    assert caught.value.code == "bad_credentials"
    assert caught.value.message == "用户名或密码错误。"


def test_user_authenticate_refuses_an_inactive_user(user):
    # given
    user.is_active = False
    user.save(update_fields=["is_active"])
    # when
    with pytest.raises(ApplicationError) as caught:
        user_authenticate(request=None, username="wangfang", password=PASSWORD, address=ADDRESS)
    # then
    assert caught.value.code == "bad_credentials"


def test_user_authenticate_throttles_after_the_failure_limit_even_with_the_right_password(user):
    # given
    _fail("wangfang", times=settings.LOGIN_FAILURE_LIMIT)
    # when
    with pytest.raises(ApplicationError) as caught:
        user_authenticate(request=None, username="wangfang", password=PASSWORD, address=ADDRESS)
    # then
    assert caught.value.code == "throttled"
    until = login_locked_until(username="wangfang")
    assert until is not None
    assert caught.value.message == (
        f"登录失败次数过多，请在 {timezone.localtime(until):%H:%M} 之后再试。"
    )
    window = until - timezone.now()
    assert (
        settings.LOGIN_FAILURE_WINDOW - 5 <= window.total_seconds() <= settings.LOGIN_FAILURE_WINDOW
    )


def test_user_authenticate_allows_the_right_password_one_failure_below_the_limit(user):
    # given
    _fail("wangfang", times=settings.LOGIN_FAILURE_LIMIT - 1)
    # when
    found = user_authenticate(request=None, username="wangfang", password=PASSWORD, address=ADDRESS)
    # then
    assert found == user


def test_a_successful_sign_in_resets_the_failures_of_the_username(user):
    # given failures just below the limit, then a success
    _fail("wangfang", times=settings.LOGIN_FAILURE_LIMIT - 1)
    user_authenticate(request=None, username="wangfang", password=PASSWORD, address=ADDRESS)
    # when another round of failures from a fresh address
    _fail("wangfang", address="198.51.100.1", times=settings.LOGIN_FAILURE_LIMIT - 1)
    found = user_authenticate(
        request=None, username="wangfang", password=PASSWORD, address="198.51.100.1"
    )
    # then
    assert found == user


def test_throttling_follows_the_username_across_addresses(user):
    # given every failure from a different address
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        _fail("wangfang", address=f"198.51.100.{i + 1}")
    # when
    with pytest.raises(ApplicationError) as caught:
        user_authenticate(
            request=None, username=" WangFang ", password=PASSWORD, address="192.0.2.200"
        )
    # then
    assert caught.value.code == "throttled"


def test_throttling_follows_the_address_across_usernames(user):
    # given failures for many usernames from one address
    for i in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _fail(f"guess{i}")
    # when
    with pytest.raises(ApplicationError) as caught:
        user_authenticate(request=None, username="wangfang", password=PASSWORD, address=ADDRESS)
    # then
    assert caught.value.code == "throttled"


def test_throttling_one_user_leaves_others_on_other_addresses_alone(user):
    # given
    other = User.objects.create_user(username="lilei", password=PASSWORD)
    _fail("wangfang", times=settings.LOGIN_FAILURE_LIMIT)
    # when
    found = user_authenticate(
        request=None, username="lilei", password=PASSWORD, address="192.0.2.9"
    )
    # then
    assert found == other


def test_throttling_is_lifted_once_the_window_has_passed(user, settings):
    # given a one-second window, and the failures older than it
    settings.LOGIN_FAILURE_WINDOW = 1
    _fail("wangfang", times=settings.LOGIN_FAILURE_LIMIT)
    time.sleep(1.2)
    # when
    found = user_authenticate(request=None, username="wangfang", password=PASSWORD, address=ADDRESS)
    # then
    assert found == user


# API tokens


def test_api_token_create_stores_only_a_hash_of_the_token(user):
    # given / when
    raw = api_token_create(user=user)
    # then
    token = ApiToken.objects.get(user=user)
    assert len(raw) >= 40
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.key_hash, str(token)}
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    assert timedelta(days=29) < token.expires_at - timezone.now() <= TOKEN_LIFETIME


def test_api_token_create_issues_a_different_token_each_time(user):
    # given / when
    first = api_token_create(user=user)
    second = api_token_create(user=user)
    # then
    assert first != second
    assert ApiToken.objects.filter(user=user).count() == 2


def test_api_token_create_is_audited_without_the_token(user):
    # given / when
    raw = api_token_create(user=user)
    # then
    event = AuditEvent.objects.get(action="accounts.token_create")
    assert event.actor == user
    assert event.target_type == "accounts.apitoken"
    assert raw not in repr((event.before, event.after, event.target_id))


def test_api_token_user_returns_the_owner_and_records_use(user):
    # given
    raw = api_token_create(user=user)
    # when
    found = api_token_user(raw=raw)
    # then
    assert found == user
    assert ApiToken.objects.get(user=user).last_used_at is not None


@pytest.mark.parametrize("raw", ["", "not-a-token", "x" * 43])
def test_api_token_user_of_an_unknown_token_is_none(user, raw):
    # given a real token exists
    api_token_create(user=user)
    # when / then
    assert api_token_user(raw=raw) is None


def test_api_token_user_of_the_stored_hash_is_none(user):
    # given
    api_token_create(user=user)
    stored = ApiToken.objects.get(user=user).key_hash
    # when / then
    assert api_token_user(raw=stored) is None


def test_api_token_user_of_an_expired_token_is_none(user):
    # given
    raw = api_token_create(user=user)
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    # when / then
    assert api_token_user(raw=raw) is None


def test_api_token_user_of_a_token_without_expiry_is_its_owner(user):
    # given
    raw = api_token_create(user=user)
    ApiToken.objects.filter(user=user).update(expires_at=None)
    # when / then
    assert api_token_user(raw=raw) == user


def test_api_token_user_of_an_inactive_user_is_none(user):
    # given
    raw = api_token_create(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    # when / then
    assert api_token_user(raw=raw) is None


# the login page


def test_login_page_shows_the_form(db):
    # given / when
    response = Client().get("/accounts/login/")
    # then
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_login_with_a_bad_password_shows_the_chinese_error(user):
    # given / when
    response = Client().post("/accounts/login/", {"username": "wangfang", "password": "wrong"})
    # then
    assert response.status_code == 200
    assert "用户名或密码错误。" in response.content.decode()
    assert SESSION_KEY not in response.wsgi_request.session


def test_login_error_follows_the_browser_language(user):
    # given / when
    response = Client(headers={"Accept-Language": "en"}).post(
        "/accounts/login/", {"username": "wangfang", "password": "wrong"}
    )
    # then
    assert "Wrong username or password." in response.content.decode()


def test_login_with_the_right_password_signs_in_and_redirects(user):
    # given
    client = Client()
    # when
    response = client.post("/accounts/login/", {"username": "wangfang", "password": PASSWORD})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/"  # the workbench
    assert client.session[SESSION_KEY] == str(user.pk)


@pytest.mark.parametrize(
    ("next_url", "location"),
    [("/access/", "/access/"), ("https://evil.example/", "/"), ("//evil.example", "/")],
)
def test_login_redirects_only_to_local_next_urls(user, next_url, location):
    # given / when
    response = Client().post(
        "/accounts/login/", {"username": "wangfang", "password": PASSWORD, "next": next_url}
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == location


def test_login_answers_429_once_throttled_even_with_the_right_password(user):
    # given
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "wangfang", "password": "wrong"})
    # when
    response = client.post("/accounts/login/", {"username": "wangfang", "password": PASSWORD})
    # then
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_logout_signs_out(user):
    # given
    client = Client()
    client.force_login(user)
    # when
    response = client.post("/accounts/logout/")
    # then
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


# the API token endpoint


def test_api_token_endpoint_issues_a_token_that_authenticates(user):
    # given / when
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "wangfang", "password": PASSWORD},
        content_type="application/json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token"}
    assert api_token_user(raw=body["token"]) == user


@pytest.mark.parametrize(("username", "password"), [("wangfang", "wrong"), ("nobody", PASSWORD)])
def test_api_token_endpoint_answers_401_on_bad_credentials(user, username, password):
    # given / when
    response = Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"
    assert "token" not in response.json()
    assert not ApiToken.objects.exists()


def test_api_token_endpoint_answers_429_once_throttled(user):
    # given
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(
            "/api/v1/auth/token",
            {"username": "wangfang", "password": "wrong"},
            content_type="application/json",
        )
    # when
    response = client.post(
        "/api/v1/auth/token",
        {"username": "wangfang", "password": PASSWORD},
        content_type="application/json",
    )
    # then
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert not ApiToken.objects.exists()


def test_api_token_endpoint_refuses_a_body_without_password(user):
    # given / when
    response = Client().post(
        "/api/v1/auth/token", {"username": "wangfang"}, content_type="application/json"
    )
    # then
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_api_accepts_the_bearer_token_and_refuses_an_expired_one(user):
    # given
    raw = api_token_create(user=user)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    ok = client.get("/api/v1/orgs")
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    # when
    refused = client.get("/api/v1/orgs")
    # then
    assert ok.status_code == 200
    assert refused.status_code == 401


def test_a_few_failures_from_a_shared_office_address_do_not_lock_out_colleagues(user):
    # given one colleague mistyped their password up to their own limit, from the office address
    _fail("lilei", times=settings.LOGIN_FAILURE_LIMIT)
    # when another colleague signs in from the same address
    found = user_authenticate(request=None, username="wangfang", password=PASSWORD, address=ADDRESS)
    # then
    assert found == user
