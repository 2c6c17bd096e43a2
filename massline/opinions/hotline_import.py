"""The import of a hotline or petition spreadsheet (12345 热线、信访 records) into the
opinions of an organization (decision 0021, "Hotline and petition import").

The file (`.xlsx`, or CSV in UTF-8 with or without a BOM or GB18030) is opened by the roster
import's reader (`roster_import.reading.open_roster`: calamine, the encoding told by the
bytes). Its columns are found by their Chinese headers (or English aliases), in any order;
other columns are ignored. Every row is checked, and a dry run answers a report: each bad
row with its row number, column and reason, and the counts. Writing needs the token of a
dry run of the same file by the same person for the same organization, and a file without a
bad row; then every row goes in, in one transaction, or none does (`hotline_import`)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from massline.core import crypto
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError
from massline.core.normalize import clean_cell, parse_date
from massline.members.roster_import.reading import encoding_problem, open_roster
from massline.members.roster_import.report import Problem, file_error
from massline.orgs import counters as org_counters
from massline.orgs.models import Organization

from . import counters, similar
from .intake_services import categories_for, check_enter, clean_text, identity, open_campaign_id
from .models import Channel, Opinion, OpinionCategory, Receipt, SubmitterCategory, Urgency
from .receipts import code_hash, new_code

if TYPE_CHECKING:
    from massline.accounts.models import User

#: At most this many data rows in one file, and this many bytes.
MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
MAX_TICKET = 64
#: Problems kept in a report; the rest are counted.
REPORT_LIMIT = 1000

#: What each column is called in a file: its Chinese headers first, then English aliases.
COLUMNS: dict[str, tuple[str, ...]] = {
    "received_on": ("受理日期", "日期", "received on", "date"),
    "text": ("诉求内容", "内容", "text", "content"),
    "source": ("来源", "source"),
    "name": ("姓名", "name"),
    "contact": ("联系电话", "联系方式", "phone", "contact"),
    "submitter_category": ("人员类别", "submitter", "submitter category"),
    "category": ("分类", "category"),
    "urgency": ("紧急程度", "urgency"),
    "ticket": ("工单编号", "ticket", "ticket number"),
    "org": ("受理单位", "organization", "org"),
}
REQUIRED = ("received_on", "text")
#: The headers of the downloadable template, in its order.
TEMPLATE_HEADERS = tuple(names[0] for names in COLUMNS.values())
#: What the 来源 column may say (stored nowhere: both are the hotline channel).
SOURCES = {"热线", "12345", "12345热线", "信访", "hotline", "petition"}
_URGENCY_WORDS = {"紧急": Urgency.URGENT, "一般": Urgency.GENERAL, "复杂": Urgency.COMPLEX}


@dataclass
class HotlineReport:
    """What a dry run (or an import) found: the counts and every bad row."""

    dry_run: bool
    file_name: str = ""
    rows: int = 0  # data rows, blank ones left out
    added: int = 0  # rows that would be (or were) added
    refused: int = 0  # rows with at least one problem
    duplicates: int = 0  # rows whose ticket is already imported or repeated in the file
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    token: str = ""
    applied: bool = False

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < REPORT_LIMIT:
            self.problems.append(problem)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "file_name": self.file_name,
            "rows": self.rows,
            "added": self.added,
            "refused": self.refused,
            "duplicates": self.duplicates,
            "problem_count": self.problem_count,
            "problems": [p.as_dict() for p in self.problems],
            "token": self.token,
            "applied": self.applied,
        }


@dataclass
class _Row:
    number: int
    org: Organization
    values: dict[str, Any]
    ticket: str


def _label_map(choices: Any) -> dict[str, str]:
    """Code, English label and Chinese label (any case) → code."""
    found: dict[str, str] = {}
    for value, label in choices.choices:
        found[str(value).lower()] = value
        found[str(label).lower()] = value
        with translation.override("en"):
            found[str(label).lower()] = value
        with translation.override("zh-hans"):
            found[str(label).lower()] = value
    return found


def _header_map(header: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Each known column's place in the file and the header the file gives it."""
    wanted = {alias.lower(): key for key, names in COLUMNS.items() for alias in names}
    places: dict[str, int] = {}
    shown: dict[str, str] = {}
    for i, cell in enumerate(header):
        text = clean_cell(cell).lstrip("\ufeff")
        key = wanted.get(text.lower())
        if key is None:
            continue
        if key in places:
            raise file_error(
                _("The columns %(first)s and %(second)s both give %(what)s: keep one of them.")
                % {"first": shown[key], "second": text, "what": COLUMNS[key][0]},
                "bad_header",
            )
        places[key] = i
        shown[key] = text
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in places]
    if missing:
        raise file_error(
            _(
                "The first row must name the columns; missing: %(columns)s. Download the "
                "template to see them."
            )
            % {"columns": "、".join(missing)},
            "bad_header",
        )
    return places, shown


