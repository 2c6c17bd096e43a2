"""What the logs may say about a public request (decision 0021): nothing that identifies the
person who sent it, nor when they sent it to the second.

- `PrivateAccessLogger`, gunicorn's logger class for `massline serve`: an access log line for
  a public path (`/p/`, `/api/v1/public/`) has no client address, user agent, referrer,
  request headers, environment or query string, the day instead of the time, and a receipt
  code in the address replaced by `…`. Other paths are logged as gunicorn does.
- `PublicRequestFilter`, a logging filter on the site's handlers: a record about a public
  request (Django's "Not Found: /api/v1/public/opinions/<code>", a crash) loses the request
  object (which an e-mail handler would dump with its headers) and the receipt code."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from gunicorn.glogging import Logger

from .middleware import is_public

_RECEIPT = re.compile(r"(/api/v1/public/opinions/)[^/?\s]*")
#: The atoms a public request's line keeps (gunicorn's names): method, path, status, size,
#: duration.
_KEPT = {"r", "s", "m", "U", "H", "b", "B", "T", "D", "M", "L", "p"}


def redact_path(path: str) -> str:
    return _RECEIPT.sub(r"\1…", path)


class PrivateAccessLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        if not is_public(environ.get("PATH_INFO", "") or ""):
            return atoms
        kept = {k: v for k, v in atoms.items() if k in _KEPT}
        path = redact_path(environ.get("PATH_INFO", "") or "")
        kept["r"] = (
            f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}"
        )
        kept["U"] = path
        kept["q"] = "-"
        kept["t"] = time.strftime("[%d/%b/%Y]")
        for blank in ("h", "l", "u", "f", "a"):
            kept[blank] = "-"
        return kept


class PublicRequestFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", "") or ""
        if request is not None and is_public(path):
            record.request = None
            if isinstance(record.args, tuple):
                record.args = tuple(
                    redact_path(a) if isinstance(a, str) else a for a in record.args
                )
            if isinstance(record.msg, str):
                record.msg = redact_path(record.msg)
        return True
