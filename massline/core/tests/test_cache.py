"""The cache the processes of one machine share (massline.core.cache): JSON values only,
never a pickle read back, a folder for the platform's user alone, and no request held up by
a cache another process keeps locked."""

from __future__ import annotations

import pickle
import sqlite3
import stat
import time

import diskcache
import pytest

from massline.core.cache import SharedDiskCache


def make_cache(path, **options) -> SharedDiskCache:
    return SharedDiskCache(str(path), {"TIMEOUT": 60, "OPTIONS": options})


def test_numbers_strings_and_json_values_come_back_as_they_were(tmp_path):
    # given
    cache = make_cache(tmp_path / "cache")
    values = {"n": 3, "f": 1.5, "s": "中共保合少镇委员会", "b": True, "d": {"a": [1, "二"]}}
    # when
    cache.set_many(values)
    # then
    assert cache.get_many(list(values)) == values
    assert cache.get("missing", "default") == "default"


def test_a_value_json_cannot_say_is_refused(tmp_path):
    cache = make_cache(tmp_path / "cache")
    with pytest.raises(TypeError, match="JSON"):
        cache.set("key", {1, 2})
    assert cache.get("key") is None


def test_counting_is_atomic_and_keeps_the_window(tmp_path):
    # given
    cache = make_cache(tmp_path / "cache")
    assert cache.add("failures", 1, timeout=60)
    # when
    assert not cache.add("failures", 1, timeout=60)
    counted = [cache.incr("failures") for _ in range(3)]
    # then
    assert counted == [2, 3, 4]
    with pytest.raises(ValueError):
        cache.incr("nothing-here")


class Boom:
    """Unpickling this runs code: what an attacker writing into the cache would plant."""

    ran = False

    def __reduce__(self):
        return (Boom.explode, ())

    @staticmethod
    def explode():
        Boom.ran = True
        return "exploded"


def test_a_pickle_planted_in_the_folder_is_never_unpickled(tmp_path):
    # given: every shard holds a pickled value under the key Django would read
    folder = tmp_path / "cache"
    cache = make_cache(folder)
    key = cache.make_key("planted")
    for shard in sorted(p for p in folder.iterdir() if p.is_dir()):
        diskcache.Cache(str(shard)).set(key, Boom())
    assert pickle.loads(pickle.dumps(Boom())) == "exploded"  # what a pickling cache would do
    Boom.ran = False
    # when
    found = cache.get("planted", "miss")
    # then
    assert found == "miss"
    assert Boom.ran is False


def test_the_folder_is_the_platform_users_alone(tmp_path):
    # given: a folder left open by an older version
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    # when
    cache = make_cache(folder)
    cache.set("k", 1)
    # then
    for path in [folder, *(p for p in folder.iterdir() if p.is_dir())]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path


def test_a_cache_locked_by_another_process_does_not_hold_up_a_request(tmp_path):
    # given: another connection holds the write lock of every shard
    folder = tmp_path / "cache"
    cache = make_cache(folder, lock_wait=0.2)
    cache.set("seen", 1)
    holders = []
    for shard in sorted(p for p in folder.iterdir() if p.is_dir()):
        holder = sqlite3.connect(shard / "cache.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holders.append(holder)
    try:
        # when
        started = time.monotonic()
        stored = cache.set("new", 1)
        counted = cache.incr("seen")
        read = cache.get("seen")
        took = time.monotonic() - started
    finally:
        for holder in holders:
            holder.rollback()
            holder.close()
    # then: the writes gave up after their wait, the read still answered
    assert stored is False and counted is None and read == 1
    assert took < 2
    assert cache.incr("seen") == 2


def test_the_end_of_a_request_keeps_the_threads_connections_open(tmp_path):
    # given: a cache used in this thread
    cache = make_cache(tmp_path / "cache")
    cache.set("seen", 1)
    shards = cache._cache._shards  # diskcache's own: each shard's connection is per thread
    opened = [shard._con for shard in shards]
    # when: a request ends (Django's request_finished closes every cache)
    cache.close()
    # then: the next request of the thread reads through the same connections
    assert all(shard._con is con for shard, con in zip(shards, opened, strict=True))
    assert cache.get("seen") == 1
    # and closing the files for real still works
    cache.close_files()
    assert all(shard._con is not con for shard, con in zip(shards, opened, strict=True))
    assert cache.get("seen") == 1
