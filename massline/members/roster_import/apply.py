"""Writing a checked file, only when nothing was wrong and this is not a dry run, in one
transaction: counter changes per organization (when every row is a new member, the sums the
workers made; otherwise from one grouped query), then one UPDATE for the members whose
details changed, one INSERT for the new ones, their history and one audit row. New members'
entry in the roster is one history row per member on PostgreSQL, and one
`MemberEventRange` for them all wherever their ids are known to be the import's alone
(SQLite, which holds its write lock; a first load). Rows equal to what the roster holds
change nothing, so importing a file twice changes nothing the second time.

A **first load** (PostgreSQL, an empty roster: a province entering its members) skips the
staging table: the rows are copied straight into the member table, without its indexes and
constraints, each member's id being its row number; building the unique index afterwards is
the check for an ID number given twice (the rows are then named by their ids), and the other
indexes, counters and audit follow in the same transaction (`load_first`). On SQLite a load
into an empty roster also numbers members by their rows and builds the indexes once
afterwards."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.core.audit import audit_record
from massline.core.db import bulk_load_into_empty, is_postgres
from massline.core.errors import ApplicationError
from massline.members.models import MemberEventKind, MemberEventRange
from massline.orgs import counters as org_counters
from massline.orgs import placement

from .context import Context
from .counts import staged_changes, staged_detachments
from .file_checks import changed_condition, compared, duplicates, report_found
from .intake import Gathered, Progress
from .report import ImportReport
from .staging import MEMBERS, STAGE, STAGE_COLUMNS

if TYPE_CHECKING:
    from massline.accounts.models import User

EVENT_INSERT = (
    'INSERT INTO members_memberevent (member_id, kind, "on", detail, actor_id, created_at)'
)


class Rollback(Exception):
    """Nothing is to be written (a problem, or a dry run): the import's transaction ends."""


def changed_meanwhile() -> ApplicationError:
    return ApplicationError(
        _(
            "The roster changed while the file was being imported (someone entered "
            "one of its members meanwhile); nothing was written. Import it again."
        ),
        code="changed_meanwhile",
    )


