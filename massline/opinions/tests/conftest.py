"""The opinions' tests: the shared tree and users (massline.conftest), a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def frozen(monkeypatch):
    """frozen(day): from now on, today is `day` (noon, local time)."""

    def freeze(day: dt.date) -> None:
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze
