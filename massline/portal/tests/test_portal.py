"""The public portal's pages: the box, the receipt shown once, tracking; no login, escaped
text, clear errors, 429 when flooded without losing an accepted opinion."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from massline.opinions.models import Opinion, OpinionStatus
from massline.opinions.receipts import normalize
from massline.orgs import counters as org_counters


def submit(client: Client, org, **data):
    body = {"text": "村口路灯坏了", "anonymous": "1", **data}
    return client.post(f"/p/o/{org.pk}/", body)


def receipt_of(response) -> str:
    found = re.search(r'data-testid="receipt">(.*?)</p>', response.content.decode(), re.S)
    assert found, response.content.decode()[:500]
    return normalize(re.sub(r"<[^>]+>", "", found.group(1)))


def test_the_box_shows_the_organization_and_the_form_without_login(tree):
    response = Client().get(f"/p/o/{tree.village_a1.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert tree.village_a1.name in html
    assert 'name="text"' in html and 'name="anonymous"' in html
    assert "navbar" not in html  # the portal's own layout
    assert "vendor/bootstrap" not in html  # light: one small stylesheet
    assert "http://" not in html and "https://" not in html  # no external assets
    assert response["Cache-Control"] == "no-store"
    assert "sessionid" not in response.cookies


def test_a_submission_shows_its_receipt_once_and_the_code_tracks_it(tree):
    # given
    client = Client()
    # when
    response = submit(client, tree.village_a1)
    code = receipt_of(response)
    again = client.get(f"/p/o/{tree.village_a1.pk}/")
    tracked = client.post("/p/r/", {"receipt": code.lower()})
    # then
    assert response.status_code == 200
    assert len(code) == 16
    assert "sessionid" not in response.cookies
    assert code not in again.content.decode()
    assert tracked.status_code == 200
    assert 'data-testid="status"' in tracked.content.decode()
    assert Opinion.objects.get().text == "村口路灯坏了"
    assert org_counters.rebuild(check_only=True) == []


def test_a_published_reply_is_shown_with_the_status_and_an_unpublished_one_is_not(tree):
    # given
    code = receipt_of(submit(Client(), tree.village_a1))
    opinion = Opinion.objects.get()
    opinion.status = OpinionStatus.REPLIED
    opinion.reply = "已于本周修复<b>路灯</b>"
    opinion.save()
    # when
    hidden = Client().post("/p/r/", {"receipt": code}).content.decode()
    opinion.reply_published = True
    opinion.save()
    shown = Client().post("/p/r/", {"receipt": code}).content.decode()
    # then
    assert "已于本周修复" not in hidden
    assert "已于本周修复&lt;b&gt;路灯&lt;/b&gt;" in shown


def test_html_in_an_opinion_is_shown_escaped(tree, make_user):
    from massline.conftest import login_client

    submit(Client(), tree.village_a1, text='<script>alert("x")</script>')
    assert Opinion.objects.get().text == '<script>alert("x")</script>'
    response = submit(Client(), tree.village_a1, text="<img src=x onerror=alert(1)>" + "x" * 2000)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-text"' in html
    assert "<img src=x onerror" not in html
    assert login_client  # staff pages are the dispatch part's


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "长" * 2001}, "text"),
        ({"anonymous": "0"}, "contact"),
        ({"anonymous": "0", "contact": "12345"}, "contact"),
        ({"anonymous": "1", "contact": "13800138000"}, "contact"),
        ({"category": "999999"}, "category"),
        ({"category": "abc"}, "category"),
        ({"anonymous": "maybe"}, "anonymous"),
    ],
)
def test_bad_input_on_the_page_is_shown_at_its_field_and_nothing_is_kept(tree, data, field):
    response = submit(Client(), tree.village_a1, **data)
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert Opinion.objects.count() == 0


@pytest.mark.parametrize("org_id", ["999999", "abc", "0", "99999999999999999999999"])
def test_a_link_to_a_missing_organization_is_a_clear_page(tree, org_id):
    for response in (Client().get(f"/p/o/{org_id}/"), Client().post(f"/p/o/{org_id}/", {})):
        assert response.status_code == 404
        assert "二维码" in response.content.decode()
    assert Opinion.objects.count() == 0


def test_an_unknown_receipt_gets_the_same_answer_as_any_other_miss(tree):
    submit(Client(), tree.village_a1)
    responses = [
        Client().post("/p/r/", {"receipt": typed})
        for typed in ("AAAA-BBBB-CCCC-DDDD", "ZZZZ ZZZZ ZZZZ ZZZZ", "hello")
    ]
    errors = {
        re.search(r'data-testid="error">(.*?)</p>', r.content.decode()).group(1)  # type: ignore[union-attr]
        for r in responses
    }
    assert {r.status_code for r in responses} == {404}
    assert len(errors) == 1


def test_an_empty_receipt_is_asked_for(tree):
    response = Client().post("/p/r/", {"receipt": ""})
    assert response.status_code == 200
    assert "pt-invalid" in response.content.decode()


def test_flooding_the_box_is_refused_with_429_and_no_accepted_opinion_is_lost(tree, settings):
    # given
    settings.PORTAL_RATE_LIMITS = {"submit": (5, 600), "lookup": (5, 600)}
    client = Client(REMOTE_ADDR="203.0.113.9")
    # when
    statuses = [submit(client, tree.village_a1, text=f"意见{i}").status_code for i in range(9)]
    other = submit(Client(REMOTE_ADDR="203.0.113.10"), tree.village_a1)
    # then
    assert statuses == [200] * 5 + [429] * 4
    assert other.status_code == 200
    assert Opinion.objects.count() == 6
    flooded = submit(client, tree.village_a1).content.decode()
    assert "分钟" in flooded or "minutes" in flooded


def test_flooding_the_tracking_page_is_refused_with_429(tree, settings):
    settings.PORTAL_RATE_LIMITS = {"submit": (5, 600), "lookup": (3, 600)}
    client = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [client.post("/p/r/", {"receipt": "AAAA"}).status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]


def test_the_longest_chinese_opinion_fits_in_a_form(tree):
    response = submit(Client(), tree.village_a1, text="长" * 2000, name="", contact="")
    assert response.status_code == 200
    assert len(Opinion.objects.get().text) == 2000


def test_an_oversized_body_is_refused_before_it_is_read(tree):
    response = Client().post(
        f"/p/o/{tree.village_a1.pk}/", {"text": "x" * 40_000, "anonymous": "1"}
    )
    assert response.status_code == 413
    assert Opinion.objects.count() == 0


def test_the_portal_layout_has_no_inline_script_or_style(tree):
    html = Client().get(f"/p/o/{tree.village_a1.pk}/").content.decode()
    assert "<script" not in html
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<[^>]+\son[a-z]+=", html)


def once_of(response) -> str:
    found = re.search(r'name="once" value="([^"]+)"', response.content.decode())
    assert found, "the form carries its random value"
    return found.group(1)


def test_a_double_tap_or_a_reload_sends_the_form_once(tree):
    # given
    client = Client()
    once = once_of(client.get(f"/p/o/{tree.village_a1.pk}/"))
    # when: the same form posted twice
    first = submit(client, tree.village_a1, once=once)
    second = submit(client, tree.village_a1, once=once)
    # then
    assert 'data-testid="receipt"' in first.content.decode()
    assert 'data-testid="receipt"' not in second.content.decode()
    assert 'data-testid="error"' in second.content.decode()
    assert Opinion.objects.count() == 1
    # a fresh form is a new opinion
    submit(client, tree.village_a1, once=once_of(client.get(f"/p/o/{tree.village_a1.pk}/")))
    assert Opinion.objects.count() == 2


def test_a_refused_form_may_be_sent_again_once_corrected(tree):
    client = Client()
    once = once_of(client.get(f"/p/o/{tree.village_a1.pk}/"))
    refused = submit(client, tree.village_a1, once=once, anonymous="0")  # no contact
    accepted = submit(client, tree.village_a1, once=once, anonymous="0", contact="13800138000")
    assert 'data-testid="error-contact"' in refused.content.decode()
    assert 'data-testid="receipt"' in accepted.content.decode()
    assert Opinion.objects.count() == 1
