"""The cache every process of one machine shares without a server (the embedded default):
login failure counts, the consumers' heartbeats. diskcache's own Django backend, made safe.

- **Nothing is unpickled.** diskcache pickles whatever is not a number or a string, and
  unpickles what it reads: anyone who can write into the cache's folder could run code in
  every web process. `JSONDisk` stores numbers and strings as SQLite values and everything
  else as JSON text; it refuses to store what JSON cannot say (a `TypeError` at `set`) and
  reads any other kind of row (one written by diskcache's own `Disk`) as a miss.
- **Only the platform's user can read it**: the folder is made (or set) mode 0700.
- **A busy disk never hangs a request.** diskcache's Django backend retries a write for as
  long as SQLite says the cache is locked. Here each operation waits at most `LOCK_WAIT`
  seconds (SQLite's busy timeout, the backend's `DATABASE_TIMEOUT`) and then gives up:
  a read is a miss, a write is not done (False, or None for `incr`) and logged.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from diskcache import Disk
from diskcache.djangocache import DjangoCache
from django.core.cache.backends.base import DEFAULT_TIMEOUT

log = logging.getLogger(__name__)

#: Seconds an operation waits for another process's write before it gives up.
LOCK_WAIT = 0.5
#: diskcache's mode for a value kept as an SQLite integer, real or text.
MODE_RAW = 1
#: Our mode for a value kept as JSON text; diskcache's own modes are 0 to 4.
MODE_JSON = 16
INT64 = range(-(2**63), 2**63)


class UnsafeRow(OSError):
    """A row this disk does not read. diskcache treats an OSError from `fetch` as a key
    removed while it was being read: the caller sees a miss."""


class JSONDisk(Disk):
    """Keys are strings (Django's cache keys always are); values are numbers, strings, or
    what JSON can say. Nothing goes to files, nothing is pickled or unpickled."""

    def __init__(self, directory: str, **kwargs: Any) -> None:
        super().__init__(directory, min_file_size=2**63 - 1, pickle_protocol=0)
        private_folder(Path(directory))

    def put(self, key: Any) -> tuple[Any, bool]:
        if type(key) is str or (type(key) is int and key in INT64):
            return key, True
        raise TypeError(f"cache keys are strings, not {type(key).__name__}")

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise UnsafeRow("a pickled key")
        return key

    def store(self, value: Any, read: bool, key: Any = None) -> tuple[int, int, None, Any]:
        if read:
            raise TypeError("the shared cache keeps no files")
        kind = type(value)
        if kind is str or kind is float or (kind is int and value in INT64):
            return 0, MODE_RAW, None, value
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"the shared cache keeps only JSON values: {exc}") from None
        return 0, MODE_JSON, None, text

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if filename is None and not read:
            if mode == MODE_RAW and type(value) in (int, float, str):
                return value
            if mode == MODE_JSON and type(value) is str:
                return json.loads(value)
        raise UnsafeRow(f"a row of mode {mode} is not read")


def private_folder(path: Path) -> None:
    """Make `path` (and its parents), and leave it to this user alone."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)


class SharedDiskCache(DjangoCache):
    """diskcache's Django backend with `JSONDisk`, a private folder and bounded waits.
    Settings: `LOCATION` (the folder), `TIMEOUT` (default expiry), `OPTIONS["lock_wait"]`."""

    def __init__(self, directory: str, params: dict[str, Any]) -> None:
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        wait = float(options.pop("lock_wait", LOCK_WAIT))
        options.update(disk=JSONDisk)
        params.update(OPTIONS=options, DATABASE_TIMEOUT=wait, SHARDS=params.get("SHARDS", 4))
        private_folder(Path(directory))
        super().__init__(directory, params)

    def close(self, **kwargs: Any) -> None:
        """Django closes every cache when a request ends; diskcache would then close each
        shard's SQLite connection, and the next request of the thread open them again (about
        0.6 ms of a public submission's 3 ms, bench/opinions_load.py). The connections are
        the thread's own (diskcache keeps them thread-local) and stay open until the thread
        ends; `close_files` closes them when a caller must."""

    def close_files(self) -> None:
        """Close this thread's connections to the cache's files now."""
        super().close()

    # diskcache's Django backend retries writes until they succeed (`retry=True`); these
    # give up after one busy wait.

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return super().add(key, value, timeout, version, retry=False)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        stored = super().set(key, value, timeout, version, retry=False)
        if not stored:
            log.warning("the shared cache was busy: a value was not stored")
        return stored

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return super().touch(key, timeout, version, retry=False)

    def delete(self, key: Any, version: Any = None) -> Any:
        return super().delete(key, version, retry=False)

    def pop(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return super().pop(key, default, version=version, retry=False)

    def incr(self, key: Any, delta: int = 1, version: Any = None, default: Any = None) -> Any:
        value = super().incr(key, delta, version, default, retry=False)
        if value is None:
            log.warning("the shared cache was busy: an increment was not counted")
        return value

    def decr(self, key: Any, delta: int = 1, version: Any = None, default: Any = None) -> Any:
        return self.incr(key, -delta, version, default)
