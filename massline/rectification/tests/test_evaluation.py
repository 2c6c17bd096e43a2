"""Evaluation by the public: with a receipt code or an evaluation code, each refusal its own
test, the rework at the threshold, the k rule, and the counters against a recount."""

from __future__ import annotations

import pytest
from django.db import transaction

from massline.core.errors import ApplicationError, Forbidden
from massline.core.models import AuditEvent
from massline.opinions.intake_services import opinion_submit
from massline.opinions.models import Opinion
from massline.rectification import workflow
from massline.rectification.evaluation_services import (
    TOKEN_LENGTH,
    Target,
    breakdown,
    breakdown_required,
    evaluation_submit,
    is_token_code,
    rounds,
    tokens_issue,
)
from massline.rectification.fix_services import fix_act
from massline.rectification.models import (
    Evaluation,
    EvaluationToken,
    Fix,
    FixState,
    FixStep,
    FixStepKind,
    ProblemSource,
)

from .conftest import TODAY, a_fix, a_problem, figures, no_drift

pytestmark = pytest.mark.django_db


def closed(fix, people) -> Fix:
    fix_act(
        actor=people.village, fix=fix, action=workflow.REQUEST_CLOSE, note="已更新", today=TODAY
    )
    return fix_act(actor=people.town, fix=fix, action=workflow.APPROVE_CLOSE, today=TODAY)


def raised(org) -> tuple[Opinion, str]:
    return opinion_submit(org=org, text="村务公开栏长期不更新", anonymous=True)


@pytest.fixture
def with_receipt(tree, people):
    """A closed fix of a problem raised by the public, and the opinion's receipt code."""
    opinion, code = raised(tree.village_a1)
    problem = a_problem(
        tree.village_a1, actor=people.village, source=ProblemSource.OPINION, opinions=[opinion]
    )
    fix = closed(a_fix(problem, actor=people.village), people)
    return fix, code


@pytest.fixture
def slip(tree, people):
    """A closed fix and ten evaluation codes for it."""
    fix = closed(a_fix(a_problem(tree.village_a1, actor=people.village)), people)
    return fix, tokens_issue(actor=people.village, fix=fix, count=10)


def refused(code: str, field: str, **kw) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        evaluation_submit(today=TODAY, **kw)
    assert (caught.value.code, caught.value.field) == (code, field), caught.value.message
    return caught.value


def test_a_receipt_evaluates_the_closed_fix_once_counted_at_its_organization(tree, with_receipt):
    fix, code = with_receipt
    audits = AuditEvent.objects.count()
    e = evaluation_submit(receipt=code.lower(), verdict="satisfied", today=TODAY)
    fix.refresh_from_db()
    assert (e.fix_id, e.round, e.org_id, e.given_on) == (fix.pk, 1, tree.village_a1.pk, TODAY)
    assert (fix.satisfied, fix.basically_satisfied, fix.unsatisfied) == (1, 0, 0)
    assert AuditEvent.objects.count() == audits  # no audit row at the moment of an evaluation
    assert figures(tree.village_a1, "evaluations.total", "evaluations.satisfied") == {
        "evaluations.total": (1, 1),
        "evaluations.satisfied": (1, 1),
    }
    assert figures(tree.root, "evaluations.total") == {"evaluations.total": (0, 1)}
    no_drift()


def test_a_token_evaluates_once_and_is_marked_used(slip):
    fix, codes = slip
    assert all(len(c) == TOKEN_LENGTH and is_token_code(c) for c in codes)
    e = evaluation_submit(token=codes[0], verdict="basically_satisfied", today=TODAY)
    assert EvaluationToken.objects.get(pk=e.token_id).used
    fix.refresh_from_db()
    assert fix.basically_satisfied == 1
    no_drift()


def test_a_merged_opinion_s_receipt_leads_to_the_fix_of_the_one_it_was_merged_into(tree, people):
    carried, _code = raised(tree.village_a1)
    merged, code = raised(tree.village_a1)
    Opinion.objects.filter(pk=merged.pk).update(merged_into=carried)
    problem = a_problem(tree.village_a1, source=ProblemSource.OPINION, opinions=[carried])
    fix = closed(a_fix(problem), people)
    assert evaluation_submit(receipt=code, verdict="satisfied", today=TODAY).fix_id == fix.pk


# --- refusals, each its own test ---------------------------------------------------------------


def test_refused_before_close_out_saying_the_promised_day(tree, people):
    opinion, code = raised(tree.village_a1)
    problem = a_problem(tree.village_a1, source=ProblemSource.OPINION, opinions=[opinion])
    fix = a_fix(problem)
    e = refused("not_closed", "receipt", receipt=code, verdict="satisfied")
    assert fix.deadline.isoformat() in e.message
    assert Evaluation.objects.count() == 0
    no_drift()


def test_refused_a_second_time_with_the_same_token(slip):
    fix, codes = slip
    evaluation_submit(token=codes[0], verdict="satisfied", today=TODAY)
    refused("token_used", "token", token=codes[0], verdict="satisfied")
    assert Evaluation.objects.count() == 1
    fix.refresh_from_db()
    assert fix.evaluated == 1
    no_drift()