def _file_rows(path: Path, name: str, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    """The header (row 1), then the data rows with their numbers as the spreadsheet counts."""
    roster = open_roster(path, file_name=name, encoding=encoding)
    try:
        yield 1, list(roster.header)
        if roster.tasks is None:
            yield from roster.rows
            return
        for task in roster.tasks:
            _kind, _block, base, data, body, file_name, declared = task
            try:
                text = data.decode(body)
            except UnicodeDecodeError as exc:
                row = base + 1 + data.count(b"\n", 0, exc.start)
                shown = "utf-8-sig" if body == "utf-8" else body
                message, code = encoding_problem(file_name, row, shown, declared)
                raise file_error(message, code) from None
            for i, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
                yield base + i, cells
    except csv.Error as exc:
        raise file_error(
            _("%(name)s cannot be read as CSV: %(reason)s") % {"name": name, "reason": exc}
        ) from None
    finally:
        roster.close()


class _Checker:
    """Checks the rows of one file for one importing organization."""

    def __init__(self, org: Organization, report: HotlineReport, shown: dict[str, str]) -> None:
        self.org = org
        self.report = report
        self.shown = shown
        self.today = timezone.localdate()
        self.submitters = _label_map(SubmitterCategory)
        self.urgencies = {**_label_map(Urgency), **_URGENCY_WORDS}
        self.categories: dict[int, dict[str, OpinionCategory]] = {}
        self.orgs: dict[str, list[Organization]] = {}
        self.tickets: dict[str, int] = {}
        self.bad_rows: set[int] = set()
        self.known_names: dict[str, bool] = {}  # a name outside the subtree: known anywhere?

    def problem(self, row: int, key: str, value: Any, message: str) -> None:
        shown = clean_cell(value) if key not in ("name", "contact") else ""
        if len(shown) > 40:
            shown = shown[:40] + "…"
        self.bad_rows.add(row)
        self.report.add(Problem(row, self.shown.get(key, COLUMNS[key][0]), shown, message))

    def load_orgs(self, names: set[str]) -> None:
        """The organizations of the importing organization's subtree the file names."""
        found = Organization.objects.filter(self.org.subtree_q(), name__in=names)
        for org in found:
            self.orgs.setdefault(org.name, []).append(org)

    def category_of(self, org: Organization, text: str) -> OpinionCategory | None:
        known = self.categories.get(org.pk)
        if known is None:
            known = {}
            for category in reversed(categories_for(org)):  # the first of equal titles wins
                known[category.code.lower()] = category
                known[category.title.lower()] = category
            self.categories[org.pk] = known
        return known.get(text.lower())

    def exists_elsewhere(self, name: str) -> bool:
        """Whether an organization outside the subtree has this name (asked once a name)."""
        if name not in self.known_names:
            self.known_names[name] = Organization.objects.filter(name=name).exists()
        return self.known_names[name]

    def target_org(self, number: int, cell: Any) -> Organization | None:
        text = clean_cell(cell)
        if not text or text == self.org.name:
            return self.org
        here = self.orgs.get(text, [])
        if len(here) == 1:
            return here[0]
        if here:
            self.problem(
                number,
                "org",
                cell,
                _("Several organizations under %(org)s are named %(name)s; import them apart.")
                % {"org": self.org.name, "name": text},
            )
        elif self.exists_elsewhere(text):
            self.problem(
                number,
                "org",
                cell,
                _("%(name)s is not under %(org)s: import its records there.")
                % {"name": text, "org": self.org.name},
            )
        else:
            self.problem(
                number, "org", cell, _("There is no organization named %(name)s.") % {"name": text}
            )
        return None

    def check(self, number: int, cells: dict[str, Any]) -> _Row | None:
        values: dict[str, Any] = {}
        raw_day = cells.get("received_on")
        try:
            day = parse_date(raw_day)
        except ValueError as exc:
            self.problem(number, "received_on", raw_day, str(exc))
        else:
            if day > self.today:
                self.problem(
                    number,
                    "received_on",
                    raw_day,
                    _("The day %(day)s is in the future.") % {"day": day},
                )
            values["received_on"] = day
        raw_text = cells.get("text")
        text = raw_text if isinstance(raw_text, str) else clean_cell(raw_text)
        if not text.strip():
            self.problem(number, "text", "", _("The content is empty."))
        else:
            try:
                values["text"] = clean_text(text)
            except ApplicationError as exc:
                self.problem(number, "text", text, exc.message)
        source = clean_cell(cells.get("source")).lower()
        if source and source not in SOURCES:
            self.problem(
                number,
                "source",
                source,
                _("The source is 热线 (hotline) or 信访 (petition), not %(value)s.")
                % {"value": source},
            )
        values["submitter_category"] = self.choice(
            number,
            "submitter_category",
            cells.get("submitter_category"),
            self.submitters,
            SubmitterCategory.PUBLIC,
        )
        values["urgency"] = self.choice(
            number, "urgency", cells.get("urgency"), self.urgencies, Urgency.GENERAL
        )
        org = self.target_org(number, cells.get("org"))
        values["category"] = None
        raw_category = clean_cell(cells.get("category"))
        if org is not None and raw_category:
            values["category"] = self.category_of(org, raw_category)
            if values["category"] is None:
                self.problem(
                    number,
                    "category",
                    raw_category,
                    _("%(value)s is not a category of opinions to %(org)s.")
                    % {"value": raw_category, "org": org.name},
                )
        values.update(self.person(number, cells))
        ticket = self.ticket(number, cells.get("ticket"))
        if number in self.bad_rows or org is None:
            return None
        return _Row(number, org, values, ticket)

    def choice(self, number: int, key: str, cell: Any, known: dict[str, str], default: str) -> str:
        """A code from a label (or code) in the file; `default` for an empty cell."""
        text = clean_cell(cell)
        value = known.get(text.lower()) if text else default
        if value is None:
            kind = SubmitterCategory if key == "submitter_category" else Urgency
            self.problem(
                number,
                key,
                text,
                _("%(value)s is not one of: %(labels)s.")
                % {"value": text, "labels": "、".join(str(label) for label in kind.labels)},
            )
        return value or default

    def person(self, number: int, cells: dict[str, Any]) -> dict[str, Any]:
        name = clean_cell(cells.get("name"))
        contact = clean_cell(cells.get("contact"))
        if not name and not contact:
            return {"anonymous": True}
        if not contact:
            self.problem(
                number,
                "contact",
                "",
                _("A name is given without a phone number: give both, or neither."),
            )
            return {}
        try:
            found = identity(False, name, contact)
        except ApplicationError as exc:
            self.problem(number, "name" if exc.field == "name" else "contact", "", exc.message)
            return {}
        return {"anonymous": False, **found}

    def ticket(self, number: int, cell: Any) -> str:
        ticket = clean_cell(cell)
        if not ticket:
            return ""
        if len(ticket) > MAX_TICKET:
            self.problem(
                number,
                "ticket",
                ticket,
                _("The ticket number is longer than %(max)d characters.") % {"max": MAX_TICKET},
            )
            return ""
        first = self.tickets.get(ticket)
        if first is not None:
            self.report.duplicates += 1
            self.problem(
                number,
                "ticket",
                ticket,
                _("The same ticket number is already in row %(row)s of this file.")
                % {"row": first},
            )
            return ""
        self.tickets[ticket] = number
        return ticket

    def imported_before(self) -> None:
        """Tickets already imported into the importing organization's subtree."""
        if not self.tickets:
            return
        found = set(
            Opinion.objects.filter(
                self.org.subtree_q("org_path"), source_ref__in=list(self.tickets)
            ).values_list("source_ref", flat=True)
        )
        for ticket in sorted(found, key=self.tickets.__getitem__):
            self.report.duplicates += 1
            self.problem(
                self.tickets[ticket],
                "ticket",
                ticket,
                _("The ticket %(ticket)s was imported before.") % {"ticket": ticket},
            )


def file_token(*, actor: User, org: Organization, digest: str) -> str:
    """The token of a dry run: only the server can make it, and only for this person, this
    organization and this file's bytes."""
    return crypto.lookup_hash(f"hotline-import:{actor.pk}:{org.pk}:{digest}")[:32]


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def too_large(name: str, size: int) -> ApplicationError:
    return file_error(
        _("%(name)s is more than %(max)d MB; at most %(max)d MB can be imported at once. Split it.")
        % {"name": name, "max": MAX_BYTES // (1024 * 1024)},
        "too_large",
    )


def _check_file(
    org: Organization, path: Path, name: str, encoding: str, report: HotlineReport
) -> list[_Row]:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise too_large(name, size)
    rows = _file_rows(path, name, encoding)
    _one, header = next(rows)
    places, shown = _header_map([clean_cell(h) for h in header])
    records: list[tuple[int, dict[str, Any]]] = []
    for number, cells in rows:
        if not any(clean_cell(c) for c in cells):
            continue
        records.append((number, {k: cells[i] if i < len(cells) else "" for k, i in places.items()}))
        if len(records) > MAX_ROWS:
            raise file_error(
                _("%(name)s has more than %(max)d rows; split it into smaller files.")
                % {"name": name, "max": MAX_ROWS},
                "too_many_rows",
            )
    if not records:
        raise file_error(_("%(name)s has no rows.") % {"name": name}, "empty_file")
    checker = _Checker(org, report, shown)
    names = {clean_cell(cells.get("org")) for _n, cells in records} - {""}
    if names:
        checker.load_orgs(names)
    good = [row for number, cells in records if (row := checker.check(number, cells))]
    checker.imported_before()
    good = [row for row in good if row.number not in checker.bad_rows]
    report.rows = len(records)
    report.added = len(good)
    report.refused = len(checker.bad_rows)
    report.problems.sort(key=lambda p: p.row or 0)
    return good


def _write(actor: User, good: list[_Row]) -> list[Opinion]:
    campaigns: dict[tuple[int, dt.date], int | None] = {}
    opinions = []
    for row in good:
        values = dict(row.values)
        day = values.pop("received_on")
        key = (row.org.pk, day)
        if key not in campaigns:
            campaigns[key] = open_campaign_id(row.org, day)
        opinions.append(
            Opinion(
                org=row.org,
                org_path=row.org.path,
                campaign_id=campaigns[key],
                channel=Channel.HOTLINE,
                text_folded=similar.fold(values["text"]),
                received_on=day,
                entered_by=actor if getattr(actor, "pk", None) else None,
                source_ref=row.ticket,
                **values,
            )
        )
    created = Opinion.objects.bulk_create(opinions, batch_size=1000)
    # every opinion has one receipt from its creation (`follow.followers` counts the others);
    # an imported one's code is shown to nobody: its submitter follows the hotline's ticket
    Receipt.objects.bulk_create(
        [Receipt(code_hash=code_hash(new_code()), opinion=o) for o in created], batch_size=1000
    )
    deltas: dict[str, dict[str, int]] = {}
    for opinion in created:
        into = deltas.setdefault(opinion.org_path, {})
        for code, n in counters.counts(opinion).items():
            into[code] = into.get(code, 0) + n
    org_counters.bump_many(deltas)
    return created


@transaction.atomic
def hotline_import(
    *,
    actor: User,
    org: Organization,
    path: Path,
    file_name: str = "",
    encoding: str = "auto",
    dry_run: bool = True,
    token: str = "",
) -> HotlineReport:
    """Check (`dry_run`) or import a hotline or petition file into `org` and its subtree
    (opinions.enter at `org`). A dry run writes nothing and answers the report with a token;
    an import needs that token (the same file, person and organization) and a file without a
    bad row, and writes every row or none."""
    check_enter(actor, org)
    name = file_name or path.name
    report = HotlineReport(dry_run=dry_run, file_name=name)
    expected = file_token(actor=actor, org=org, digest=_digest(path))
    if not dry_run:
        if token != expected:
            raise ApplicationError(
                _("Check this file with a dry run first, then import it."),
                field="token",
                code="no_dry_run",
            )
        # one import at a time into an organization: the ticket check holds until commit
        Organization.objects.select_for_update().filter(pk=org.pk).first()
    good = _check_file(org, path, name, encoding, report)
    report.token = expected
    if dry_run:
        return report
    if not report.ok:
        raise ApplicationError(
            _(
                "%(n)d rows of the file have problems; nothing was imported. Correct them and "
                "check the file again."
            )
            % {"n": report.refused},
            code="bad_rows",
            extra={"report": report.as_dict()},
        )
    _write(actor, good)
    report.applied = True
    audit_record(
        actor=actor,
        action="opinions.import",
        org=org,
        target=org,
        after={"file": name, "added": report.added, "rows": report.rows},
    )
    return report
