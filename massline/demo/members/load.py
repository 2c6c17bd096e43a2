"""Writing generated members: into the database through its bulk path, or into a roster
file in the import template.

Members go to the database (PostgreSQL COPY, SQLite executemany) in batches of 50,000, with
their counters (one `bump_many` per batch, folded per organization), in one transaction. Rows
are generated as they are written: memory holds one batch. Generated members get no history
rows; one audit row records the run. With `output`, the members are written instead to a CSV
file in the roster import template, and the database is only read."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.core.audit import audit_record
from massline.core.collation import name_sort_key
from massline.core.crypto import encrypt_many, lookup_hash_many
from massline.core.db import bulk_load_into_empty, chunked, copy_rows, is_postgres
from massline.core.errors import ApplicationError
from massline.core.normalize import fold_for_search
from massline.members import counters as member_counters
from massline.members import template
from massline.members.idnumber import mask_id, mask_phone
from massline.members.models import BULK_PERSON_COLUMNS, Member
from massline.orgs import counters as org_counters

from .people import INFLOW, IdBlocks, Person, allocate, branches, people

if TYPE_CHECKING:
    from massline.accounts.models import User

BATCH_SIZE = 50_000

Progress = Callable[[int, int], None]

# -- writing ----------------------------------------------------------------------------------

COLUMNS = (
    "id",
    *BULK_PERSON_COLUMNS,
    "party_group",
    "position",
    "mobility",
    "mobility_place",
    "mobility_since",
    "mobility_contact",
    "attached_org_id",
    "lost_contact",
    "lost_since",
    "lost_notes",
    "found_on",
    "created_at",
    "updated_at",
)


@dataclass
class GenerateResult:
    created: int
    branches: int
    seconds: float
    output: Path | None = None

    @property
    def rows_per_s(self) -> float:
        return self.created / self.seconds if self.seconds > 0 else 0.0


def _next_member_id() -> int:
    next_id = (Member.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('members_member', 'id'))")
            next_id = max(next_id, cursor.fetchone()[0])
    return next_id


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during the load: the rows make no cycles, and each full
    collection would walk the whole batch in memory."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


Rows = list[tuple[object, ...]]
Changes = dict[str, dict[str, int]]


def _rows(batch: list[Person], first_id: int, now: object) -> tuple[Rows, Changes]:
    """The table rows of a batch (numbers encrypted and hashed), and its counter changes
    folded per organization."""
    numbers = [p.id_number for p in batch]
    id_enc = encrypt_many(numbers)
    id_hash = lookup_hash_many(numbers)
    phones = [p.phone for p in batch if p.phone]
    phone_enc = iter(encrypt_many(phones))
    phone_hash = iter(lookup_hash_many(phones))
    rows: Rows = []
    folded: dict[str, str] = {}
    keys: dict[str, str] = {}

    def fold(name: str) -> str:
        folded[name] = value = fold_for_search(name)
        return value

    def key(name: str) -> str:
        keys[name] = value = name_sort_key(name)
        return value

    append = rows.append
    for i, p in enumerate(batch):
        branch = p.branch
        number = numbers[i]
        has_phone = bool(p.phone)
        append(
            (
                first_id + i,
                branch.id,
                branch.path,
                p.name,
                folded.get(p.name) or fold(p.name),
                keys.get(p.name) or key(p.name),
                p.gender,
                p.ethnicity,
                p.birth_date,
                id_enc[i],
                id_hash[i],
                mask_id(number),
                number[-4:],
                next(phone_enc) if has_phone else "",
                next(phone_hash) if has_phone else "",
                mask_phone(p.phone) if has_phone else "",
                p.education,
                p.category,
                p.join_date,
                p.full_date,
                p.status,
                p.party_group,
                p.position,
                p.mobility,
                p.mobility_place,
                p.mobility_since,
                "",
                branch.id if p.mobility == INFLOW else None,
                p.lost_contact,
                p.lost_since,
                p.lost_notes,
                None,
                now,
                now,
            )
        )
    return rows, _counter_changes(batch)


def _counter_changes(batch: list[Person]) -> Changes:
    """The batch's counter changes per branch, from the metrics' declarations: each distinct
    combination of the fields they read is counted once."""
    combos = Counter((p.branch.path, p.status, p.mobility, p.lost_contact) for p in batch)
    changes: Changes = {}
    for (path, status, mobility, lost_contact), n in combos.items():
        deltas = changes.setdefault(path, {})
        figures = member_counters.counts(
            {"status": status, "mobility": mobility, "lost_contact": lost_contact}
        )
        for code, value in figures.items():
            deltas[code] = deltas.get(code, 0) + value * n
    return changes


def _prepared(
    source: Iterator[Person], first_id: int, now: object
) -> Iterator[tuple[Rows, Changes]]:
    for batch in chunked(source, BATCH_SIZE):
        yield _rows(batch, first_id, now)
        first_id += len(batch)


# A person's values in the order of the template's columns.
_template_values = attrgetter(*({"org_code": "branch.code"}.get(f, f) for f in template.FIELDS))


def _write_csv(
    source: Iterator[Person], output: Path, total: int, progress: Progress | None
) -> int:
    """The members as a roster in the import template; written to a side file and moved into
    place at the end, so a failed run leaves no half-written roster."""
    part = output.with_name(output.name + ".part")
    done = 0
    try:
        with part.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(template.HEADERS)
            for p in source:
                writer.writerow(template.cells(_template_values(p)))
                done += 1
                if progress is not None and done % BATCH_SIZE == 0:
                    progress(done, total)
        os.replace(part, output)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if progress is not None and done % BATCH_SIZE:
        progress(done, total)
    return done


def generate_members(
    *,
    actor: User | None,
    count: int,
    seed: int,
    province: str | None = None,
    output: Path | None = None,
    progress: Progress | None = None,
    favour: str = "",
    today: dt.date | None = None,
) -> GenerateResult:
    """Generate `count` members over the branches (of `province`, a 2-digit code, or all),
    into the database, or with `output` into a CSV roster in the import template.
    `progress(done, total)` is called after each batch. `favour`: a code prefix whose branches
    get members first when `count` cannot fill every branch (the demo's county)."""
    started = time.perf_counter()
    if count <= 0:
        raise ApplicationError(_("The number of members must be at least 1."), field="count")
    if province is not None and not (len(province) == 2 and province.isdigit()):
        raise ApplicationError(
            _("%(code)s is not a province code (two digits, like 15).") % {"code": province},
            field="province",
        )
    if output is not None:
        if output.suffix.lower() != ".csv":
            raise ApplicationError(
                _("The roster is written as a .csv file, not %(name)s.") % {"name": output.name},
                field="output",
            )
        if not output.parent.is_dir():
            raise ApplicationError(
                _("The folder %(folder)s does not exist.") % {"folder": output.parent},
                field="output",
            )
    today = today or timezone.localdate()
    found = branches(province)
    if not found:
        raise ApplicationError(
            _("There is no branch to put members in: run generate-orgs first."),
            code="no_branches",
        )
    sizes = allocate(found, count, random.Random(seed), favour)
    blocks = IdBlocks()
    if output is not None:
        if Member.objects.exists():
            blocks.load_roster()
        source = people(found, sizes, seed=seed, today=today, blocks=blocks)
        created = _write_csv(source, output, count, progress)
        return GenerateResult(
            created, sum(1 for s in sizes if s), time.perf_counter() - started, output
        )
    try:
        with transaction.atomic():
            if Member.objects.exists():
                blocks.load_roster()
            next_id = _next_member_id()
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            source = people(found, sizes, seed=seed, today=today, blocks=blocks)
            created = 0
            # Into an empty roster, the indexes (and on PostgreSQL the constraints) are built
            # once after the rows.
            load = bulk_load_into_empty(["members_member"])
            with _gc_paused():
                for rows, changes in _prepared(source, next_id, now):
                    copy_rows("members_member", COLUMNS, rows)
                    org_counters.bump_many(changes)
                    created += len(rows)
                    if progress is not None:
                        progress(created, count)
            load.restore()
            if is_postgres():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence('members_member', 'id'), %s)",
                        [next_id + created - 1],
                    )
            audit_record(
                actor=actor,
                action="members.generate",
                target_type="members.member",
                target_id=province or "",
                after={"seed": seed, "count": created, "province": province or ""},
            )
    except IntegrityError as exc:
        raise ApplicationError(
            _(
                "The roster or the organizations changed while the members were generated; "
                "nothing was written. Run the generator again."
            ),
            code="changed_meanwhile",
        ) from exc
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE members_member, orgs_orgcounter")
    return GenerateResult(created, sum(1 for s in sizes if s), time.perf_counter() - started)
