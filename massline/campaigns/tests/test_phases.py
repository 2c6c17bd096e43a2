"""The declared phase map: the decision's table is the map's, and the map says what the
phased campaign allows phase by phase."""

from __future__ import annotations

import pytest
from django.conf import settings

from massline.campaigns import phases
from massline.core.errors import ApplicationError

DECISION = settings.BASE_DIR / "docs" / "decisions" / "0015-campaigns-rollout-and-phases.md"


def doc_table(text: str) -> str:
    """The Markdown table of the decision whose header starts with "| phase | action |"."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| phase | action |"))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end]) + "\n"


def test_the_decision_shows_the_map_as_it_is():
    # given the decision as written
    text = DECISION.read_text(encoding="utf-8")
    # then its table is the one rendered from the map, row for row
    assert doc_table(text) == phases.markdown_table()


def test_phases_advance_in_order_and_the_last_has_no_next():
    # given / when: following advance from the first phase
    seen = [phases.first_phase(True)]
    while (step := phases.allowed(seen[-1], phases.ADVANCE)) is not None:
        seen.append(step.target)
    # then
    assert tuple(seen) == phases.PHASE_ORDER


def test_without_phases_every_kind_runs_throughout_and_nothing_advances():
    assert phases.first_phase(False) == phases.THROUGHOUT
    assert all(phases.allowed(phases.THROUGHOUT, kind) for kind in phases.ACTION_KINDS)
    assert phases.allowed(phases.THROUGHOUT, phases.ADVANCE) is None


def test_an_action_of_a_later_phase_is_refused_early_unless_the_map_allows_it():
    # rectification belongs to the last phase; review allows it early (立行立改), learn does not
    assert phases.allowed("review", "rectification").early
    assert phases.allowed("learn", "rectification") is None
    with pytest.raises(ApplicationError) as refused:
        phases.require("learn", "assessment", org_name="中共保合少镇委员会")
    assert refused.value.code == "not_in_this_phase"
    assert "中共保合少镇委员会" in refused.value.message


def test_every_kind_of_action_has_a_phase_where_it_is_at_home():
    for kind in phases.ACTION_KINDS:
        assert any(
            (t := phases.allowed(p, kind)) and not t.early and not t.catch_up
            for p in phases.PHASE_ORDER
        ), kind


def test_what_an_earlier_phase_left_undone_can_be_made_up_later_never_the_reverse():
    order = {p: i for i, p in enumerate(phases.PHASE_ORDER)}
    for (phase, kind), t in phases.TRANSITIONS.items():
        if not t.catch_up:
            continue
        home = [p for p in phases.PHASE_ORDER if (h := phases.allowed(p, kind)) and not h.early]
        home = [p for p in home if not phases.allowed(p, kind).catch_up]
        # made up only after the phase it belongs to
        assert min(order[p] for p in home) < order[phase], (phase, kind)
    # research, at home in learning, is made up when reviewing and when rectifying
    assert phases.allowed("review", "research").catch_up
    assert phases.allowed("rectify", "problem_review").catch_up
    assert phases.allowed("learn", "problem_review") is None
