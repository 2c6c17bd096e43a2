"""The box's own step for possible duplicates (issue 11, item 3): "Send" shows the opinions
staff have seen that look like the text, to follow one instead of sending it again; only
those, only an excerpt with numbers masked; a follow writes one receipt and nothing else, and
only on an opinion the same text offers."""

from __future__ import annotations

import html
import re
import secrets

import pytest
from django.test import Client

from massline.conftest import login_client
from massline.opinions.follow import EXCERPT, excerpt, followers, opinion_follow
from massline.opinions.intake_services import opinion_submit
from massline.opinions.models import Opinion, OpinionStatus, Receipt
from massline.opinions.receipts import normalize

SEEN_TEXT = "幸福小区门口的路灯坏了一个月了，晚上很黑，一直没人修"
LIKE_IT = "幸福小区门口路灯坏了一个多月，晚上太黑了没人修"
UNRELATED = "学校食堂的饭菜太贵了，学生吃不起"


def raised(org, text: str = SEEN_TEXT, status: str = OpinionStatus.DISPATCHED) -> Opinion:
    """An opinion put in the box, then moved to `status` by staff."""
    opinion, _code = opinion_submit(org=org, text=text, anonymous=True)
    opinion.status = status
    opinion.save(update_fields=["status"])
    return opinion


def send(client: Client, org, **data):
    """The box's form sent with "Send" (and its random value, as the page gives it)."""
    body = {"text": LIKE_IT, "anonymous": "1", "once": secrets.token_urlsafe(16), **data}
    return client.post(f"/p/o/{org.pk}/", body)


def hidden_fields(response) -> dict[str, str]:
    page = response.content.decode()
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)
    }


def receipt_of(response) -> str:
    found = re.search(r'data-testid="receipt">(.*?)</p>', response.content.decode(), re.S)
    assert found, response.content.decode()[:800]
    return normalize(re.sub(r"<[^>]+>", "", found.group(1)))


def test_the_step_is_shown_when_an_opinion_staff_have_seen_is_alike(tree):
    # given
    seen = raised(tree.village_a1)
    # when
    response = send(Client(), tree.village_a1)
    page = response.content.decode()
    # then: the choice, and nothing stored yet
    assert response.status_code == 200
    assert 'data-testid="alike"' in page
    assert f'name="follow" value="{seen.pk}"' in page
    assert 'data-testid="send-new"' in page
    assert "幸福小区门口的路灯坏了一个月了，晚上很黑，一直没人修" in page
    assert Opinion.objects.count() == 1 and Receipt.objects.count() == 1
    # ... the form goes along hidden, the random value unused
    fields = hidden_fields(response)
    assert fields["text"] == LIKE_IT and fields["anonymous"] == "1" and fields["once"]


def test_an_unlike_text_is_sent_at_once(tree):
    raised(tree.village_a1)
    response = send(Client(), tree.village_a1, text=UNRELATED)
    assert len(receipt_of(response)) == 16
    assert Opinion.objects.filter(text=UNRELATED).count() == 1


@pytest.mark.parametrize(
    "status", [OpinionStatus.RECEIVED, OpinionStatus.CLOSED, OpinionStatus.MERGED, "replied"]
)
def test_opinions_staff_have_not_seen_or_no_longer_open_are_not_shown(tree, status):
    # given: the only alike opinion is waiting for triage, or done
    raised(tree.village_a1, status=status)
    # when
    response = send(Client(), tree.village_a1)
    # then: sent at once, as a new opinion
    assert len(receipt_of(response)) == 16
    assert Opinion.objects.count() == 2


def test_opinions_of_another_subtree_are_not_shown(tree):
    raised(tree.branch_b1)
    response = send(Client(), tree.village_a1)
    assert len(receipt_of(response)) == 16


