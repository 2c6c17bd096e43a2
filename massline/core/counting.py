"""Counting hits in a fixed window in the cache every web process shares: failed sign-ins
(accounts.services) and the public portal's rate limits (opinions.throttle).

`hit(key, seconds)` counts one more and answers the count so far; the window starts with
the first hit and later hits keep it (they do not push the expiry back). Atomic in every
backend we use, so hits sent to different processes at once all count and none resets
another (decision 0011):

- **Redis**: `SET key 0 EX seconds NX` then `INCR key`, in one transaction sent in one round
  trip (the portal's submission made three: an insert that failed, then Django's increment,
  which asks whether the key exists first);
- **the embedded cache on disk** (and any other backend): an insert if absent, else an
  increment; an increment that finds the key expired in between opens a new window.

None when the cache could not count (busy or down): the callers never refuse for it."""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def hit(key: str, seconds: int, *, cache: Any = None) -> int | None:
    """One more hit on `key` in its window of `seconds`; the count so far, or None."""
    backend = caches["default"] if cache is None else cache  # the backend, not its proxy
    if isinstance(backend, RedisCache):
        name = backend.make_and_validate_key(key)
        # Django's own connection pool for the key (RedisCacheClient.get_client)
        client = backend._cache.get_client(name, write=True)  # type: ignore[attr-defined]
        with client.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=seconds, nx=True)
            pipe.incr(name)
            return int(pipe.execute()[1])
    if backend.add(key, 1, timeout=seconds):
        return 1
    try:
        counted = backend.incr(key)
    except ValueError:  # expired between the two steps: this hit opens a new window
        backend.add(key, 1, timeout=seconds)
        return 1
    return None if counted is None else int(counted)
