"""The actions' pages and API beyond access: a completion with an uploaded file, a file refused
on the page with its name, the schedule API's checklist, the API's refusals, the definitions
page, the link from an organization's page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from massline.campaigns.models import ActionDefinition, Completion, EvidenceFile, Participation
from massline.conftest import api_client, login_client

from .action_fixtures import HTML, PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(acts):
    Participation.objects.filter(campaign=acts.campaign).update(
        starts_on=timezone.localdate() - timezone.timedelta(days=10)
    )
    return acts


def test_a_branch_records_a_meeting_with_a_file_and_downloads_it(opened, make_user):
    t, c = opened.tree, opened.campaign
    client = login_client(make_user("org_admin", t.village_a1, "this_org"))
    page = client.get(f"/campaigns/{c.pk}/orgs/{t.village_a1.pk}/checklist/")
    assert page.status_code == 200 and "专题组织生活会" in page.content.decode()
    url = f"/campaigns/{c.pk}/orgs/{t.village_a1.pk}/actions/{opened.meeting.pk}/complete/"
    refused = client.post(
        url, {"text": "开了", "attachments": [SimpleUploadedFile("记录.pdf", HTML)]}
    )
    assert refused.status_code == 200
    assert "记录.pdf" in refused.content.decode() and not Completion.objects.exists()
    done = client.post(url, {"text": "开了", "attachments": [SimpleUploadedFile("记录.pdf", PDF)]})
    assert done.status_code == 302
    f = EvidenceFile.objects.get()
    download = client.get(f"/campaigns/{c.pk}/evidence/{f.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    other = login_client(make_user("org_admin", t.branch_b1, "this_org"))
    assert other.get(f"/campaigns/{c.pk}/evidence/{f.pk}/").status_code == 404
    withdraw = client.post(
        f"/campaigns/{c.pk}/orgs/{t.village_a1.pk}/actions/{opened.meeting.pk}/withdraw/"
    )
    assert withdraw.status_code == 302 and not Completion.objects.exists()


def test_the_schedule_api_lists_the_checklist(opened, make_user):
    t, c = opened.tree, opened.campaign
    client = api_client(make_user("org_admin", t.county_a1))
    r = client.post(
        f"/api/v1/campaigns/{c.pk}/completions",
        {"org": t.village_a1.pk, "action": opened.study.pk, "text": "学了"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["late"] is True
    body = client.get(f"/api/v1/campaigns/{c.pk}/schedule?org={t.village_a1.pk}").json()
    items = {i["action"]: i for i in body["checklist"]}
    assert items[opened.study.pk]["status"] == "done"
    assert items[opened.study.pk]["completion"]["text"] == "学了"
    assert items[opened.meeting.pk]["status"] == "due"
    assert items[opened.meeting.pk]["evidence"]["file"] == "required"


def test_the_api_refuses_with_what_and_where(opened, make_user):
    t, c = opened.tree, opened.campaign
    client = api_client(make_user("org_admin", t.county_a1))
    r = client.post(
        f"/api/v1/campaigns/{c.pk}/completions",
        {"org": t.town_a1.pk, "action": opened.meeting.pk},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert t.town_a1.name in str(r.json()) and "action" in str(r.json())
    r = client.post(
        f"/api/v1/campaigns/{c.pk}/completions",
        {"org": t.village_a1.pk, "action": opened.study.pk},
        content_type="application/json",
    )
    assert r.status_code == 400 and "text" in str(r.json())
    assert not Completion.objects.exists()


def test_the_openapi_document_has_the_completions(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"post", "delete"} <= set(paths["/api/v1/campaigns/{campaign_id}/completions"])


def test_a_campaign_office_defines_an_optional_action(w, make_user):
    t, c = w.tree, w.campaign
    client = login_client(make_user("campaign_office", t.county_a1))
    url = f"/campaigns/{c.pk}/actions/?org={t.county_a1.pk}"
    assert client.get(url).status_code == 200
    r = client.post(url, {"kind": "research", "title": "蹲点调研", "offset_days": "20"})
    assert r.status_code == 302
    a = ActionDefinition.objects.get()
    assert not a.required and a.org_id == t.county_a1.pk
    bad = client.post(url, {"kind": "research", "title": "x"})
    assert bad.status_code == 200 and ActionDefinition.objects.count() == 1
    assert client.get(f"/campaigns/{c.pk}/actions/?org={t.root.pk}").status_code == 404
    page = client.get(f"/campaigns/{c.pk}/orgs/{t.county_a1.pk}/")
    assert f"/campaigns/{c.pk}/orgs/{t.county_a1.pk}/checklist/" in page.content.decode()
