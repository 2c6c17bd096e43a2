"""An import asked for while the queue cannot be reached (Redis down in production): the page
and the API answer 503 with a message that says what happened, and nothing is left behind:
no job, no uploaded file, no member."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from massline.access.models import DataScope
from massline.conftest import api_client, login_client
from massline.core.models import Job
from massline.members.models import Member

from .test_import import row, write_csv


@pytest.fixture
def unreachable(settings):
    """The queue is Redis at an address where nothing answers."""
    settings.JOBS_MODE = "queue"
    HUEY.immediate = False
    HUEY.storage = RedisStorage(HUEY.name, url="redis://127.0.0.1:1/0")
    yield
    HUEY.immediate = True


def roster(tmp_path):
    path = write_csv(tmp_path / "roster.csv", [row()])
    return SimpleUploadedFile("roster.csv", path.read_bytes(), content_type="text/csv")


def nothing_left(settings) -> bool:
    jobs_dir = Path(settings.JOBS_DIR)
    files = [p for p in jobs_dir.rglob("*") if p.is_file()] if jobs_dir.exists() else []
    return not Job.objects.exists() and not Member.objects.exists() and not files


def test_the_import_page_says_the_queue_is_down_and_keeps_nothing(
    tree, make_user, tmp_path, settings, unreachable
):
    client = login_client(make_user("org_admin", tree.county_a1, DataScope.SUBTREE))
    response = client.post("/members/import/", {"file": roster(tmp_path)})
    assert response.status_code == 503
    assert "后台任务队列暂时无法连接" in response.text
    assert "<nav" in response.text  # the site's own page, with its navigation
    assert nothing_left(settings)


def test_the_import_api_says_the_queue_is_down_and_keeps_nothing(
    tree, make_user, tmp_path, settings, unreachable
):
    client = api_client(make_user("org_admin", tree.county_a1, DataScope.SUBTREE))
    response = client.post("/api/v1/imports/members", {"file": roster(tmp_path)})
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "queue_unavailable" and "无法连接" in body["message"]
    assert nothing_left(settings)
