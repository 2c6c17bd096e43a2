"""The opinions' tests: the shared tree and users (massline.conftest), a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def frozen(monkeypatch):
    """frozen(moment): from now on, timezone.now() is `moment`; a day alone means noon of it
    (local time)."""

    def freeze(moment: dt.date | dt.datetime) -> None:
        if not isinstance(moment, dt.datetime):
            moment = timezone.make_aware(dt.datetime.combine(moment, dt.time(12)))
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze
