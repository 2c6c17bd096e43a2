"""Accounts as users meet them: their own profile and password, a lock that says when it
ends, and administrators who reset and unlock the accounts of users under them (and only
those), each audited against the user's organizations."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from massline.access.models import DataScope
from massline.access.services import user_password_reset, user_unlock
from massline.access.users import may_manage
from massline.accounts.services import login_locked_until, password_change
from massline.conftest import login_client
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
GOOD = "correct-horse-battery"
NEW = "a-new-long-passphrase"


def _lock(client: Client, username: str, times: int = 5) -> None:
    for _ in range(times):
        client.post("/accounts/login/", {"username": username, "password": "wrong-password"})


# --- own account -------------------------------------------------------------------------


def test_a_user_changes_their_own_password_and_stays_signed_in(tree, make_user):
    # given
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    user.set_password(GOOD)
    user.save()
    client = login_client(user)
    # when
    response = client.post(
        "/accounts/password/",
        {"old_password": GOOD, "new_password1": NEW, "new_password2": NEW},
    )
    # then
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert client.get("/accounts/profile/").status_code == 200
    event = AuditEvent.objects.get(action="accounts.password_change")
    assert event.actor == user and event.before is None and event.after is None


@pytest.mark.parametrize(
    ("old", "new1", "new2", "field", "words"),
    [
        ("not-it", NEW, NEW, "old_password", "当前密码不正确"),
        (GOOD, NEW, NEW + "x", "new_password2", "两次"),
        (GOOD, "short", "short", "new_password1", "太短"),
        (GOOD, "password123", "password123", "new_password1", "太常见"),
    ],
)
def test_a_bad_password_change_says_which_field_and_changes_nothing(
    tree, make_user, old, new1, new2, field, words
):
    # given
    user = make_user("member", tree.village_a1, DataScope.SELF)
    user.set_password(GOOD)
    user.save()
    # when
    response = login_client(user).post(
        "/accounts/password/",
        {"old_password": old, "new_password1": new1, "new_password2": new2},
        **ZH,
    )
    # then
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert words in " ".join(errors[field])
    user.refresh_from_db()
    assert user.check_password(GOOD)
    assert not AuditEvent.objects.filter(action="accounts.password_change").exists()


def test_the_profile_lists_the_roles_in_force(tree, make_user):
    user = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    response = login_client(user).get("/accounts/profile/", **ZH)
    assert response.status_code == 200
    content = response.content.decode()
    assert tree.county_a1.name in content and "本级及以下" in content
    assert 'href="/accounts/password/"' in content


# --- locks -------------------------------------------------------------------------------


def test_a_locked_user_is_told_when_they_may_try_again(tree, make_user):
    # given
    user = make_user("member", tree.village_a1, DataScope.SELF)
    user.set_password(GOOD)
    user.save()
    client = Client()
    _lock(client, user.username)
    # when: even the right password now
    response = client.post("/accounts/login/", {"username": user.username, "password": GOOD}, **ZH)
    # then
    until = login_locked_until(username=user.username)
    assert until is not None
    assert response.status_code == 429
    from django.utils import timezone

    assert f"{timezone.localtime(until):%H:%M} 之后再试" in response.content.decode()


# --- who may look after whom ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "subject", "allowed"),
    [
        # (role, org, scope) of the administrator; the subject's (role, org, scope)
        (("org_admin", "county_a1", "subtree"), ("org_admin", "town_a1", "subtree"), True),
        (("org_admin", "county_a1", "subtree"), ("org_admin", "county_a1", "this_org"), True),
        (("org_admin", "county_a1", "subtree"), ("org_admin", "county_a2", "subtree"), False),
        (("org_admin", "county_a1", "subtree"), ("campaign_office", "pref_a", "subtree"), False),
        (("org_admin", "county_a1", "this_org"), ("member", "town_a1", "self"), False),
        # reach: a subtree below a single organization is more than this_org covers
        (("org_admin", "county_a1", "this_org"), ("org_admin", "county_a1", "subtree"), False),
        # rights: a campaign office assigns roles, which an organization administrator may not
        (("org_admin", "pref_a", "subtree"), ("campaign_office", "town_a1", "subtree"), False),
        (("org_admin", "pref_a", "subtree"), ("supervisor", "town_a1", "subtree"), True),
        (("campaign_office", "pref_a", "subtree"), ("member", "town_a1", "self"), False),
        (("org_admin", "pref_a", "subtree"), ("system_admin", "pref_a", "all"), False),
        (("supervisor", "pref_a", "subtree"), ("member", "town_a1", "self"), False),
        (("system_admin", "root", "all"), ("campaign_office", "root", "subtree"), True),
    ],
)
def test_an_administrator_looks_after_only_users_under_them(
    tree, make_user, actor, subject, allowed
):
    # given
    admin = make_user(actor[0], getattr(tree, actor[1]), actor[2])
    user = make_user(subject[0], getattr(tree, subject[1]), subject[2])
    user.set_password(GOOD)
    user.save()
    _lock(Client(), user.username)
    client = login_client(admin)
    # when
    page = client.get(f"/access/users/{user.pk}/")
    unlock = client.post(f"/access/users/{user.pk}/unlock/")
    reset = client.post(f"/access/users/{user.pk}/", {"new_password1": NEW, "new_password2": NEW})
    # then
    listing = client.get("/access/users/")
    assert may_manage(admin, user) is allowed
    assert (listing.status_code == 200 and user.username in listing.content.decode()) is allowed
    user.refresh_from_db()
    if allowed:
        assert page.status_code == 200
        assert unlock.status_code == 302 and reset.status_code == 302
        assert user.check_password(NEW)
        assert login_locked_until(username=user.username) is None
        events = AuditEvent.objects.filter(action__in=["access.unlock", "access.password_reset"])
        assert {e.org_id for e in events} == {getattr(tree, subject[1]).pk}
    else:
        assert page.status_code in (403, 404)
        assert unlock.status_code in (403, 404) and reset.status_code in (403, 404)
        assert user.check_password(GOOD)
        assert login_locked_until(username=user.username) is not None
        assert not AuditEvent.objects.filter(action__startswith="access.unlock").exists()


def test_an_expired_assignment_manages_nobody(tree, make_user):
    from datetime import date

    admin = make_user(
        "org_admin",
        tree.county_a1,
        DataScope.SUBTREE,
        valid_from=date(2020, 1, 1),
        valid_to=date(2021, 1, 1),
    )
    user = make_user("member", tree.town_a1, DataScope.SELF)
    assert not may_manage(admin, user)
    assert login_client(admin).get("/access/users/").status_code == 403
    with pytest.raises(Forbidden):
        user_unlock(actor=admin, user=user)


def test_nobody_manages_their_own_account_or_a_superuser_here(tree, make_user):
    admin = make_user("system_admin", tree.root, DataScope.ALL)
    root = make_user()
    root.is_superuser = True
    root.save()
    assert not may_manage(admin, admin)
    assert not may_manage(admin, root)
    with pytest.raises(Forbidden):
        user_password_reset(actor=admin, user=root, new_password=NEW, repeated=NEW)


def test_a_reset_with_a_weak_password_says_so_and_changes_nothing(tree, make_user):
    admin = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    user = make_user("member", tree.town_a1, DataScope.SELF)
    user.set_password(GOOD)
    user.save()
    response = login_client(admin).post(
        f"/access/users/{user.pk}/", {"new_password1": "1234", "new_password2": "1234"}, **ZH
    )
    assert response.status_code == 400
    assert "太短" in " ".join(response.context["form"].errors["new_password1"])
    user.refresh_from_db()
    assert user.check_password(GOOD)
    assert not AuditEvent.objects.filter(action="access.password_reset").exists()


def test_the_users_page_shows_who_is_locked(tree, make_user):
    admin = make_user("org_admin", tree.county_a1, DataScope.SUBTREE)
    user = make_user("member", tree.town_a1, DataScope.SELF)
    other = make_user("member", tree.county_a2, DataScope.SELF)
    _lock(Client(), user.username)
    response = login_client(admin).get("/access/users/", **ZH)
    content = response.content.decode()
    assert user.username in content and other.username not in content
    assert "锁定至" in content


def test_password_change_service_refuses_a_wrong_current_password(tree, make_user):
    user = make_user("member", tree.town_a1, DataScope.SELF)
    user.set_password(GOOD)
    user.save()
    with pytest.raises(ApplicationError) as caught:
        password_change(user=user, old_password="x", new_password=NEW, repeated=NEW)
    assert caught.value.field == "old_password"
    cache.clear()
