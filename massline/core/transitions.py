"""What every declared workflow map (opinions, rectification) shares: its table for the
decision records. A transition is anything with `state`, `action`, `target`, `acting`,
`step_kind` and `audit_action`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def markdown_table(transitions: Iterable[Any]) -> str:
    """The state machine as a Markdown table, one row per (state, action), in map order."""
    rows = [
        "| state | action | next state | who acts | history step | audit action |",
        "|---|---|---|---|---|---|",
    ]
    rows += [
        f"| `{t.state}` | {t.action} | `{t.target}` | {t.acting}"
        f" | `{t.step_kind}` | `{t.audit_action}` |"
        for t in transitions
    ]
    return "\n".join(rows) + "\n"
