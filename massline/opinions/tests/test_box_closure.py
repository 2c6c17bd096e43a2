"""A closed opinion box: the portal page and the public API refuse new opinions with a clear
message (410), receipts keep working, staff entry is not affected; closing needs
opinions.dispatch at the organization."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from massline.conftest import api_client
from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.opinions import intake_services as intake
from massline.opinions.models import BoxClosure, Opinion


@pytest.fixture
def office(tree, make_user):
    return make_user("campaign_office", tree.county_a1)


def test_a_closed_box_refuses_on_the_page_and_the_api_and_receipts_still_work(tree, office):
    # given: an opinion, then the box closed
    _opinion, code = intake.opinion_submit(org=tree.village_a1, text="意见", anonymous=True)
    intake.box_close(actor=office, org=tree.village_a1, reason="村党支部已撤并")
    # when
    page = Client().get(f"/p/o/{tree.village_a1.pk}/")
    posted = Client().post(f"/p/o/{tree.village_a1.pk}/", {"text": "新意见", "anonymous": "1"})
    api = Client().post(
        f"/api/v1/public/orgs/{tree.village_a1.pk}/opinions",
        json.dumps({"text": "新意见", "anonymous": True}),
        content_type="application/json",
    )
    tracked = Client().get(f"/api/v1/public/opinions/{code}")
    # then
    assert page.status_code == posted.status_code == api.status_code == 410
    assert tree.village_a1.name in page.content.decode()
    assert "关闭" in page.content.decode()
    assert api.json()["code"] == "gone"
    assert tracked.status_code == 200
    assert Opinion.objects.count() == 1
    # staff still enter what they heard there
    intake.opinion_enter(actor=office, org=tree.village_a1, channel="visit", text="走访意见")
    assert Opinion.objects.count() == 2


def test_reopening_lets_opinions_in_again(tree, office):
    intake.box_close(actor=office, org=tree.village_a1, reason="暂停")
    intake.box_reopen(actor=office, org=tree.village_a1)
    assert intake.box_org(tree.village_a1.pk) == tree.village_a1
    assert list(
        AuditEvent.objects.filter(action__startswith="opinions.box")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["opinions.box_close", "opinions.box_reopen"]


@pytest.mark.parametrize("reason", ["", "   ", None, "理" * 201])
def test_closing_needs_a_reason(tree, office, reason):
    with pytest.raises(ApplicationError) as caught:
        intake.box_close(actor=office, org=tree.village_a1, reason=reason)
    assert caught.value.field == "reason"
    assert not BoxClosure.objects.exists()


def test_closing_twice_and_reopening_an_open_box_are_refused(tree, office):
    with pytest.raises(ApplicationError):
        intake.box_reopen(actor=office, org=tree.village_a1)
    intake.box_close(actor=office, org=tree.village_a1, reason="撤并")
    with pytest.raises(ApplicationError):
        intake.box_close(actor=office, org=tree.village_a1, reason="撤并")
    assert BoxClosure.objects.count() == 1


def test_closing_needs_opinions_dispatch_there(tree, make_user):
    admin = make_user("org_admin", tree.county_a1)  # enters and handles, does not dispatch
    outsider = make_user("campaign_office", tree.county_b1)
    for actor in (admin, outsider):
        with pytest.raises(Forbidden):
            intake.box_close(actor=actor, org=tree.village_a1, reason="撤并")
    assert not BoxClosure.objects.exists()


def test_the_api_closes_and_reopens(tree, office):
    client = api_client(office)
    closed = client.post(
        f"/api/v1/opinions/boxes/{tree.village_a1.pk}/close",
        {"reason": "撤并"},
        content_type="application/json",
    )
    again = client.post(
        f"/api/v1/opinions/boxes/{tree.village_a1.pk}/close",
        {"reason": "撤并"},
        content_type="application/json",
    )
    reopened = client.post(f"/api/v1/opinions/boxes/{tree.village_a1.pk}/reopen")
    assert closed.status_code == 200 and closed.json()["closed"] is True
    assert again.status_code == 400
    assert reopened.status_code == 200 and reopened.json()["closed"] is False


def test_the_box_reads_its_organization_in_one_statement_and_the_rest_on_demand(tree):
    # given
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # when
    with CaptureQueriesContext(connection) as queries:
        org = intake.box_org(tree.village_a1.pk)
    # then: one statement; the fields it did not read come from the database when asked
    assert len(queries) == 1
    assert (org.pk, org.name, org.path, org.parent_id) == (
        tree.village_a1.pk,
        tree.village_a1.name,
        tree.village_a1.path,
        tree.village_a1.parent_id,
    )
    assert org.created_at == tree.village_a1.created_at  # a datetime, on every database
    assert org == tree.village_a1
