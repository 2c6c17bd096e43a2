"""The roster import (党员花名册导入) from start to end: a CSV or Excel file in the template of
`massline.members.template`, validated in full, then written at once or not at all.

1. **Reading** (`reading`) streams the file in blocks of whole records, or rows of a workbook.
2. **Checking each row** in worker processes (`workers`, `checking`): a block of rows at once
   as columns (`columns`), the rows it does not accept one by one (`rows.check_row`), which
   accepts what it can and explains the rest; the workers also encrypt the ID and phone
   numbers and hash them.
3. **Staging** (`intake`, `staging`): the checked rows go into a staging table through the
   database's bulk path while the workers check the rows after them.
4. **Checking the file as a whole** (`file_checks`): set-based SQL on the staging table.
5. **Applying** (`apply`), only when nothing was wrong and this is not a dry run.

PostgreSQL runs all of it in one transaction; on SQLite only the writing holds the write lock."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from massline.access import policy
from massline.core.db import is_postgres
from massline.members.models import Member
from massline.orgs.models import Organization

from . import file_checks
from .apply import Rollback, changed_meanwhile, first_load, load_first, write
from .context import Context
from .intake import Progress, stage_rows
from .reading import check_header, open_roster
from .report import ImportReport
from .staging import attach_stage, create_stage, drop_stage

if TYPE_CHECKING:
    from massline.accounts.models import User


def scope_orgs(actor: User | None) -> dict[str, tuple[int, str, str]]:
    """The organizations the importer may put members in, by code. No actor: an operator
    at the command line, with the whole tree."""
    qs = Organization.objects.all()
    if actor is not None:
        qs = policy.scoped(qs, actor, "members.manage")
    return {
        code: (pk, path, kind)
        for code, pk, path, kind in qs.values_list("code", "pk", "path", "kind")
    }


def import_roster(
    path: Path,
    *,
    actor: User | None,
    dry_run: bool,
    file_name: str = "",
    encoding: str = "auto",
    progress: Progress | None = None,
    workers: int | None = None,
    job_id: int | None = None,
) -> ImportReport:
    """Check a roster file and, unless `dry_run` or something is wrong, write it in one
    transaction. File-level problems raise ApplicationError; row problems are in the
    report (and then nothing is written)."""
    started = time.perf_counter()
    name = file_name or path.name
    report = ImportReport(dry_run=dry_run, file_name=name)
    roster = open_roster(path, file_name=name, encoding=encoding)
    report.sheets = roster.sheet_names
    try:
        ctx = Context(
            orgs=scope_orgs(actor),
            today=timezone.localdate(),
            postgres=is_postgres(),
            field_key=settings.FIELD_ENCRYPTION_KEY,
            columns=check_header(roster.header),
        )
        # PostgreSQL: everything in one transaction. SQLite: the staging table is a temporary
        # one, which takes no lock on the database, so the rows are read and checked outside
        # the transaction and only the writing holds SQLite's one write lock (seconds, not the
        # minutes of reading a province); the unique index still refuses a person entered by
        # someone else meanwhile, failing the whole import.
        staging = transaction.atomic() if ctx.postgres else contextlib.nullcontext()
        try:
            with staging:
                # A first load (PostgreSQL, an empty roster): straight into the member table.
                first = first_load() if ctx.postgres and not dry_run else None
                if first is not None:
                    ctx.target = "member"
                    gathered = stage_rows(roster, ctx, report, progress, workers)
                    report.mark("reading")
                    if progress is not None:
                        progress(report.rows, report.rows, phase="writing")
                    load_first(first, report, actor, ctx, job_id, gathered)
                else:
                    create_stage(ctx)
                    gathered = stage_rows(roster, ctx, report, progress, workers)
                    if not ctx.postgres:
                        attach_stage(ctx)
                    report.mark("reading")
                    if progress is not None:
                        progress(report.rows, report.rows, phase="checking")
                    # (an empty roster has nobody to compare the rows with)
                    empty = not Member.objects.exists()
                    file_checks.check_staged(report, ctx, gathered.may_repeat, empty)
                    file_checks.summarize(report, empty, file_checks.compared(ctx))
                    report.mark("checking")
                    write(report, actor, ctx, job_id, dry_run, progress, gathered, empty)
                report.applied = True
            report.mark("writing")
        except Rollback:
            pass
        except IntegrityError as exc:
            raise changed_meanwhile() from exc
        finally:
            # PostgreSQL drops it at commit, but not when this runs inside a caller's
            # transaction (which a second import in it would find)
            drop_stage(ctx)
    finally:
        roster.close()
    if report.applied and is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE members_member")
        report.mark("statistics")
    report.seconds = time.perf_counter() - started
    return report
