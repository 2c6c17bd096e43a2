"""Accounts: signing in with throttling, API tokens, creating users."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.core import counting
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError

from .models import ApiToken, User

TOKEN_LIFETIME = timedelta(days=30)


def _key(kind: str, value: str) -> str:
    # Keyed hashes: neither the username nor the address is kept in the cache in clear.
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256)
    return f"login-fail:{kind}:{digest.hexdigest()[:32]}"


def _throttle_keys(*, username: str, address: str) -> list[str]:
    return [_key("user", username.strip().lower()), _key("addr", address)]


def _lock_key(username: str) -> str:
    """Where the time a locked username may try again is kept."""
    return _key("until", username.strip().lower())


def login_locked_until(*, username: str) -> datetime | None:
    """When a username locked by too many failures may try again; None when it is not."""
    until = cache.get(_lock_key(username))
    if not isinstance(until, int | float) or until <= time.time():
        return None
    return datetime.fromtimestamp(until, tz=UTC)


def login_unlock(*, username: str) -> bool:
    """Forget a username's failures (an administrator unlocks it); was it locked?"""
    locked = login_locked_until(username=username) is not None
    cache.delete_many([_throttle_keys(username=username, address="")[0], _lock_key(username)])
    return locked


def login_is_throttled(*, username: str, address: str) -> bool:
    """Too many recent failures for this username, or from this address? The address limit is
    higher: a whole office often signs in from behind one address."""
    user_key, address_key = _throttle_keys(username=username, address=address)
    return (cache.get(user_key) or 0) >= settings.LOGIN_FAILURE_LIMIT or (
        cache.get(address_key) or 0
    ) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


def login_failed(*, username: str, address: str) -> None:
    """Count a failure in the cache every web process shares (`core.counting.hit`: atomic,
    so failures sent to different processes at once all count; the window runs from the
    first failure).
    The failure that reaches the limit starts the username's lock (later ones do not extend
    it), so the user can be told when they may try again."""
    counts = [
        counting.hit(key, settings.LOGIN_FAILURE_WINDOW)
        for key in _throttle_keys(username=username, address=address)
    ]
    if (counts[0] or 0) >= settings.LOGIN_FAILURE_LIMIT:  # None: the cache was busy
        until = int(time.time()) + settings.LOGIN_FAILURE_WINDOW
        cache.add(_lock_key(username), until, timeout=settings.LOGIN_FAILURE_WINDOW)


def login_succeeded(*, username: str, address: str) -> None:
    cache.delete(_throttle_keys(username=username, address=address)[0])


def user_authenticate(
    *, request: HttpRequest | None, username: str, password: str, address: str
) -> User:
    """Check a username and password, refusing while too many recent attempts failed."""
    if login_is_throttled(username=username, address=address):
        until = login_locked_until(username=username)
        if until is not None:
            raise ApplicationError(
                _("Too many failed sign-in attempts. You may try again after %(time)s.")
                % {"time": timezone.localtime(until).strftime("%H:%M")},
                code="throttled",
            )
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


def _check_new_password(user: User, new_password: str, repeated: str) -> None:
    if new_password != repeated:
        raise ApplicationError(_("The two new passwords differ."), field="new_password2")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        # Django's Chinese catalog lacks its current wording of this one message
        words = [
            _("The password is too short: it needs at least %(count)d characters.")
            % {"count": (e.params or {}).get("min_length", 8)}
            if e.code == "password_too_short"
            else " ".join(e.messages)
            for e in exc.error_list
        ]
        raise ApplicationError(" ".join(words), field="new_password1") from None


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str, repeated: str) -> User:
    """A user changes their own password, giving the one they have. The audit row says that
    it changed, never what it is."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.check_password(old_password):
        raise ApplicationError(_("The current password is wrong."), field="old_password")
    _check_new_password(locked, new_password, repeated)
    locked.set_password(new_password)
    locked.save(update_fields=["password"])
    audit_record(actor=locked, action="accounts.password_change", target=locked)
    return locked


def password_store(*, user: User, new_password: str, repeated: str) -> User:
    """Set a user's password (an administrator's reset): the caller checks who may and writes
    the audit row in the same transaction."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    _check_new_password(locked, new_password, repeated)
    locked.set_password(new_password)
    locked.save(update_fields=["password"])
    login_unlock(username=locked.username)
    return locked
