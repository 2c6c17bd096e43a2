"""The demo's rectification: every stage of the loop is there after loading the demo, each
step through the services (history and audit), and the counters agree with a recount."""

from __future__ import annotations

from collections import Counter

import pytest

from massline.core.models import AuditEvent
from massline.demo import services as demo
from massline.demo.rectification import TOWNSHIP, demo_spare_codes
from massline.orgs import counters
from massline.rectification.evaluation_services import evaluation_submit
from massline.rectification.models import (
    Evaluation,
    EvaluationToken,
    Fix,
    FixStep,
    FixStepKind,
    Problem,
    ProblemSource,
    ProblemStatus,
)

from .test_load_demo import small_demo  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_loop_at_every_stage(small_demo, tmp_path):  # noqa: F811
    # when
    demo.demo_load(actor=None, divisions_dir=small_demo, seed=1)
    # then problems from every source, those raised by the public linked to their opinions,
    # those of self-reviews tagged with their checklist items
    sources = Counter(Problem.objects.values_list("source", flat=True))
    assert set(sources) == set(ProblemSource.values), sources
    for p in Problem.objects.filter(source=ProblemSource.OPINION):
        assert p.opinions.exists()
    reviews = Problem.objects.filter(source__in=("team_review", "self_review"))
    assert not reviews.filter(category__isnull=True).exists()
    # fixes of every kind in every state, overdue and reworked ones among them
    fixes = Fix.objects.all()
    assert set(fixes.values_list("kind", flat=True)) == {"immediate", "time_limited", "ongoing"}
    states = Counter(fixes.values_list("state", flat=True))
    assert set(states) == {"in_progress", "extension_requested", "close_requested", "closed"}
    assert fixes.filter(overdue=True).exists()
    assert fixes.filter(reworked=True, round=2, state="in_progress").exists()
    steps = Counter(FixStep.objects.values_list("kind", flat=True))
    every = set(FixStepKind.values)
    assert every - set(steps) == set(), every - set(steps)
    assert FixStep.objects.filter(kind=FixStepKind.PROGRESS, public=True).exists()
    # commitments published together, and some prepared, not yet published
    assert fixes.filter(published=True).exists()
    assert fixes.filter(published=False, commitment_prepared_at__isnull=False).exists()
    # escalated problems: claimed by the level above (owned there, found below), one waiting
    assert Problem.objects.filter(status=ProblemStatus.ESCALATED).count() == 1
    claimed = Problem.objects.filter(org__code=TOWNSHIP).exclude(origin_org__code=TOWNSHIP)
    assert claimed.exists()
    # the batch handover: a county fix now the township's, its history kept
    handed = Fix.objects.get(steps__kind=FixStepKind.HANDED_OVER)
    assert handed.org.code == TOWNSHIP and handed.origin_org.code != TOWNSHIP
    assert handed.handover_org is None
    # every step audited, and the counters right
    assert AuditEvent.objects.filter(action="rectification.fix_create").count() == fixes.count()
    assert AuditEvent.objects.filter(action="rectification.fix_handover").count() == 1
    assert counters.rebuild(check_only=True) == []
    # the public's evaluations: rounds with k or more (broken down) and fewer, a rework by the
    # system once too many were unsatisfied, every closed-out fix judged
    per_round = Counter(Evaluation.objects.values_list("fix_id", "round"))
    assert any(n >= 5 for n in per_round.values()) and any(n < 5 for n in per_round.values())
    assert not Fix.objects.filter(state="closed").exclude(evaluations__isnull=False).exists()
    assert FixStep.objects.filter(kind=FixStepKind.REWORK, actor__isnull=True).exists()
    assert not Evaluation.objects.filter(verdict="unsatisfied", reason="").exists()
    # five spare codes to try the public page with, written once
    path = tmp_path / "codes.txt"
    assert demo_spare_codes(path) == path
    codes = path.read_text().split()
    assert len(codes) == 5 and len(set(codes)) == 5
    unused = EvaluationToken.objects.filter(used=False).count()
    assert demo_spare_codes(path) == path
    assert EvaluationToken.objects.filter(used=False).count() == unused
    assert evaluation_submit(token=codes[0], verdict="satisfied").verdict == "satisfied"


def test_loading_the_demo_again_adds_no_fix(small_demo):  # noqa: F811
    demo.demo_load(actor=None, divisions_dir=small_demo, seed=1)
    n, steps = Fix.objects.count(), FixStep.objects.count()
    demo.demo_load(actor=None, divisions_dir=small_demo, seed=1)
    assert (Fix.objects.count(), FixStep.objects.count()) == (n, steps)
    assert Evaluation.objects.count() > 0
