"""The ledger (整改台账) to `.xlsx`: a background job (`rectification.ledger_export`, the shape
of the audit and list exports) that writes an organization's fixes in the usual layout: a title
row with the organization and the day, then 序号, 问题描述, 整改措施, 责任单位, 责任人, 整改时限,
完成情况, 群众评价. It covers the fixes of the organization's subtree (responsible there, or
found there and claimed above) that the reader may see, with the ledger's filters (state, kind,
overdue), read by id a chunk at a time and written in constant memory, with the reader's rights
as they are when the job runs; the export is itself audited with its row count.

The public's evaluation is broken down only when the round has at least k evaluations
(`RECTIFICATION_EVALUATION_K`, 5): otherwise only how many there are."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import RECTIFICATION_VIEW
from massline.access.policy import can, scoped
from massline.core import jobs
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError
from massline.core.models import Job
from massline.orgs.models import Organization

from .evaluation_services import k as evaluation_k
from .models import CoOrganization, Fix, FixKind, FixState, Problem

if TYPE_CHECKING:
    from massline.accounts.models import User

JOB_KIND = "rectification.ledger_export"
FILENAME = "ledger.xlsx"
CHUNK = 2_000
COLUMNS = 8
WIDTHS = (6, 40, 40, 24, 10, 16, 24, 28)
FILTERS = ("state", "kind", "overdue")
OVERDUE_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def clean_filters(raw: Mapping[str, Any]) -> dict[str, str]:
    """The ledger's filters from a query or a request body: known values only, else a clear
    error naming the filter."""
    out: dict[str, str] = {}
    state = str(raw.get("state") or "").strip()
    if state:
        if state not in FixState.values:
            raise ApplicationError(
                _("Unknown state %(value)s; one of: %(known)s.")
                % {"value": state, "known": ", ".join(FixState.values)},
                field="state",
            )
        out["state"] = state
    kind = str(raw.get("kind") or "").strip()
    if kind:
        if kind not in FixKind.values:
            raise ApplicationError(
                _("Unknown kind of fix %(value)s; one of: %(known)s.")
                % {"value": kind, "known": ", ".join(FixKind.values)},
                field="kind",
            )
        out["kind"] = kind
    overdue = str(raw.get("overdue") or "").strip().lower()
    if overdue:
        if overdue not in OVERDUE_VALUES:
            raise ApplicationError(
                _("“overdue” is 1 (only the overdue ones) or 0 (none of them), not %(value)s.")
                % {"value": overdue},
                field="overdue",
            )
        out["overdue"] = "1" if OVERDUE_VALUES[overdue] else "0"
    return out


def ledger_fixes(user: Any, org: Organization, filters: Mapping[str, str]) -> Any:
    """The fixes of `org`'s ledger the user may see, filtered."""
    qs = Fix.objects.filter(Q(org_path__startswith=org.path) | Q(origin_path__startswith=org.path))
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("overdue"):
        qs = qs.filter(overdue=filters["overdue"] == "1")
    return scoped(qs, user, RECTIFICATION_VIEW, path_index=False)


def export_start(*, actor: User, org: Organization, filters: Mapping[str, Any]) -> Job:
    """Start the export of `org`'s ledger (the org as the caller may see it: `access_org`)."""
    cleaned = clean_filters(filters)
    return jobs.enqueue(JOB_KIND, actor=actor, params={"org": org.pk, "filters": cleaned})


class Row(NamedTuple):
    """What the ledger shows of one fix (read as a tuple: no model instances)."""

    pk: int
    problem: str
    measure: str
    org: str
    responsible_person: str
    kind: str
    deadline: dt.date | None
    state: str
    round: int
    overdue: bool
    closed_on: dt.date | None
    extension_until: dt.date | None
    satisfied: int
    basically_satisfied: int
    unsatisfied: int


FIELDS = (
    "pk", "problem_id", "measure", "org_id", "responsible_person", "kind", "deadline", "state",
    "round", "overdue", "closed_on", "extension_until", "satisfied", "basically_satisfied",
    "unsatisfied",
)  # fmt: skip


def _fixes(qs: Any) -> Iterator[tuple[Row, list[str]]]:
    """The fixes by id, a chunk at a time (keyset on the id, on the fix's table alone), each
    with its problem's words, its organization's name and its co-organizations, read for the
    chunk by their ids (organization names kept across chunks)."""
    last = 0
    names: dict[int, str] = {}
    while True:
        chunk = list(qs.filter(pk__gt=last).order_by("pk").values_list(*FIELDS)[:CHUNK])
        if not chunk:
            return
        problems = dict(
            Problem.objects.filter(pk__in={r[1] for r in chunk}).values_list("pk", "description")
        )
        co: dict[int, list[int]] = {}
        for fix_id, org_id in (
            CoOrganization.objects.filter(fix_id__in=[r[0] for r in chunk])
            .order_by("fix_id", "org_path")
            .values_list("fix_id", "org_id")
        ):
            co.setdefault(fix_id, []).append(org_id)
        wanted = {r[3] for r in chunk} | {o for ids in co.values() for o in ids}
        missing = wanted - names.keys()
        if missing:
            names.update(Organization.objects.filter(pk__in=missing).values_list("pk", "name"))
        for r in chunk:
            row = Row(r[0], problems.get(r[1], ""), r[2], names.get(r[3], ""), *r[4:])
            yield row, [names.get(o, "") for o in co.get(r[0], [])]
        last = chunk[-1][0]


