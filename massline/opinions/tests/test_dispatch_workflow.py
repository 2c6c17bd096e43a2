"""The workflow map: the decision's table is the code's; the map's shape."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from massline.opinions import workflow
from massline.opinions.models import OpinionStatus, OpinionStepKind

DECISION = settings.BASE_DIR / "docs" / "decisions" / "0021-opinions.md"


def doc_table(text: str) -> str:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| state | action |"))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end]) + "\n"


def test_the_decision_shows_the_map_as_it_is():
    text = DECISION.read_text(encoding="utf-8")
    assert doc_table(text) == workflow.markdown_table()


def test_every_state_kind_and_action_is_known():
    for t in workflow.TRANSITIONS.values():
        assert t.state in OpinionStatus.values
        assert t.target in OpinionStatus.values
        assert t.step_kind in OpinionStepKind.values
        assert t.action in workflow.ACTIONS
    assert {t.action for t in workflow.TRANSITIONS.values()} == set(workflow.ACTIONS)


def test_closed_and_merged_are_final():
    assert not [k for k in workflow.TRANSITIONS if k[0] in ("closed", "merged")]


def test_every_step_that_needs_a_note_says_so_in_its_label():
    with translation.override("en"):
        for t in workflow.TRANSITIONS.values():
            if t.note_required:
                assert "required" in str(t.note_label)