def test_the_step_shows_an_excerpt_with_numbers_masked_and_nothing_about_the_submitter(tree):
    # given: a named opinion whose text carries a phone number and an ID number
    text = (
        "幸福小区门口路灯坏了一个月了没人修，我是张三，电话13800138000，"
        "身份证110101199003071234，请尽快修好，晚上太黑了，老人出门很危险，已经摔倒两次了"
    )
    opinion, _code = opinion_submit(
        org=tree.village_a1, text=text, anonymous=False, name="张三丰", contact="13900139000"
    )
    opinion.status = OpinionStatus.HANDLING
    opinion.save(update_fields=["status"])
    # when
    page = send(Client(), tree.village_a1).content.decode()
    # then
    shown = re.search(r'data-testid="excerpt">(.*?)</p>', page).group(1)  # type: ignore[union-attr]
    assert len(shown) <= EXCERPT and shown.endswith("…")
    assert "***********" in shown
    assert "13800138000" not in page and "110101199003071234" not in page
    assert "0013" not in shown and "1101" not in shown
    assert "张三丰" not in page and "13900139000" not in page and "老人出门" not in page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13800138000", "电话***********"),
        ("电话138-0013-8000快", "电话***-****-****快"),
        ("电话１３８００１３８０００", "电话***********"),
        ("电话一三八〇〇一三八〇〇〇", "电话***********"),
        ("2024年3月修的，12345号楼", "2024年3月修的，*****号楼"),
        ("第一二三四条", "第一二三四条"),
        ("路灯\n\n坏了  很久", "路灯 坏了 很久"),
    ],
)
def test_an_excerpt_masks_five_digits_or_more(text, expected):
    assert excerpt(text) == expected


def test_an_excerpt_is_cut_after_masking():
    cut = excerpt("路" * 55 + "13800138000")
    assert len(cut) == EXCERPT and cut == "路" * 55 + "****…"


def test_following_writes_a_receipt_and_no_opinion(tree, office):
    # given
    seen = raised(tree.village_a1)
    client = Client()
    step = send(client, tree.village_a1)
    # when
    response = client.post(
        f"/p/o/{tree.village_a1.pk}/", {**hidden_fields(step), "follow": seen.pk}
    )
    page = response.content.decode()
    # then
    code = receipt_of(response)
    assert response.status_code == 200 and len(code) == 16
    assert 'data-testid="followed"' in page and f"{seen.pk}" in page
    assert Opinion.objects.count() == 1
    assert Receipt.objects.filter(opinion=seen).count() == 2
    assert followers(seen) == 1
    # ... staff see that one more person raised it
    staff = login_client(office).get(f"/opinions/{seen.pk}/").content.decode()
    assert 'data-testid="followers"' in staff


def test_the_followers_receipt_tracks_the_opinion_and_its_published_reply(tree):
    # given
    seen = raised(tree.village_a1)
    client = Client()
    step = send(client, tree.village_a1)
    code = receipt_of(
        client.post(f"/p/o/{tree.village_a1.pk}/", {**hidden_fields(step), "follow": seen.pk})
    )
    seen.status = OpinionStatus.REPLIED
    seen.reply = "路灯已于本周修复"
    seen.reply_published = True
    seen.save()
    # when
    tracked = Client().post("/p/r/", {"receipt": code}).content.decode()
    # then
    assert "路灯已于本周修复" in tracked
    assert 'data-testid="status"' in tracked


def test_sending_mine_as_new_stores_the_text_that_went_along_hidden(tree):
    # given: a text with lines, spaces, markup and characters outside the BMP
    raised(tree.village_a1)
    text = LIKE_IT + '\n第二行 <b>"粗"</b> & 𠀀😀'
    client = Client()
    step = send(client, tree.village_a1, text=text, category="")
    # when
    response = client.post(f"/p/o/{tree.village_a1.pk}/", {**hidden_fields(step), "new": "1"})
    # then
    assert len(receipt_of(response)) == 16
    stored = Opinion.objects.latest("pk")
    assert stored.text.replace("\r\n", "\n") == text
    assert Opinion.objects.count() == 2


def test_a_named_submission_goes_along_and_is_stored_as_new(tree):
    raised(tree.village_a1)
    client = Client()
    step = send(client, tree.village_a1, anonymous="0", name="李四", contact="13800138000")
    assert "跟进不会保存您的任何信息" in step.content.decode()
    response = client.post(f"/p/o/{tree.village_a1.pk}/", {**hidden_fields(step), "new": "1"})
    assert len(receipt_of(response)) == 16
    stored = Opinion.objects.latest("pk")
    assert not stored.anonymous and stored.contact_masked == "138****8000"


def test_a_follow_sent_twice_writes_one_receipt(tree):
    seen = raised(tree.village_a1)
    client = Client()
    body = {**hidden_fields(send(client, tree.village_a1)), "follow": seen.pk}
    first = client.post(f"/p/o/{tree.village_a1.pk}/", body)
    again = client.post(f"/p/o/{tree.village_a1.pk}/", body)
    assert len(receipt_of(first)) == 16
    assert 'data-testid="error"' in again.content.decode()
    assert Receipt.objects.filter(opinion=seen).count() == 2


