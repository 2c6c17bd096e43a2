"""What an import answers: its figures and every problem, with its row (as the spreadsheet
numbers it, the header being row 1), column, value and reason; ID and phone numbers appear
masked, never in clear. And the problems as a CSV for the user."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.members import template

#: Rows of a workbook's later sheets are numbered this far apart (sheet index × SHEET_ROWS + row).
SHEET_ROWS = 10_000_000
#: Problems kept in a report; the rest are counted.
REPORT_LIMIT = 100_000


@dataclass
class Problem:
    row: int | None  # None: the file as a whole
    column: str  # the template header, or ""
    value: str  # as the file has it; ID and phone numbers masked
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class ImportReport:
    dry_run: bool
    file_name: str = ""
    rows: int = 0  # data rows read, blank ones included
    valid_rows: int = 0
    blank_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False
    seconds: float = 0.0
    sheets: list[str] = field(default_factory=list)

    problem_rows: int = 0  # rows with at least one problem
    # Seconds spent in each phase, in order (reading, checking, writing, …): for operators
    # and benchmarks (`import-members -v 2`).
    phases: dict[str, float] = field(default_factory=dict)
    _mark: float = field(default_factory=time.perf_counter, repr=False)

    def mark(self, phase: str) -> None:
        """The phase `phase` ends now."""
        now = time.perf_counter()
        self.phases[phase] = round(self.phases.get(phase, 0.0) + now - self._mark, 2)
        self._mark = now

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def where(self, row: int) -> str:
        """A row number as the user finds it: on a later sheet, with the sheet's name."""
        if row <= SHEET_ROWS:
            return str(row)
        index, line = divmod(row, SHEET_ROWS)
        sheet = self.sheets[index] if index < len(self.sheets) else str(index + 1)
        return f"{sheet} {line}"

    def add(self, problem: Problem) -> None:
        if problem.row is not None and problem.row > SHEET_ROWS:
            # a row of a later sheet of a workbook: name the sheet
            index, problem.row = divmod(problem.row, SHEET_ROWS)
            sheet = self.sheets[index] if index < len(self.sheets) else str(index + 1)
            problem.column = f"{sheet} · {problem.column}" if problem.column else sheet
        self.problem_count += 1
        if len(self.problems) < REPORT_LIMIT:
            self.problems.append(problem)

    def as_dict(self, *, limit: int | None = None) -> dict[str, Any]:
        problems = self.problems if limit is None else self.problems[:limit]
        return {
            "dry_run": self.dry_run,
            "file_name": self.file_name,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "blank_rows": self.blank_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problem_count": self.problem_count,
            "problems": [p.as_dict() for p in problems],
            "problems_listed": len(problems),
            "applied": self.applied,
            "seconds": round(self.seconds, 2),
        }


def write_report_csv(report: ImportReport, path: Path) -> None:
    """The problems as a CSV that Excel opens in Chinese (UTF-8 with a BOM)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([_("Row"), _("Column"), _("Value"), _("Problem")])
        for p in report.problems:
            writer.writerow(
                [p.row if p.row is not None else "", p.column, template.protect(p.value), p.message]
            )


def file_error(message: str, code: str = "bad_file") -> ApplicationError:
    """A problem with the file as a whole, which ends the import (field "file")."""
    return ApplicationError(message, field="file", code=code)
