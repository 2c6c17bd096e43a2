"""The opinions' tests: a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def frozen(monkeypatch):
    """frozen(moment): from now on, timezone.now() is `moment`."""

    def freeze(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze
