"""Helpers of the rectification API tests: clients for the people of `conftest.people` and
calls that send JSON."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
BASE = "/api/v1/rectification"


def post(client: Client, url: str, body: Any = None, **headers: Any):
    return client.post(
        BASE + url, json.dumps(body or {}), content_type="application/json", **headers
    )


def get(client: Client, url: str, params: dict | None = None, **headers: Any):
    return client.get(BASE + url, params or {}, **headers)