def _apply_rows(
    report: ImportReport, actor: User | None, ctx: Context, job_id: int | None, gathered: Gathered
) -> None:
    now = timezone.now()
    today = ctx.today
    actor_id = getattr(actor, "pk", None)
    pg = is_postgres()
    detail = '{"source": "import", "job": %s}' % (job_id if job_id is not None else "null")
    json = "%s::jsonb" if pg else "%s"
    with connection.cursor() as cursor:
        # Counter changes, per organization: new members count in full (every row new: the
        # sums the workers made); a changed member counts its new flags less its old ones
        # (same organization: a move is refused).
        all_new = not report.updated and not report.unchanged
        changes = gathered.counts if all_new else staged_changes(cursor)
        changes = {p: d for p, d in changes.items() if d}
        report.mark("counting")

        # Changed members: remember who, then update them from the staging rows.
        cursor.execute("DROP TABLE IF EXISTS members_import_changed")
        temp = "CREATE TEMP TABLE members_import_changed" + (" ON COMMIT DROP" if pg else "")
        cursor.execute(
            f"{temp} AS SELECT m.id AS id, s.row_no AS row_no, m.phone_hash AS old_phone, "
            f"m.mobility AS old_mobility, m.lost_contact AS old_lost "
            f"FROM {STAGE} s JOIN members_member m ON m.id_number_hash = s.id_number_hash "
            f"WHERE {changed_condition(compared(ctx))}"
        )
        detached, moves = staged_detachments(cursor, "members_import_changed")
        for path, deltas in detached.items():
            merged = changes.setdefault(path, {})
            for code, n in deltas.items():
                merged[code] = merged.get(code, 0) + n
        if report.updated:
            sets = [f"{c} = s.{c}" for c in compared(ctx) if c != "phone_hash"]
            sets += [
                "name_folded = s.name_folded",
                "name_key = s.name_key",
                "phone_hash = s.phone_hash",
                # a new ciphertext only when the number changed
                "phone_enc = CASE WHEN m.phone_hash = s.phone_hash THEN m.phone_enc "
                "ELSE s.phone_enc END",
                "phone_masked = s.phone_masked",
                # what the template does not carry is kept while the state stays the same
                "mobility_since = CASE WHEN m.mobility = s.mobility THEN m.mobility_since END",
                "mobility_contact = CASE WHEN m.mobility = s.mobility THEN m.mobility_contact "
                "ELSE '' END",
                "attached_org_id = CASE WHEN s.mobility = 'inflow' THEN "
                "coalesce(CASE WHEN m.mobility = 'inflow' THEN m.attached_org_id END, s.org_id) END",
                "lost_since = CASE WHEN s.lost_contact THEN m.lost_since END",
                "found_on = CASE WHEN m.lost_contact AND NOT s.lost_contact THEN %s "
                "ELSE m.found_on END",
                "updated_at = %s",
            ]
            # SQLite's UPDATE … FROM does not let SET name the target's alias: qualify with
            # the table's name there.
            target = "members_member" if not pg else "m"
            set_sql = ", ".join(s.replace("m.", f"{target}.") for s in sets)
            alias = "" if not pg else " AS m"
            cursor.execute(
                f"UPDATE members_member{alias} SET {set_sql} FROM {STAGE} s "
                f"WHERE s.id_number_hash = {target}.id_number_hash "
                f"AND {target}.id IN (SELECT id FROM members_import_changed)",
                [today, now],
            )
            cursor.execute(
                f"{EVENT_INSERT} SELECT id, %s, %s, {json}, %s, %s FROM members_import_changed",
                [MemberEventKind.UPDATED, today, detail, actor_id, now],
            )

        # New members, with their entry in the roster. (Into an empty roster on PostgreSQL,
        # a first load took the other way: load_first.)
        load = None
        if report.created:
            member_cols = [c for c in STAGE_COLUMNS if c != "row_no"]
            select_cols = ", ".join(f"s.{c}" for c in member_cols)
            inflow = "CASE WHEN s.mobility = 'inflow' THEN s.org_id END"
            event = f"%s, %s, {json}, %s, %s"
            event_args = [MemberEventKind.JOINED_ROSTER, today, detail, actor_id, now]
            load = None if pg else bulk_load_into_empty([MEMBERS])
            if load is not None and load.active:
                # SQLite, an empty roster: the row numbers as ids, the indexes built after
                cursor.execute(
                    f"INSERT INTO {MEMBERS} (id, {', '.join(member_cols)}, attached_org_id, "
                    f"created_at, updated_at) SELECT s.row_no, {select_cols}, {inflow}, %s, %s "
                    f"FROM {STAGE} s",
                    [now, now],
                )
                _entered(actor, job_id, today, after=0)
            else:
                new_members = (
                    f"INSERT INTO {MEMBERS} ({', '.join(member_cols)}, attached_org_id, "
                    f"created_at, updated_at) SELECT {select_cols}, {inflow}, %s, %s "
                    f"FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM {MEMBERS} m "
                    f"WHERE m.id_number_hash = s.id_number_hash) ORDER BY s.org_path, s.row_no"
                )
                if pg:
                    cursor.execute(
                        f"WITH new AS ({new_members} RETURNING id) {EVENT_INSERT} "
                        f"SELECT id, {event} FROM new",
                        [now, now, *event_args],
                    )
                    inserted = cursor.rowcount
                else:
                    # The transaction holds SQLite's write lock: every id above the old
                    # highest is one of ours, so one history entry covers them all.
                    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {MEMBERS}")
                    before = cursor.fetchone()[0]
                    cursor.execute(new_members, [now, now])
                    inserted = cursor.rowcount
                    _entered(actor, job_id, today, after=before)
                if all_new and inserted != report.created:
                    # (SQLite checked the rows before taking the lock) someone entered one
                    # of them meanwhile: the counts made for new members would be wrong
                    raise changed_meanwhile()
        report.mark("inserting")
        if load is not None:
            load.restore()
        report.mark("indexes")
    if changes:
        org_counters.bump_many(changes)
    placement.announce(moves)
    _record(report, actor, job_id)


