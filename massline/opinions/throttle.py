"""Rate limits for the public portal and API (decision 0021): a count per client address in
the shared cache, in fixed windows. The key is a keyed hash of the window and the address
(HMAC with a key derived from SECRET_KEY), so the cache never holds an address, a key is
useless after its window, and nothing is written to the database or a log. A cache that is
busy or down lets the request through: an accepted submission is never refused for it."""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from massline.core import counting
from massline.core.errors import ApplicationError

#: (requests, seconds) per address for each kind of public request, unless settings say.
DEFAULTS = {
    "submit": (20, 600),
    "similar": (20, 600),
    "lookup": (60, 600),
    "evaluate": (60, 600),
}


def limit(kind: str) -> tuple[int, int]:
    limits = getattr(settings, "PORTAL_RATE_LIMITS", {}) or {}
    count, seconds = limits.get(kind, DEFAULTS[kind])
    return int(count), int(seconds)


def _key(kind: str, address: str, window: int) -> str:
    secret = hashlib.sha256(b"massline portal rate " + settings.SECRET_KEY.encode()).digest()
    digest = hmac.new(secret, f"{kind}:{window}:{address}".encode(), hashlib.sha256)
    return f"portal-rate:{digest.hexdigest()[:32]}"


def check(request: HttpRequest, kind: str) -> None:
    """Count this request against its address's limit; ApplicationError (429) beyond it."""
    count, seconds = limit(kind)
    window = int(time.time()) // seconds
    key = _key(kind, request.META.get("REMOTE_ADDR", ""), window)
    try:
        seen = counting.hit(key, seconds) or 0
    except Exception:  # the cache is down: never refuse for it
        return
    if seen > count:
        minutes = {"minutes": max(1, seconds // 60)}
        if kind == "evaluate":
            message = _(
                "Too many codes were tried from your network in a short time. Evaluations "
                "already sent were received; wait %(minutes)d minutes and try again."
            )
        elif kind == "lookup":
            message = _(
                "Too many receipt codes were looked up from your network in a short time. "
                "Wait %(minutes)d minutes and try again."
            )
        else:
            message = _(
                "Too many opinions were sent from your network in a short time. Those already "
                "sent were received; wait %(minutes)d minutes and send this one again."
            )
        raise ApplicationError(message % minutes, code="throttled")
