"""The roster import (党员花名册导入): a CSV or Excel file in the template of
`massline.members.template`, validated in full, then written at once or not at all; as a
function (`import_roster`), a background job (`run_import`, `JOB_KIND`), pages (`views`), the
API (`api`) and `massline import-members`. `importing` says how a file goes in.

Each module imports only modules listed before it (none of them another's private names):
report, context (no Django), workbook (an .xlsx file's sheets), reading, rows (one row: the careful path), columns (the column
engine), staging, counts (the counter figures), checking (one block, in a checking process),
workers (no Django: the checking processes), intake (the file through the workers into the
staging table), file_checks, apply, importing (`import_roster`), jobs, views, api. `boot`
is what the workers' fork server imports first.

The names below load on first use: a checking process started by a fork server that could
not set Django up imports `workers` and `context` before it sets Django up, and must not
import the models on the way."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .importing import import_roster
    from .jobs import JOB_KIND, run_import
    from .reading import ENCODINGS
    from .report import ImportReport, Problem, write_report_csv

__all__ = [
    "ENCODINGS",
    "JOB_KIND",
    "ImportReport",
    "Problem",
    "import_roster",
    "run_import",
    "write_report_csv",
]

_WHERE = {
    "ENCODINGS": "reading",
    "JOB_KIND": "jobs",
    "ImportReport": "report",
    "Problem": "report",
    "import_roster": "importing",
    "run_import": "jobs",
    "write_report_csv": "report",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
