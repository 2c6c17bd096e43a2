"""Kinds of notice, registered by the app that sends them (`register_notice_kind` from its
apps.py). A notice stores its kind and its parameters; its words come from the kind when it
is shown, in the reader's language: `title` and `body` are lazily translated strings with
%(name)s placeholders filled from the notice's parameters, or functions of the parameters."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

log = logging.getLogger(__name__)

Words = str | Promise | Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class NoticeKind:
    code: str
    label: str | Promise
    title: Words | None = None
    body: Words | None = None


_kinds: dict[str, NoticeKind] = {}


def register_notice_kind(
    code: str,
    label: str | Promise,
    *,
    title: Words | None = None,
    body: Words | None = None,
) -> None:
    """Make `code` a kind notices can be sent as. `label` names the kind (a filter, the
    title when none is given); `title` and `body` say one notice of it (see the module)."""
    if not code or len(code) > 64:
        raise ValueError(f"a notice kind's code is 1 to 64 characters: {code!r}")
    _kinds[code] = NoticeKind(code, label, title, body)


def notice_kind(code: str) -> NoticeKind | None:
    return _kinds.get(code)


def notice_kinds() -> dict[str, NoticeKind]:
    return dict(_kinds)


def _words(words: Words | None, params: Mapping[str, Any], code: str) -> str:
    if words is None:
        return ""
    if callable(words) and not isinstance(words, Promise):
        return str(words(params))
    text = str(words)
    try:
        return text % dict(params) if "%(" in text else text
    except (KeyError, TypeError, ValueError):
        log.warning("notice kind %s: its words do not fit its parameters", code)
        return text


def render(code: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """A notice's title and body in the active language. A kind no longer registered (its
    app was removed) shows its code, so the notice can still be read and marked."""
    kind = _kinds.get(code)
    if kind is None:
        return code, ""
    title = _words(kind.title, params, code) or str(kind.label)
    return title, _words(kind.body, params, code)