def test_refused_a_second_time_with_the_same_receipt_in_the_round(with_receipt):
    fix, code = with_receipt
    evaluation_submit(receipt=code, verdict="satisfied", today=TODAY)
    refused("receipt_used", "receipt", receipt=code, verdict="unsatisfied", reason="没变化")
    fix.refresh_from_db()
    assert (fix.evaluated, Evaluation.objects.count()) == (1, 1)
    no_drift()


def test_the_same_receipt_at_once_meets_the_constraint_and_gets_the_same_refusal(
    with_receipt, monkeypatch
):
    # given: the other evaluation is written between this one's look-up and its insert
    from massline.rectification import evaluation_services

    fix, code = with_receipt
    first = evaluation_services.evaluation_target(receipt=code)
    evaluation_submit(receipt=code, verdict="satisfied", today=TODAY)
    monkeypatch.setattr(evaluation_services, "evaluation_target", lambda **kw: first)
    # when / then: the unique constraint refuses it, and nothing of it was written
    refused("receipt_used", "receipt", receipt=code, verdict="basically_satisfied")
    fix.refresh_from_db()
    assert (fix.satisfied, fix.basically_satisfied, Evaluation.objects.count()) == (1, 0, 1)
    no_drift()


def test_the_same_token_at_once_gets_the_used_refusal_and_nothing_half_written(slip, monkeypatch):
    from massline.rectification import evaluation_services

    fix, codes = slip
    first = evaluation_services.evaluation_target(token=codes[0])
    evaluation_submit(token=codes[0], verdict="satisfied", today=TODAY)
    stale = Target(first.fix_id, token=first.token)
    monkeypatch.setattr(evaluation_services, "evaluation_target", lambda **kw: stale)
    refused("token_used", "token", token=codes[0], verdict="satisfied")
    fix.refresh_from_db()
    assert (fix.evaluated, Evaluation.objects.count()) == (1, 1)
    no_drift()


def test_refused_a_token_of_an_earlier_round(slip, people):
    fix, codes = slip
    fix_act(actor=people.town, fix=fix, action=workflow.REWORK, note="群众不满意", today=TODAY)
    closed(fix, people)
    e = refused("token_round", "token", token=codes[0], verdict="satisfied")
    assert "1" in e.message and "2" in e.message
    assert Evaluation.objects.count() == 0


def test_refused_an_unknown_code(slip):
    refused("unknown_code", "token", token="ABCD-EFGH-JKMN", verdict="satisfied")
    refused("unknown_code", "receipt", receipt="ABCD-EFGH-JKMN-PQRS", verdict="satisfied")
    # an evaluation code given as a receipt is not a receipt
    refused("unknown_code", "receipt", receipt=slip[1][0], verdict="satisfied")


def test_refused_unsatisfied_without_a_reason(slip):
    refused("reason_required", "reason", token=slip[1][0], verdict="unsatisfied", reason="  ")
    assert Evaluation.objects.count() == 0


def test_refused_a_reason_too_long(slip):
    refused("too_long", "reason", token=slip[1][0], verdict="unsatisfied", reason="长" * 1001)


def test_refused_an_unknown_verdict(slip):
    refused("unknown_verdict", "verdict", token=slip[1][0], verdict="so-so")


def test_refused_without_a_code_or_with_both(slip, with_receipt):
    refused("no_code", "receipt", verdict="satisfied")
    refused("no_code", "receipt", receipt=with_receipt[1], token=slip[1][0], verdict="satisfied")


def test_refused_a_receipt_whose_opinion_has_no_fix(tree):
    _opinion, code = raised(tree.village_a1)
    refused("no_fix", "receipt", receipt=code, verdict="satisfied")


def test_a_receipt_leading_to_several_closed_fixes_must_choose(tree, people, with_receipt):
    fix, code = with_receipt
    other = closed(a_fix(fix.problem, measure="公开栏加装防雨罩"), people)
    e = refused("choose_fix", "fix", receipt=code, verdict="satisfied")
    assert [c["id"] for c in e.extra["fixes"]] == [fix.pk, other.pk]
    assert "防雨罩" in e.message
    chosen = evaluation_submit(receipt=code, verdict="satisfied", fix_id=other.pk, today=TODAY)
    assert chosen.fix_id == other.pk
    # the one left is the one evaluated next
    assert evaluation_submit(receipt=code, verdict="satisfied", today=TODAY).fix_id == fix.pk
    refused("wrong_fix", "fix", receipt=code, verdict="satisfied", fix_id=other.pk + 999)


def test_a_token_of_another_fix_is_refused_for_the_fix_chosen(slip):
    fix, codes = slip
    refused("wrong_fix", "fix", token=codes[0], verdict="satisfied", fix_id=fix.pk + 1)


# --- rework ----------------------------------------------------------------------------------