def refused_follow(tree, opinion_id) -> None:
    """A follow of `opinion_id` with the text that finds the seen opinion: refused with the
    message, nothing written."""
    raised(tree.village_a1)
    receipts = Receipt.objects.count()
    client = Client()
    body = {**hidden_fields(send(client, tree.village_a1)), "follow": opinion_id}
    response = client.post(f"/p/o/{tree.village_a1.pk}/", body)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error"' in page and "无法跟进这条意见" in page
    assert 'data-testid="receipt"' not in page
    assert Receipt.objects.count() == receipts


@pytest.mark.parametrize("opinion_id", ["abc", "", "-1", "99999999999999999999999", "1.5"])
def test_following_a_bad_id_is_refused(tree, opinion_id):
    refused_follow(tree, opinion_id)


@pytest.mark.parametrize("which", ["another subtree", "not alike", "not seen by staff yet"])
def test_following_an_opinion_not_offered_is_refused(tree, which):
    other = {
        "another subtree": lambda: raised(tree.branch_b1),
        "not alike": lambda: raised(tree.village_a1, text=UNRELATED),
        "not seen by staff yet": lambda: raised(tree.village_a1, status=OpinionStatus.RECEIVED),
    }[which]()
    refused_follow(tree, other.pk)


@pytest.mark.parametrize("status", [OpinionStatus.CLOSED, OpinionStatus.MERGED])
def test_following_an_opinion_closed_or_merged_since_the_step_is_refused(tree, status):
    # given: the step offered it, then staff closed or merged it
    seen = raised(tree.village_a1)
    client = Client()
    body = {**hidden_fields(send(client, tree.village_a1)), "follow": seen.pk}
    Opinion.objects.filter(pk=seen.pk).update(status=status)
    # when
    response = client.post(f"/p/o/{tree.village_a1.pk}/", body)
    # then
    assert response.status_code == 400
    assert "无法跟进这条意见" in response.content.decode()
    assert Receipt.objects.filter(opinion=seen).count() == 1


def test_the_service_refuses_an_opinion_the_text_does_not_find(tree):
    from massline.core.errors import ApplicationError

    seen = raised(tree.village_a1)
    with pytest.raises(ApplicationError) as refused:
        opinion_follow(org=tree.village_a1, opinion_id=seen.pk, text=UNRELATED)
    assert refused.value.code == "not_followable"
    with pytest.raises(ApplicationError) as empty:
        opinion_follow(org=tree.village_a1, opinion_id=seen.pk, text="  ")
    assert empty.value.field == "text"
    assert Receipt.objects.count() == 1


def test_both_steps_are_rate_limited(tree, settings):
    # given
    settings.PORTAL_RATE_LIMITS = {"similar": (2, 600), "submit": (1, 600), "lookup": (5, 600)}
    seen = raised(tree.village_a1)
    client = Client()
    # when: three looks, then two follows
    looks = [send(client, tree.village_a1) for _ in range(3)]
    body = {**hidden_fields(looks[0]), "follow": seen.pk}
    follows = [client.post(f"/p/o/{tree.village_a1.pk}/", body)]
    body = {**hidden_fields(looks[1]), "follow": seen.pk}
    follows.append(client.post(f"/p/o/{tree.village_a1.pk}/", body))
    # then
    assert [r.status_code for r in looks] == [200, 200, 429]
    assert [r.status_code for r in follows] == [200, 429]
    assert Receipt.objects.filter(opinion=seen).count() == 2
    # ... the refused follow may be sent again later: its form was not marked as sent
    settings.PORTAL_RATE_LIMITS = {"submit": (100, 600)}
    assert len(receipt_of(client.post(f"/p/o/{tree.village_a1.pk}/", body))) == 16


@pytest.mark.parametrize("choice", [{}, {"new": "1"}, {"follow": "1"}])
def test_every_step_needs_the_forms_csrf_token(tree, choice):
    raised(tree.village_a1)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/p/o/{tree.village_a1.pk}/", {"text": LIKE_IT, "anonymous": "1", **choice}
    )
    assert response.status_code == 403
    assert Receipt.objects.count() == 1


def test_the_step_page_uses_no_inline_script_style_or_external_asset(tree):
    raised(tree.village_a1)
    page = send(Client(), tree.village_a1).content.decode()
    assert "<script" not in page and "style=" not in page and " on" + "click" not in page
    assert "http://" not in page and "https://" not in page


@pytest.fixture
def office(tree, make_user):
    return make_user("campaign_office", tree.county_a1, "subtree")
