"""The staff page of a fix's evaluation: rounds under the k rule, slips issued as a PDF."""

from __future__ import annotations

import pytest
from django.test import Client

from massline.core.models import AuditEvent
from massline.rectification.evaluation_services import evaluation_submit, tokens_issue
from massline.rectification.models import EvaluationToken

from .conftest import TODAY, a_fix, a_problem
from .test_evaluation import closed

pytestmark = pytest.mark.django_db


@pytest.fixture
def slip(tree, people):
    fix = closed(a_fix(a_problem(tree.village_a1)), people)
    return fix, tokens_issue(actor=people.village, fix=fix, count=6)


def signed_in(user) -> Client:
    c = Client(headers={"Accept-Language": "zh-hans"})
    c.force_login(user)
    return c


def url(fix) -> str:
    return f"/rectification/fixes/{fix.pk}/evaluation/"


def test_below_k_the_page_shows_the_total_only(slip, people):
    fix, codes = slip
    for c in codes[:4]:
        evaluation_submit(token=c, verdict="satisfied", today=TODAY)
    page = signed_in(people.village).get(url(fix)).content.decode()
    assert 'data-testid="below-k"' in page
    row = page.split('data-testid="round-1"')[1].split("</tr>")[0]
    assert ">4<" in row and row.count('class="text-end"') == 1


def test_from_k_on_the_page_breaks_the_round_down(slip, people):
    fix, codes = slip
    for c in codes[:5]:
        evaluation_submit(token=c, verdict="basically_satisfied", today=TODAY)
    page = signed_in(people.village).get(url(fix)).content.decode()
    assert 'data-testid="below-k"' not in page
    row = page.split('data-testid="round-1"')[1].split("</tr>")[0]
    assert row.count('class="text-end"') == 4


def test_slips_are_issued_as_a_pdf_and_audited_once(slip, people):
    fix = slip[0]
    audits = AuditEvent.objects.count()
    r = signed_in(people.village).post(url(fix) + "slips/", {"count": "9"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    import pypdfium2

    pdf = pypdfium2.PdfDocument(r.content)
    assert len(pdf) == 2  # eight slips a page
    text = pdf[0].get_textpage().get_text_range()
    pdf.close()
    assert "评价" in text and "/p/e/" in text
    assert EvaluationToken.objects.filter(fix=fix).count() == 6 + 9
    assert AuditEvent.objects.count() == audits + 1


def test_a_bad_count_is_refused_on_the_page(slip, people):
    r = signed_in(people.village).post(url(slip[0]) + "slips/", {"count": "0"})
    assert r.status_code == 200 and 'data-testid="error"' in r.content.decode()
    assert EvaluationToken.objects.count() == 6


def test_out_of_scope_the_page_is_not_found(slip, people):
    assert signed_in(people.other_village).get(url(slip[0])).status_code == 404
