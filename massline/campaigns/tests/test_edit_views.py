"""The pages that edit a running campaign (decision 0019): an action's definition changed from
the actions page, dates set by hand cleared from an organization's page, a batch removed from
its page; each previews or refuses with its reason, and only who may manage gets there."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from massline.campaigns import action_services, schedule_services
from massline.campaigns.models import ActionDefinition, Batch, Participation, ScheduleOverride
from massline.conftest import login_client
from massline.core.models import AuditEvent

from .action_fixtures import window
from .conftest import make_campaign, set_override

pytestmark = pytest.mark.django_db

D10 = dt.timedelta(days=10)


def post_fields(a, **changes):
    data = {
        "kind": a.kind,
        "title": a.title,
        "due_on": a.due_on.isoformat() if a.due_on else "",
        "offset_days": "" if a.offset_days is None else str(a.offset_days),
        "levels": a.levels,
        "kinds": a.kinds,
        "unit_types": a.unit_types,
        "evidence_text": a.evidence_text,
        "evidence_file": a.evidence_file,
        "evidence_link": a.evidence_link,
    }
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


def test_a_campaign_office_changes_its_action_from_the_actions_page(acts, make_user):
    t, c = acts.tree, acts.campaign
    client = login_client(make_user("campaign_office", t.county_a1))
    page = client.get(f"/campaigns/{c.pk}/actions/?org={t.county_a1.pk}")
    url = f"/campaigns/{c.pk}/actions/{acts.meeting.pk}/edit/"
    assert url in page.content.decode()
    form = client.get(url)
    assert form.status_code == 200 and "专题组织生活会" in form.content.decode()
    assert re.search(r'<input[^>]*name="kinds" value="branch"[^>]*checked', form.content.decode())
    # when
    r = client.post(url, post_fields(acts.meeting, title="专题组织生活会（延期）"))
    # then
    assert r.status_code == 302 and r["Location"].endswith(f"?org={t.county_a1.pk}")
    assert ActionDefinition.objects.get(pk=acts.meeting.pk).title == "专题组织生活会（延期）"
    assert AuditEvent.objects.filter(action="campaigns.action_update").count() == 1


def test_a_bad_change_comes_back_with_its_error(acts, make_user):
    t, c = acts.tree, acts.campaign
    client = login_client(make_user("campaign_office", t.county_a1))
    url = f"/campaigns/{c.pk}/actions/{acts.meeting.pk}/edit/"
    # a form error: days that are not a number
    r = client.post(url, post_fields(acts.meeting, offset_days="五"))
    assert r.status_code == 200 and 'name="offset_days"' in r.content.decode()
    # a service refusal: neither a date nor days
    r = client.post(url, post_fields(acts.meeting, due_on=""))
    assert r.status_code == 200 and 'name="due_on"' in r.content.decode()
    # a service refusal: a due date outside the campaign
    r = client.post(url, post_fields(acts.meeting, due_on="2000-01-01"))
    assert r.status_code == 200 and "2000-01-01" in r.content.decode()
    assert ActionDefinition.objects.get(pk=acts.meeting.pk).title == acts.meeting.title
    assert not AuditEvent.objects.filter(action="campaigns.action_update").exists()


def test_a_recorded_action_shows_how_many_recorded_it_and_refuses_naming_one(acts, make_user):
    t, c = acts.tree, acts.campaign
    day = window(c, t.village_a1).starts_on
    action_services.completion_record(
        actor=None, campaign=c, org=t.village_a1, action_id=acts.study.pk, text="x", today=day
    )
    client = login_client(make_user("campaign_office", t.root))
    url = f"/campaigns/{c.pk}/actions/{acts.study.pk}/edit/"
    assert 'data-testid="recorded"' in client.get(url).content.decode()
    r = client.post(url, post_fields(acts.study, kinds=["committee"]))
    assert r.status_code == 200 and t.village_a1.name in r.content.decode()


def test_only_the_defining_office_reaches_the_edit_page(acts, make_user):
    t, c = acts.tree, acts.campaign
    county = login_client(make_user("campaign_office", t.county_a1))
    assert county.get(f"/campaigns/{c.pk}/actions/{acts.study.pk}/edit/").status_code in (403, 404)
    supervisor = login_client(make_user("supervisor", t.county_a1))
    assert supervisor.get(f"/campaigns/{c.pk}/actions/{acts.meeting.pk}/edit/").status_code in (
        403,
        404,
    )
    root = login_client(make_user("campaign_office", t.root))
    assert root.get(f"/campaigns/{c.pk}/actions/999999/edit/").status_code == 404


# --- dates set by hand, cleared ---------------------------------------------------------------


def test_the_organization_page_clears_dates_set_by_hand_after_a_preview(w, make_user):
    t, c = w.tree, w.campaign
    client = login_client(make_user("campaign_office", t.root))
    org_page = f"/campaigns/{c.pk}/orgs/{t.town_a1.pk}/"
    url = f"/campaigns/{c.pk}/orgs/{t.town_a1.pk}/override/clear/"
    assert url not in client.get(org_page).content.decode()
    set_override(w, t.town_a1, w.b2.starts_on + 3 * D10)
    assert url in client.get(org_page).content.decode()
    # the preview lists the township and its villages
    preview = client.get(url)
    body = preview.content.decode()
    assert preview.status_code == 200 and t.village_a1.name in body and 'name="token"' in body
    # a stale token is refused and nothing changes
    stale = client.post(url, {"token": "0" * 16})
    assert stale.status_code == 200 and 'data-testid="error"' in stale.content.decode()
    assert ScheduleOverride.objects.exists()
    # when: confirmed with the preview's token
    token = schedule_services.override_clear_preview(campaign=c, org=t.town_a1).token
    r = client.post(url, {"token": token})
    # then
    assert r.status_code == 302 and r["Location"] == org_page
    assert not ScheduleOverride.objects.exists()
    assert Participation.objects.get(campaign=c, org=t.town_a1).override_reason == ""


def test_clearing_where_nothing_was_set_shows_why(w, make_user):
    t, c = w.tree, w.campaign
    client = login_client(make_user("campaign_office", t.root))
    r = client.get(f"/campaigns/{c.pk}/orgs/{t.town_a1.pk}/override/clear/")
    body = r.content.decode()
    assert r.status_code == 200 and t.town_a1.name in body and 'data-testid="confirm"' not in body


def test_only_the_campaign_office_clears_dates(w, make_user):
    t, c = w.tree, w.campaign
    set_override(w, t.town_a1, w.b2.starts_on + 3 * D10)
    url = f"/campaigns/{c.pk}/orgs/{t.town_a1.pk}/override/clear/"
    county = login_client(make_user("campaign_office", t.county_a1))
    assert county.get(url).status_code in (403, 404)
    assert county.post(url, {"token": "x"}).status_code in (403, 404)
    assert (
        "override/clear"
        not in county.get(f"/campaigns/{c.pk}/orgs/{t.town_a1.pk}/").content.decode()
    )
    other = login_client(make_user("campaign_office", t.root))
    outside = f"/campaigns/{c.pk}/orgs/999999/override/clear/"
    assert other.get(outside).status_code == 404
    assert ScheduleOverride.objects.exists()


# --- a batch removed --------------------------------------------------------------------------


def test_the_batch_page_removes_a_batch_after_a_preview(w, make_user):
    t, c = w.tree, w.campaign
    client = login_client(make_user("campaign_office", t.root))
    url = f"/campaigns/{c.pk}/batches/{w.b1.pk}/remove/"
    assert url in client.get(f"/campaigns/{c.pk}/batches/{w.b1.pk}/").content.decode()
    preview = client.get(url)
    assert preview.status_code == 200 and t.root.name in preview.content.decode()
    token = schedule_services.batch_remove_preview(campaign=c, batch=w.b1).token
    r = client.post(url, {"token": token})
    assert r.status_code == 302 and r["Location"] == f"/campaigns/{c.pk}/"
    assert not Batch.objects.filter(pk=w.b1.pk).exists()


def test_a_started_batch_shows_why_it_stays(w, make_user, frozen):
    t, c = w.tree, w.campaign
    frozen(w.b1.starts_on)
    client = login_client(make_user("campaign_office", t.root))
    url = f"/campaigns/{c.pk}/batches/{w.b1.pk}/remove/"
    body = client.get(url).content.decode()
    assert t.root.name in body and 'data-testid="confirm"' not in body
    r = client.post(url, {"token": "x"})
    assert r.status_code == 200 and Batch.objects.filter(pk=w.b1.pk).exists()


def test_only_the_campaign_office_removes_a_batch(w, make_user):
    t, c = w.tree, w.campaign
    county = login_client(make_user("campaign_office", t.county_a1))
    url = f"/campaigns/{c.pk}/batches/{w.b1.pk}/remove/"
    assert county.get(url).status_code in (403, 404)
    assert county.post(url, {"token": "x"}).status_code in (403, 404)
    root = login_client(make_user("campaign_office", t.root))
    assert root.get(f"/campaigns/{c.pk}/batches/999999/remove/").status_code == 404
    assert Batch.objects.filter(pk=w.b1.pk).exists()


def test_another_campaigns_ids_are_not_found(acts, make_user):
    # given: a second campaign, at 包头市, with its own batches
    t = acts.tree
    other = make_campaign(t, "two-studies-2016", org=t.pref_b, start=dt.date(2031, 1, 1))
    client = login_client(make_user("system_admin", t.root))
    # an action of the first campaign under the second's id
    assert client.get(f"/campaigns/{other.pk}/actions/{acts.study.pk}/edit/").status_code == 404
    # an organization outside the second campaign
    set_override(acts, t.town_a1, acts.b2.starts_on + 3 * D10)
    url = f"/campaigns/{other.pk}/orgs/{t.town_a1.pk}/override/clear/"
    assert client.get(url).status_code == 404
    # a batch of the first campaign under the second's id
    url = f"/campaigns/{other.pk}/batches/{acts.b1.pk}/remove/"
    assert client.post(url, {"token": "x"}).status_code == 404
    assert Batch.objects.filter(pk=acts.b1.pk).exists() and ScheduleOverride.objects.exists()
