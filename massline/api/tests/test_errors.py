"""Every error has one shape: a page with the translated message, or under /api/ the JSON
`{"code", "message", ["field"]}` with the status of its code (docs/architecture.md)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from massline.access.models import DataScope
from massline.conftest import api_client, login_client
from massline.core.errors import ApplicationError
from massline.core.middleware import ApplicationErrorMiddleware


def test_api_answers_an_organization_outside_the_scope_as_not_found(tree, make_user):
    # given a branch administrator
    client = api_client(make_user("org_admin", tree.village_a1, DataScope.THIS_ORG))
    # when they ask for a sibling branch
    response = client.get(f"/api/v1/orgs/{tree.village_a2.pk}")
    # then
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到。"}


def test_api_answers_a_visible_organization_without_the_permission_as_forbidden(tree, make_user):
    # given a member, who sees the organization but not its figures
    client = api_client(make_user("member", tree.village_a1, DataScope.THIS_ORG))
    # when
    response = client.get(f"/api/v1/orgs/{tree.village_a1.pk}/stats")
    # then
    assert response.status_code == 403
    assert response.json() == {"code": "forbidden", "message": "没有权限。"}


def test_api_answers_an_unknown_address_with_the_same_json_shape(tree, make_user):
    # given
    client = api_client(make_user("campaign_office", tree.root))
    # when Django itself finds no route
    response = client.get("/api/v1/no-such-thing")
    # then
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_api_without_a_token_is_unauthenticated():
    # given / when
    response = Client().get("/api/v1/orgs")
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("name", ["", "   "])
def test_api_refuses_an_empty_name_with_the_field_and_changes_nothing(tree, make_user, name):
    # given
    client = api_client(make_user("campaign_office", tree.root))
    # when
    response = client.patch(
        f"/api/v1/orgs/{tree.county_a1.pk}", {"name": name}, content_type="application/json"
    )
    # then a client error naming the field, never a server error
    assert response.status_code in (400, 422)
    assert response.json()["field"] == "name"
    tree.county_a1.refresh_from_db()
    assert tree.county_a1.name == "中共新城区委员会"


def test_api_lists_every_fault_of_a_request_the_schema_does_not_allow(tree, make_user):
    # given
    client = api_client(make_user("campaign_office", tree.root))
    # when
    response = client.post(
        "/api/v1/orgs", {"parent": "x", "kind": "club"}, content_type="application/json"
    )
    # then
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request"
    assert {e["field"] for e in body["errors"]} >= {"parent", "kind", "code", "name"}


def test_every_operation_declares_its_errors_with_the_error_schema():
    # given
    document = Client().get("/api/v1/openapi.json").json()
    # then
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = operation["responses"]
            # an operation open to anyone (the public opinion box) cannot answer 401
            required = {"401", "422"} if operation.get("security") else {"422"}
            assert required <= set(declared), (method, path)
            for status, response in declared.items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


def test_pages_show_not_found_and_forbidden_through_the_site_templates(tree, make_user):
    # given a county's administrator
    client = login_client(make_user("org_admin", tree.county_a1))
    viewer = login_client(make_user("supervisor", tree.county_a1))
    # when
    outside = client.get(f"/orgs/{tree.pref_b.pk}/")
    refused = viewer.get(f"/orgs/{tree.county_a1.pk}/edit/")
    # then
    assert outside.status_code == 404
    assert "404.html" in [t.name for t in outside.templates]
    assert "页面不存在" in outside.content.decode()
    assert refused.status_code == 403
    assert "没有权限" in refused.content.decode()


def test_middleware_shows_any_other_application_error_as_a_refused_request(db):
    # given a view that breaks a rule
    request = RequestFactory().get("/orgs/")
    request.user = None  # type: ignore[assignment]
    middleware = ApplicationErrorMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    # when
    response = middleware.process_exception(request, ApplicationError("规则不允许。"))
    # then
    assert response is not None and response.status_code == 400
    assert "规则不允许。" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/orgs?q=%00", "/api/v1/members?q=a%00", "/api/v1/transfers?after=%00"],
)
def test_api_refuses_a_nul_character_before_the_database_sees_it(tree, make_user, url):
    # given (PostgreSQL refuses NUL in text: unchecked, this was a server error there)
    client = api_client(make_user("org_admin", tree.root))
    # when
    response = client.get(url)
    # then
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_api_refuses_a_body_that_is_not_an_object(tree, make_user):
    # given
    client = api_client(make_user("campaign_office", tree.root))
    # when a list arrives where an object of optional fields is expected
    response = client.patch(
        f"/api/v1/orgs/{tree.county_a1.pk}", "[null, null]", content_type="application/json"
    )
    # then it is not taken as an empty change
    assert response.status_code == 422


def test_no_two_response_or_request_schemas_share_a_name():
    """The OpenAPI document names its components by class name: two schemas of the same name
    in different apps would make one endpoint's document describe the other's (it happened:
    the opinions' statistics took the organizations' StatsOut)."""
    from collections import defaultdict

    from ninja import Schema

    import massline.api.urls  # noqa: F401  (every router, so every schema, imported)

    def every(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every(sub)

    where = defaultdict(set)
    for cls in every(Schema):
        if cls.__module__.startswith("massline."):
            where[cls.__name__].add(cls.__module__)
    assert {name: mods for name, mods in where.items() if len(mods) > 1} == {}