def write(
    report: ImportReport,
    actor: User | None,
    ctx: Context,
    job_id: int | None,
    dry_run: bool,
    progress: Progress | None,
    gathered: Gathered,
    empty: bool,
) -> None:
    """Write the staged rows, when nothing is wrong and this is not a dry run."""
    if not report.ok or dry_run:
        raise Rollback
    if progress is not None:
        progress(report.rows, report.rows, phase="writing")
    # (into an empty roster the index is built afterwards, and needs no such cache)
    big_cache = not ctx.postgres and not empty
    with _page_cache() if big_cache else contextlib.nullcontext(), transaction.atomic():
        if report.created or report.updated:
            _apply_rows(report, actor, ctx, job_id, gathered)
        else:
            _record(report, actor, job_id)  # the same file again: nothing to write


#: SQLite's page cache while an import writes into a roster that has members, in KiB: room
#: for the ID number index of a province (1.3 million entries, about 100 MB), which every
#: new member's row is inserted into at a random place; with the connection's usual cache
#: most of those inserts would read and write pages outside it.
WRITE_CACHE_KIB = 256 * 1024


@contextlib.contextmanager
def _page_cache() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (usual,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(usual)}")


def first_load() -> Any:
    """PostgreSQL, in the import's transaction: when the roster is empty (the first load of
    a province), the member table without its indexes and constraints
    (`bulk_load_into_empty`), for the rows to be copied straight in; None otherwise."""
    load = bulk_load_into_empty([MEMBERS])
    return load if load.active else None


def load_first(
    load: Any,
    report: ImportReport,
    actor: User | None,
    ctx: Context,
    job_id: int | None,
    gathered: Gathered,
) -> None:
    """The rest of a first load, its rows in the member table: the whole-file checks, then
    the indexes, history, counters and audit. Raises Rollback when anything is wrong."""
    if not report.ok:
        report_found(report, duplicates(report, MEMBERS, "id") if gathered.may_repeat else [])
        raise Rollback
    report.created = report.valid_rows
    # The unique index is built first: when it fails, the file has an ID number twice.
    try:
        with transaction.atomic():
            load.restore(MEMBERS)
    except IntegrityError:
        report_found(report, duplicates(report, MEMBERS, "id"))
        if report.ok:
            raise  # not a duplicate: the tree changed meanwhile
        raise Rollback from None
    report.mark("indexes")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{MEMBERS}', 'id'), max(id)) FROM {MEMBERS}"
        )
    org_counters.bump_many(gathered.counts)  # every row is a new member
    report.mark("counters")
    _entered(actor, job_id, ctx.today, after=0)
    _record(report, actor, job_id)
    report.mark("recording")


def _entered(actor: User | None, job_id: int | None, today: dt.date, *, after: int) -> None:
    """The new members' entry in the roster, for their history: one entry for the ids above
    `after`, which are all this import's (a first load numbers members by their rows; on
    SQLite the import holds the write lock), instead of a row per member."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {MEMBERS} WHERE id > %s", [after])
        first, last = cursor.fetchone()
    if first is None:
        return
    MemberEventRange.objects.create(
        first_id=first,
        last_id=last,
        kind=MemberEventKind.JOINED_ROSTER,
        on=today,
        detail={"source": "import", "job": job_id},
        actor=actor,
    )


def _record(report: ImportReport, actor: User | None, job_id: int | None) -> None:
    audit_record(
        actor=actor,
        action="members.import",
        target_type="members.member",
        target_id=str(job_id or ""),
        target_label=report.file_name,
        after={
            "file": report.file_name,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "job": job_id,
        },
    )
