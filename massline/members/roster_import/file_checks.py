"""The checks that need the whole file or the roster, in set-based SQL over the staged rows:
the same ID number twice in the file (asked only when two rows' repeat keys are equal), and
people already in the roster at another organization (a transfer moves members, not an
import; a member outside the importer's scope is not named). And what writing would do:
how many rows are new, changed and unchanged."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from massline.core.db import is_postgres

from .context import Context
from .report import ImportReport, Problem
from .rows import C_ID, H
from .staging import STAGE

# The details an import sets; a member whose stored details equal these is unchanged.
COMPARED = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "phone_hash",
    "education",
    "category",
    "join_date",
    "full_date",
    "status",
    "mobility",
    "mobility_place",
    "lost_contact",
)
#: What only a file with the template's optional columns sets: a file without them leaves
#: members' party groups and positions as they are.
OPTIONAL_COMPARED = ("party_group", "position")


def compared(ctx: Context) -> tuple[str, ...]:
    """The details this import sets: COMPARED, and the optional ones if the file has them."""
    return COMPARED + (OPTIONAL_COMPARED if ctx.columns == len(H) else ())


def duplicates(report: ImportReport, table: str, row: str) -> list[Problem]:
    """The same ID number in more than one row of `table` (the staging table, or the member
    table of a first load, whose ids are the row numbers): a problem for each row after the
    first."""
    pg = is_postgres()
    agg = f"string_agg({row}::text, ',' ORDER BY {row})" if pg else f"group_concat({row}, ',')"
    found: list[Problem] = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {agg}, min(id_masked) FROM {table} GROUP BY id_number_hash HAVING count(*) > 1"
        )
        for rows_text, masked in cursor.fetchall():
            rows = sorted(int(r) for r in rows_text.split(","))
            found += [
                Problem(
                    later,
                    H[C_ID],
                    masked,
                    _("The same ID number is already in row %(row)s of this file.")
                    % {"row": report.where(rows[0])},
                )
                for later in rows[1:]
            ]
    return found


def report_found(report: ImportReport, found: list[Problem]) -> None:
    """Add problems found in the whole file, and put the report in row order."""
    for p in sorted(found, key=lambda p: p.row or 0):
        report.add(p)
    report.problems.sort(key=lambda p: p.row or 0)


def check_staged(report: ImportReport, ctx: Context, may_repeat: bool, empty: bool) -> None:
    """The checks that need the whole file or the roster: repeated ID numbers, and members
    already in the roster elsewhere (none when the roster is `empty`)."""
    found = duplicates(report, STAGE, "row_no") if may_repeat else []
    report.mark("repeats")
    if empty:
        report_found(report, found)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.row_no, s.id_masked, m.org_id, o.name, o.path FROM {STAGE} s "
            "JOIN members_member m ON m.id_number_hash = s.id_number_hash "
            "JOIN orgs_organization o ON o.id = m.org_id "
            "WHERE m.org_id <> s.org_id"
        )
        moved = cursor.fetchall()
    visible = {pk for pk, _path, _kind in ctx.orgs.values()} if moved else set()
    for row, masked, org_id, org_name, _org_path in moved:
        if org_id in visible:
            message = _(
                "This person is already a member of %(org)s: a member moves to another "
                "organization through a transfer, not an import."
            ) % {"org": org_name}
        else:
            message = _(
                "This ID number belongs to a member of an organization outside your scope; "
                "nothing about them can be changed from here."
            )
        found.append(Problem(row, H[C_ID], masked, message))
    report_found(report, found)


def _distinct(a: str, b: str) -> str:
    return f"{a} IS DISTINCT FROM {b}" if is_postgres() else f"{a} IS NOT {b}"


def changed_condition(columns: tuple[str, ...] = COMPARED) -> str:
    return " OR ".join(_distinct(f"m.{c}", f"s.{c}") for c in columns)


def summarize(report: ImportReport, empty: bool, columns: tuple[str, ...] = COMPARED) -> None:
    """How many rows would be new, changed and unchanged: into an `empty` roster, every
    staged row is new; a member is changed when one of `columns` differs. (Should someone enter one of them before the import writes, the
    insert comes out short and the import fails: `apply`.)"""
    if empty:
        report.created, report.updated, report.unchanged = report.valid_rows, 0, 0
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(m.id), "
            f"coalesce(sum(CASE WHEN m.id IS NOT NULL AND ({changed_condition(columns)}) "
            f"THEN 1 ELSE 0 END), 0) "
            f"FROM {STAGE} s LEFT JOIN members_member m ON m.id_number_hash = s.id_number_hash"
        )
        staged, existing, changed = cursor.fetchone()
    report.created = staged - existing
    report.updated = changed
    report.unchanged = existing - changed
