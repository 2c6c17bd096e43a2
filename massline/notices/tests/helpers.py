"""A test sender: a notice kind of its own and a function that sends it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from massline.notices.kinds import register_notice_kind
from massline.notices.services import send

TEST_KIND = "tests.reminder"

register_notice_kind(
    TEST_KIND,
    gettext_lazy("Reminder"),
    title=gettext_lazy("Background job finished"),
    body="%(what)s",
)


def remind(recipients: Any, key: str, what: str = "hello", **kwargs: Any) -> int:
    return send(recipients, TEST_KIND, key, params={"what": what}, **kwargs)
