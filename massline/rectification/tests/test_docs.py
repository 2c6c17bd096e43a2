from pathlib import Path

from massline.rectification import workflow

DOC = Path(__file__).resolve().parents[3] / "docs" / "decisions" / "0022-rectification.md"


def test_the_decision_shows_the_workflow_as_declared():
    assert workflow.markdown_table() in DOC.read_text(encoding="utf-8")