class Words:
    """The ledger's words, translated once per export (not once per row)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.kinds = {v: str(label) for v, label in FixKind.choices}
        self.states = {v: str(label) for v, label in FixState.choices}
        self.closed_on = _("closed out on %(day)s")
        self.until = _(" (until %(day)s)")
        self.overdue = _("overdue")
        self.round = _("rework round %(n)d")
        self.joined = _("; ")
        self.none = _("Not evaluated")
        self.few = _("%(n)d evaluations (fewer than %(k)d: not broken down)")
        self.verdicts = _("satisfied %(a)d / basically satisfied %(b)d / unsatisfied %(c)d")
        self.with_orgs = _(" (with %(orgs)s)")
        self.comma = _("、")

    def deadline(self, f: Row) -> str:
        kind = self.kinds[f.kind]
        return f"{f.deadline.isoformat()}（{kind}）" if f.deadline else kind

    def state(self, f: Row) -> str:
        """完成情况: the state in words, with the day closed out, overdue, the round."""
        if f.state == FixState.CLOSED and f.closed_on:
            words = self.closed_on % {"day": f.closed_on.isoformat()}
        else:
            words = self.states[f.state]
            if f.state == FixState.EXTENSION_REQUESTED and f.extension_until:
                words += self.until % {"day": f.extension_until.isoformat()}
        if not f.overdue and f.round == 1:
            return words
        parts = [words]
        if f.overdue:
            parts.append(self.overdue)
        if f.round > 1:
            parts.append(self.round % {"n": f.round})
        return self.joined.join(parts)

    def evaluation(self, f: Row) -> str:
        """群众评价 of the present round: broken down only from k evaluations on."""
        n = f.satisfied + f.basically_satisfied + f.unsatisfied
        if n == 0:
            return self.none
        if n < self.k:
            return self.few % {"n": n, "k": self.k}
        return self.verdicts % {
            "a": f.satisfied,
            "b": f.basically_satisfied,
            "c": f.unsatisfied,
        }

    def cells(self, f: Row, co: list[str]) -> list[str]:
        """The row's cells after its number."""
        org = f.org
        if co:
            org += self.with_orgs % {"orgs": self.comma.join(co)}
        return [
            f.problem,
            f.measure,
            org,
            f.responsible_person,
            self.deadline(f),
            self.state(f),
            self.evaluation(f),
        ]


def headers() -> list[str]:
    return [
        _("Serial number"),
        _("Problem description"),
        _("Rectification measures"),
        _("Responsible organization"),
        _("Responsible person"),
        _("Time limit for the fix"),
        _("State of completion"),
        _("The public's evaluation"),
    ]


def write_workbook(
    rows: Iterator[tuple[Row, list[str]]], path: Any, title: str, counter: Any = None
) -> int:
    import xlsxwriter  # only exports need it

    part = f"{path}.part"
    count = 0
    words = Words(evaluation_k())
    try:
        book = xlsxwriter.Workbook(
            part,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        bold = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter"})
        big = book.add_format({"bold": True, "font_size": 14, "align": "center"})
        wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
        sheet = book.add_worksheet(_("Rectification ledger")[:31])
        for col, width in enumerate(WIDTHS):
            sheet.set_column(col, col, width)
        sheet.merge_range(0, 0, 0, COLUMNS - 1, title, big)
        for col, head in enumerate(headers()):
            sheet.write_string(1, col, head, bold)
        sheet.freeze_panes(2, 0)
        for count, (fix, co) in enumerate(rows, start=1):
            sheet.write_number(count + 1, 0, count, wrap)
            for col, value in enumerate(words.cells(fix, co), start=1):
                sheet.write_string(count + 1, col, value, wrap)
            if counter is not None and count % CHUNK == 0:
                counter(count)
        book.close()
        os.replace(part, path)
    except BaseException:
        if os.path.exists(part):
            os.unlink(part)
        raise
    return count


def title_of(org: Organization, day: Any) -> str:
    return _("%(org)s rectification ledger (as of %(day)s)") % {
        "org": org.name,
        "day": day.isoformat(),
    }


def run_ledger_export(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    user = job.actor
    org = Organization.objects.filter(pk=job.params.get("org")).first()
    if user is None or not user.is_active or org is None or not can(user, RECTIFICATION_VIEW, org):
        raise ApplicationError(_("You may no longer view this ledger."), code="forbidden")
    filters = clean_filters(job.params.get("filters") or {})
    qs = ledger_fixes(user, org, filters)
    # fixes recorded after the job started are left for the next export
    newest = qs.order_by("-pk").values_list("pk", flat=True).first() or 0
    qs = qs.filter(pk__lte=newest)
    total = qs.count()
    progress(0, total, phase="writing")
    today = timezone.localdate()
    count = write_workbook(
        _fixes(qs),
        jobs.folder(job) / FILENAME,
        title_of(org, today),
        lambda done: progress(done, total),
    )
    audit_record(
        actor=user,
        action=JOB_KIND,
        org=org,
        target=org,
        after={"count": count, "format": "xlsx", "filters": filters},
    )
    stamp = today.strftime("%Y%m%d")
    return {
        "count": count,
        "files": [
            {
                "name": FILENAME,
                "label": "Excel (.xlsx)",
                "filename": f"{org.name}{_('Rectification ledger')}-{stamp}.xlsx",
            }
        ],
    }