def test_the_fix_goes_back_for_rework_when_too_many_are_unsatisfied(tree, slip):
    fix, codes = slip
    for code in codes[:3]:
        evaluation_submit(token=code, verdict="satisfied", today=TODAY)
    evaluation_submit(token=codes[3], verdict="unsatisfied", reason="还是没更新", today=TODAY)
    fix.refresh_from_db()
    assert fix.state == FixState.CLOSED  # 4 answers: below the minimum of 5
    evaluation_submit(token=codes[4], verdict="unsatisfied", reason="没人管", today=TODAY)
    fix.refresh_from_db()
    # 2 of 5 unsatisfied: 40 % > 30 %
    assert (fix.state, fix.round, fix.reworked, fix.evaluated) == (FixState.IN_PROGRESS, 2, True, 0)
    step = FixStep.objects.filter(fix=fix, kind=FixStepKind.REWORK).get()
    assert step.actor is None and step.round == 2 and "2" in step.note and "5" in step.note
    assert AuditEvent.objects.filter(action="rectification.rework", actor__isnull=True).count() == 1
    # every round is kept
    assert list(Evaluation.objects.filter(fix=fix).values_list("round", flat=True)) == [1] * 5
    first = breakdown(fix, 1)
    assert first.counts == {"satisfied": 3, "basically_satisfied": 0, "unsatisfied": 2}
    assert [b.round for b in rounds(fix)] == [2, 1]
    no_drift()


def test_not_reworked_at_the_share_itself(slip, settings):
    settings.RECTIFICATION_REWORK_SHARE = 0.4
    fix, codes = slip
    for code in codes[:3]:
        evaluation_submit(token=code, verdict="basically_satisfied", today=TODAY)
    for code in codes[3:5]:
        evaluation_submit(token=code, verdict="unsatisfied", reason="不满意", today=TODAY)
    fix.refresh_from_db()
    assert fix.state == FixState.CLOSED  # 40 % is not above 40 %


def test_not_reworked_below_the_minimum_answers_even_when_all_are_unsatisfied(slip, settings):
    settings.RECTIFICATION_REWORK_MIN_ANSWERS = 8
    fix, codes = slip
    for code in codes[:7]:
        evaluation_submit(token=code, verdict="unsatisfied", reason="不满意", today=TODAY)
    fix.refresh_from_db()
    assert (fix.state, fix.unsatisfied) == (FixState.CLOSED, 7)


# --- the k rule ------------------------------------------------------------------------------


def test_below_k_the_round_is_not_broken_down(slip):
    fix, codes = slip
    for code in codes[:4]:
        evaluation_submit(token=code, verdict="satisfied", today=TODAY)
    found = breakdown(fix)
    assert (found.total, found.shown, found.parts()) == (4, False, [])
    with pytest.raises(ApplicationError) as caught:
        breakdown_required(fix)
    assert caught.value.code == "below_k"
    evaluation_submit(token=codes[4], verdict="basically_satisfied", today=TODAY)
    assert breakdown_required(fix).counts == {
        "satisfied": 4,
        "basically_satisfied": 1,
        "unsatisfied": 0,
    }


def test_a_round_out_of_range_is_refused(slip):
    with pytest.raises(ApplicationError) as caught:
        breakdown(slip[0], 2)
    assert caught.value.field == "round"


# --- slips -----------------------------------------------------------------------------------


def test_codes_are_issued_for_the_present_round_audited_once_with_their_count(slip, people):
    fix, codes = slip
    assert len(set(codes)) == 10
    assert EvaluationToken.objects.filter(fix=fix, round=1, used=False).count() == 10
    row = AuditEvent.objects.get(action="rectification.tokens_issue")
    assert row.after == {"count": 10, "round": 1}
    assert not any(c in str(row.after) for c in codes)


@pytest.mark.parametrize("count", [0, 501, "many", None, True])
def test_issuing_a_bad_count_is_refused(slip, people, count):
    with pytest.raises(ApplicationError) as caught:
        tokens_issue(actor=people.village, fix=slip[0], count=count)
    assert caught.value.field == "count"
    assert EvaluationToken.objects.count() == 10


def test_issuing_outside_one_s_organization_is_refused(slip, people):
    with pytest.raises(Forbidden):
        tokens_issue(actor=people.other_village, fix=slip[0], count=5)
    assert EvaluationToken.objects.count() == 10


def test_an_evaluation_writes_nothing_when_the_transaction_around_it_fails(slip):
    _fix, codes = slip
    with pytest.raises(RuntimeError), transaction.atomic():
        evaluation_submit(token=codes[0], verdict="satisfied", today=TODAY)
        raise RuntimeError
    assert not EvaluationToken.objects.filter(used=True).exists()
    no_drift()


def test_a_receipt_whose_one_closed_fix_it_judged_is_refused_as_used(tree, people, with_receipt):
    fix, code = with_receipt
    a_fix(fix.problem, measure="公开栏加装防雨罩")  # open: not a candidate
    evaluation_submit(receipt=code, verdict="satisfied", today=TODAY)
    refused("receipt_used", "receipt", receipt=code, verdict="satisfied")
