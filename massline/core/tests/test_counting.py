"""Counting hits in a window (core.counting) on the embedded cache on disk and on Redis: the
count, the window kept by later hits, a new window after it ends, and hits from many
threads at once all counted."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache

from massline.core.cache import SharedDiskCache
from massline.core.counting import hit

REDIS = "redis://127.0.0.1:6379/14"


def _redis() -> RedisCache:
    backend = RedisCache(REDIS, {})
    try:
        backend.get("ping")
    except Exception:
        pytest.skip(f"no Redis answers at {REDIS}")
    return backend


@pytest.fixture(params=["disk", "redis"])
def backend(request, tmp_path):
    if request.param == "redis":
        return _redis()
    return SharedDiskCache(str(tmp_path / "cache"), {"TIMEOUT": 60})


def test_hits_are_counted_in_their_window_and_a_new_one_opens_after_it(backend):
    key = f"test-count-{uuid.uuid4().hex}"
    assert [hit(key, 2, cache=backend) for _ in range(3)] == [1, 2, 3]
    assert backend.get(key) == 3  # what a reader of the count (login_throttled) sees
    time.sleep(1.2)
    assert hit(key, 2, cache=backend) == 4  # a later hit keeps the window, not extends it
    time.sleep(1.0)
    assert hit(key, 2, cache=backend) == 1  # the window ended: a new one


def test_hits_from_many_threads_at_once_all_count(backend):
    key = f"test-count-{uuid.uuid4().hex}"
    counts: list[int | None] = []
    lock = threading.Lock()

    def hits() -> None:
        for _ in range(25):
            n = hit(key, 60, cache=backend)
            with lock:
                counts.append(n)

    threads = [threading.Thread(target=hits) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == list(range(1, 201))


def test_the_default_cache_is_counted_through_its_own_backend(settings):
    # given: Redis as the default cache, as in production
    _redis()
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": REDIS}}
    import redis
    from django.core.cache import caches

    server = redis.Redis.from_url(REDIS)

    def transactions() -> int:
        return int(server.info("commandstats").get("cmdstat_multi", {}).get("calls", 0))

    key = f"test-count-{uuid.uuid4().hex}"
    before = transactions()
    # when
    counts = [hit(key, 60) for _ in range(3)]
    # then: counted by the pipeline (one MULTI each), readable by a plain get
    assert counts == [1, 2, 3]
    assert transactions() - before >= 3
    assert caches["default"].get(key) == 3
