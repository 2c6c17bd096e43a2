"""The stored built-in roles carry the campaign permissions the code ships with: the data
migration access/0007 brings existing databases to what `roles_ensure_builtin` writes."""

from __future__ import annotations

import pytest

from massline.access.models import Role
from massline.access.permissions import BUILTIN_ROLES, CAMPAIGNS_MANAGE, CAMPAIGNS_VIEW


@pytest.mark.django_db
def test_the_migrated_roles_hold_the_campaign_permissions_the_code_ships():
    # given: the roles as the migrations left them (no roles_ensure_builtin)
    stored = {r.code: set(r.permissions) for r in Role.objects.filter(is_builtin=True)}
    # then
    for code, (_label, perms) in BUILTIN_ROLES.items():
        wanted = {p for p in perms if p in (CAMPAIGNS_VIEW, CAMPAIGNS_MANAGE)}
        assert stored[code] & {CAMPAIGNS_VIEW, CAMPAIGNS_MANAGE} == wanted, code
    assert CAMPAIGNS_MANAGE in stored["campaign_office"]
    assert CAMPAIGNS_MANAGE not in stored["org_admin"]
    assert CAMPAIGNS_VIEW in stored["org_admin"]
