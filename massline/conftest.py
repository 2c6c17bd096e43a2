"""Shared fixtures: a small real organization tree built through the services, users with
role assignments, and API clients. Every test runs against a real database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from huey.contrib.djhuey import HUEY

from massline.access.models import DataScope, Role
from massline.access.services import assignment_create, roles_ensure_builtin
from massline.accounts.models import User
from massline.orgs.models import Organization, OrgKind, UnitType
from massline.orgs.services import org_create

# the browser journeys' fixtures (browser, page, phone, narrow_page), for every app's tests
pytest_plugins = ["massline.testing.browser"]

PASSWORD = "test-pass-123"

# Nothing a test does reaches the machine's queue: what is put on it runs at once, and
# locks and schedules live in memory.
HUEY.immediate = True


@pytest.fixture(autouse=True)
def _fast_and_clean(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "zh-hans"
    # Jobs run before the request returns, on the test's own connection; their files go to
    # the test's folder.
    settings.JOBS_MODE = "immediate"
    settings.JOBS_DIR = tmp_path / "jobs"
    # Each test's own cache, in memory (the machine's shared cache is for the processes of a
    # running site; tests that need it across processes start those processes).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


def make_org(
    parent: Organization | None,
    code: str,
    name: str,
    kind: str = OrgKind.COMMITTEE,
    unit_type: str = UnitType.AGENCY,
) -> Organization:
    return org_create(
        actor=None, parent=parent, code=code, name=name, kind=kind, unit_type=unit_type
    )


@pytest.fixture
def tree(db) -> SimpleNamespace:
    """root ─┬─ pref_a ─┬─ county_a1 ── town_a1 ─┬─ village_a1 (branch)
    │          │                         └─ village_a2 (branch)
    │          └─ county_a2 ── branch_a2 (branch)
    └─ pref_b ─── county_b1 ── branch_b1 (branch)"""
    t = SimpleNamespace()
    t.root = make_org(None, "150000000000", "中共内蒙古自治区委员会")
    t.pref_a = make_org(t.root, "150100000000", "中共呼和浩特市委员会")
    t.pref_b = make_org(t.root, "150200000000", "中共包头市委员会")
    t.county_a1 = make_org(t.pref_a, "150102000000", "中共新城区委员会")
    t.county_a2 = make_org(t.pref_a, "150103000000", "中共回民区委员会")
    t.county_b1 = make_org(t.pref_b, "150202000000", "中共东河区委员会")
    t.town_a1 = make_org(
        t.county_a1, "150102101000", "中共保合少镇委员会", unit_type=UnitType.RURAL
    )
    t.village_a1 = make_org(
        t.town_a1, "150102101201", "中共古路板村支部委员会", OrgKind.BRANCH, UnitType.RURAL
    )
    t.village_a2 = make_org(
        t.town_a1, "150102101202", "中共讨思浩村支部委员会", OrgKind.BRANCH, UnitType.RURAL
    )
    t.branch_a2 = make_org(
        t.county_a2, "150103000000-A001", "中共回民区财政局支部委员会", OrgKind.BRANCH
    )
    t.branch_b1 = make_org(
        t.county_b1, "150202000000-A001", "中共东河区财政局支部委员会", OrgKind.BRANCH
    )
    return t


@pytest.fixture
def roles(db) -> dict[str, Role]:
    roles_ensure_builtin(actor=None)
    return {r.code: r for r in Role.objects.all()}


@pytest.fixture
def make_user(db, roles) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        role: str | None = None,
        org: Organization | None = None,
        scope: str = DataScope.SUBTREE,
        *,
        valid_from: date | None = None,
        valid_to: date | None = None,
        custom: list[Organization] | None = None,
        username: str | None = None,
    ) -> User:
        user = User.objects.create_user(
            username=username or f"user{next(counter)}", password=PASSWORD
        )
        if role is not None:
            assert org is not None
            assignment_create(
                actor=None,
                user=user,
                role=roles[role],
                org=org,
                scope=scope,
                valid_from=valid_from or date.today() - timedelta(days=30),
                valid_to=valid_to,
                custom_orgs=custom or [],
            )
        return user

    return make


def login_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user: User) -> Client:
    """A client that authenticates like an API user: a token from POST /api/v1/auth/token."""
    client = Client()
    response = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return Client(headers={"Authorization": f"Bearer {response.json()['token']}"})
