"""Accounts: signing in with throttling, API tokens, creating users."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.core.audit import audit_record
from massline.core.errors import ApplicationError

from .models import ApiToken, User

TOKEN_LIFETIME = timedelta(days=30)


def _throttle_keys(*, username: str, address: str) -> list[str]:
    # Keyed hashes: neither the username nor the address is kept in the cache in clear.
    def key(kind: str, value: str) -> str:
        digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256)
        return f"login-fail:{kind}:{digest.hexdigest()[:32]}"

    return [key("user", username.strip().lower()), key("addr", address)]


def login_is_throttled(*, username: str, address: str) -> bool:
    """Too many recent failures for this username, or from this address? The address limit is
    higher: a whole office often signs in from behind one address."""
    user_key, address_key = _throttle_keys(username=username, address=address)
    return (cache.get(user_key) or 0) >= settings.LOGIN_FAILURE_LIMIT or (
        cache.get(address_key) or 0
    ) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


def login_failed(*, username: str, address: str) -> None:
    """Count a failure in the cache every web process shares. Both steps are atomic there
    (an insert only if absent, an increment), so failures sent to different processes at
    once all count; the window runs from the first failure (an increment keeps the expiry)."""
    for key in _throttle_keys(username=username, address=address):
        if cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between the two steps: this failure opens a new window
            cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW)


def login_succeeded(*, username: str, address: str) -> None:
    cache.delete(_throttle_keys(username=username, address=address)[0])


def user_authenticate(
    *, request: HttpRequest | None, username: str, password: str, address: str
) -> User:
    """Check a username and password, refusing while too many recent attempts failed."""
    if login_is_throttled(username=username, address=address):
        raise ApplicationError(
            _("Too many failed sign-in attempts. Please wait %(minutes)d minutes and try again.")
            % {"minutes": max(1, settings.LOGIN_FAILURE_WINDOW // 60)},
            code="throttled",
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failed(username=username, address=address)
        raise ApplicationError(_("Wrong username or password."), code="bad_credentials")
    login_succeeded(username=username, address=address)
    assert isinstance(user, User)
    return user


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User) -> str:
    """Issue a bearer token; returns the raw token, which is shown once and never stored."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_hash=_hash_token(raw), expires_at=timezone.now() + TOKEN_LIFETIME
    )
    audit_record(actor=user, action="accounts.token_create", target=token)
    return raw


def api_token_user(*, raw: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(raw), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    display_name: str = "",
    is_superuser: bool = False,
) -> User:
    if User.objects.filter(username=username).exists():
        raise ApplicationError(
            _("The username %(username)s is taken.") % {"username": username}, field="username"
        )
    user = User(
        username=username,
        display_name=display_name,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(
        actor=actor,
        action="accounts.user_create",
        target=user,
        after={"username": username, "display_name": display_name},
    )
    return user
