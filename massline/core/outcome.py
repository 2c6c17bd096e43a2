"""What a scheduled run found (massline.core.schedule), in a module of its own so that the
handlers (jobs' clean-up, the counters' drift check) need not import the scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """`findings`: something a system administrator must look at; `message`: a short text in
    words; `details`: what to show with it."""

    findings: bool = False
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
