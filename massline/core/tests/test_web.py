import pytest

from massline.conftest import login_client
from massline.core.audit import audit_record
from massline.core.models import AuditEvent


def test_pages_carry_a_strict_content_security_policy(client):
    # when
    response = client.get("/accounts/login/")
    # then
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_interface_is_chinese_first_and_switches_to_english(client):
    # given a visitor with no preference
    # when
    page = client.get("/accounts/login/").content.decode()
    # then
    assert "用户名" in page and "登录" in page
    # when they choose English
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get(response["Location"]).content.decode()
    # then
    assert "Username" in page and "Sign in" in page


def test_openapi_document_lists_the_org_endpoints(client):
    # when
    response = client.get("/api/v1/openapi.json")
    # then
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/auth/token",
        "/api/v1/orgs",
        "/api/v1/orgs/{org_id}",
        "/api/v1/orgs/{org_id}/children",
        "/api/v1/orgs/{org_id}/stats",
    ]:
        assert path in paths


def test_audit_record_keeps_actor_org_target_and_change(tree, make_user):
    # given
    user = make_user()
    # when
    event = audit_record(
        actor=user,
        action="orgs.update",
        org=tree.county_a1,
        target=tree.county_a1,
        before={"name": "a"},
        after={"name": "b"},
    )
    # then
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.action, stored.org_id, stored.org_path) == (
        user,
        "orgs.update",
        tree.county_a1.pk,
        tree.county_a1.path,
    )
    assert (stored.target_type, stored.target_id) == ("orgs.organization", str(tree.county_a1.pk))
    assert (stored.before, stored.after) == ({"name": "a"}, {"name": "b"})


def test_root_redirects_anonymous_visitors_to_sign_in(client):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_signed_in_user_without_assignment_sees_an_empty_tree(tree, make_user):
    # given a user with no role assignment (deny by default)
    client = login_client(make_user())
    # when
    page = client.get("/orgs/").content.decode()
    # then
    assert "没有党组织" in page
    assert "中共内蒙古自治区委员会" not in page


def test_audit_log_names_actions_and_targets_in_words(tree, make_user):
    # given a move recorded by the service
    from massline.orgs.services import org_move

    admin = make_user("system_admin", tree.root, "all")
    org_move(actor=admin, org=tree.town_a1, new_parent=tree.county_a2)
    # when
    page = login_client(admin).get("/access/audit/").content.decode()
    # then
    assert "调整了党组织隶属关系" in page
    assert "中共保合少镇委员会" in page


@pytest.mark.parametrize(
    "url",
    ["/members/?q=a%00", "/orgs/?q=%00", "/members/transfers/?box=%00", "/access/audit/?q=%00"],
)
def test_a_page_refuses_a_nul_character_before_any_database_sees_it(tree, make_user, url):
    # given (PostgreSQL refuses NUL in text: unchecked, this was a server error there)
    client = login_client(make_user("org_admin", tree.root))
    # when
    response = client.get(url)
    # then: the error page, with the reason, not a server error
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_form_refuses_a_nul_character_in_what_was_typed(tree, make_user):
    client = login_client(make_user("org_admin", tree.root))
    response = client.post("/members/new/", {"name": "张\x00伟"})
    assert response.status_code == 400
