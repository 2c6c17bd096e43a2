"""The public evaluation page: a code (or `?t=`), the fix, the verdict, thanks; each refusal
at its field; the choice among several fixes; the throttle."""

from __future__ import annotations

import pytest
from django.test import Client

from massline.opinions.intake_services import opinion_submit
from massline.rectification import workflow
from massline.rectification.evaluation_services import tokens_issue
from massline.rectification.fix_services import fix_act
from massline.rectification.models import Evaluation, ProblemSource
from massline.rectification.tests.conftest import TODAY, a_fix, a_problem, people  # noqa: F401
from massline.rectification.tests.test_evaluation import closed

pytestmark = pytest.mark.django_db
URL = "/p/e/"


@pytest.fixture
def slip(tree, people):  # noqa: F811
    fix = a_fix(a_problem(tree.village_a1), measure="每月 5 日前更新村务公开栏")
    fix_act(
        actor=people.village,
        fix=fix,
        action=workflow.PROGRESS,
        note="已更换公开栏",
        public=True,
        today=TODAY,
    )
    fix = closed(fix, people)
    return fix, tokens_issue(actor=people.village, fix=fix, count=5)


def zh() -> Client:
    return Client(headers={"Accept-Language": "zh-hans"})


def test_the_slip_s_qr_code_prefills_the_code(slip):
    r = zh().get(URL + "?t=" + slip[1][0])
    assert r.status_code == 200
    assert f'value="{slip[1][0]}"' in r.content.decode()


def test_a_code_shows_the_fix_then_the_verdict_is_counted(slip):
    fix, codes = slip
    c = zh()
    shown = c.post(URL, {"code": codes[0].lower()})
    page = shown.content.decode()
    assert shown.status_code == 200
    assert "每月 5 日前更新村务公开栏" in page and "已更换公开栏" in page
    assert 'data-testid="closed-on"' in page
    assert Evaluation.objects.count() == 0  # nothing stored before the choice
    done = c.post(URL, {"code": codes[0], "fix": fix.pk, "verdict": "basically_satisfied"})
    assert 'data-testid="thanks"' in done.content.decode()
    fix.refresh_from_db()
    assert fix.basically_satisfied == 1


def test_unsatisfied_without_a_reason_is_refused_at_the_reason(slip):
    fix, codes = slip
    r = zh().post(URL, {"code": codes[0], "fix": fix.pk, "verdict": "unsatisfied"})
    assert 'data-testid="error-reason"' in r.content.decode()
    assert Evaluation.objects.count() == 0


def test_an_unknown_code_is_refused_at_the_code(slip):
    r = zh().post(URL, {"code": "ABCD-EFGH-JKMN"})
    assert 'data-testid="error-code"' in r.content.decode()


def test_a_used_code_is_refused_at_the_code(slip):
    fix, codes = slip
    zh().post(URL, {"code": codes[0], "fix": fix.pk, "verdict": "satisfied"})
    r = zh().post(URL, {"code": codes[0]})
    assert 'data-testid="error-code"' in r.content.decode()
    assert Evaluation.objects.count() == 1


def test_before_close_out_the_page_says_so(tree, people):  # noqa: F811
    fix = a_fix(a_problem(tree.village_a1))
    code = tokens_issue(actor=people.village, fix=fix, count=1)[0]
    r = zh().post(URL, {"code": code})
    assert fix.deadline.isoformat() in r.content.decode()
    assert 'data-testid="error-code"' in r.content.decode()


def test_a_receipt_leading_to_two_fixes_asks_which(tree, people):  # noqa: F811
    opinion, code = opinion_submit(org=tree.village_a1, text="公开栏不更新", anonymous=True)
    problem = a_problem(tree.village_a1, source=ProblemSource.OPINION, opinions=[opinion])
    first = closed(a_fix(problem, measure="更新公开栏"), people)
    closed(a_fix(problem, measure="加装防雨罩"), people)
    r = zh().post(URL, {"code": code})
    page = r.content.decode()
    assert "加装防雨罩" in page and f'name="fix" value="{first.pk}"' in page
    chosen = zh().post(URL, {"code": code, "fix": first.pk})
    assert "更新公开栏" in chosen.content.decode() and 'name="verdict"' in chosen.content.decode()


def test_the_page_is_throttled(slip, settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "evaluate": (1, 600)}
    c = zh()
    assert c.post(URL, {"code": slip[1][0]}).status_code == 200
    assert c.post(URL, {"code": slip[1][1]}).status_code == 429
