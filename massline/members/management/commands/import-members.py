from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from massline.accounts.models import User
from massline.core.errors import ApplicationError
from massline.members.roster_import import ENCODINGS, import_roster, write_report_csv

SHOWN = 50
BAR = 30


class Command(BaseCommand):
    help = (
        "Import a member roster (.csv or .xlsx in the template): checks the whole file, then "
        "writes it at once, or nothing if any row is wrong. Exit status 1 when the file or a "
        "row is wrong. For a very large roster use CSV: a workbook is read a whole sheet at a "
        "time (a sheet of a million rows takes about 1.6 GiB)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--encoding", choices=ENCODINGS, default="auto")
        parser.add_argument(
            "--as",
            dest="username",
            default=None,
            help="import within this user's scope (default: the whole tree, as an operator)",
        )
        parser.add_argument(
            "--report", type=Path, default=None, help="write every problem here (CSV)"
        )
        parser.add_argument("--workers", type=int, default=None, help="checking processes")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(
        self, *args, file, dry_run, encoding, username, report, workers, no_progress, **options
    ):
        err = self.stderr
        show = not no_progress and options.get("verbosity", 1) > 0
        if not file.is_file():
            raise CommandError(_("There is no file %(file)s.") % {"file": file})
        actor = None
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(_("There is no active user %(name)s.") % {"name": username})
        phases = {"reading": _("reading"), "checking": _("checking"), "writing": _("writing")}

        def progress(done: int, total: int | None = None, *, phase: str | None = None) -> None:
            share = min(1.0, done / total) if total else 0.0
            filled = int(share * BAR)
            label = phases.get(phase or "", phase or "")
            err.write(
                f"\r{label:<10} [{'#' * filled}{'.' * (BAR - filled)}] {share:4.0%}", ending=""
            )
            err.flush()

        try:
            result = import_roster(
                file,
                actor=actor,
                dry_run=dry_run,
                encoding=encoding,
                progress=progress if show else None,
                workers=workers,
            )
        except ApplicationError as exc:
            if show:
                err.write("")
            raise CommandError(exc.message) from exc
        if show:
            err.write("")
        for p in result.problems[:SHOWN]:
            where = _("row %(row)s") % {"row": p.row} if p.row else _("file")
            column = f" {p.column}" if p.column else ""
            value = f" «{p.value}»" if p.value else ""
            self.stdout.write(f"{where}{column}{value}: {p.message}")
        if result.problem_count > SHOWN:
            self.stdout.write(_("… and %(n)d more problems.") % {"n": result.problem_count - SHOWN})
        if report is not None and result.problems:
            write_report_csv(result, report)
            self.stdout.write(_("Every problem is listed in %(file)s.") % {"file": report})
        values = {
            "rows": result.rows - result.blank_rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "blank": result.blank_rows,
            "problems": result.problem_count,
            "seconds": result.seconds,
        }
        if not result.ok:
            raise CommandError(
                _(
                    "%(problems)d problems in %(rows)d rows: nothing was written. Correct the "
                    "file and import it again."
                )
                % values
            )
        if dry_run:
            message = _(
                "Dry run: %(rows)d rows checked, no problems. Importing would add %(created)d "
                "members, change %(updated)d and leave %(unchanged)d as they are "
                "(%(blank)d blank rows skipped; %(seconds).1f s)."
            )
        else:
            message = _(
                "Imported %(rows)d rows: %(created)d members added, %(updated)d changed, "
                "%(unchanged)d unchanged (%(blank)d blank rows skipped; %(seconds).1f s)."
            )
        self.stdout.write(message % values)
        if options["verbosity"] >= 2:
            self.stdout.write(
                _("Seconds by phase: %(phases)s")
                % {"phases": ", ".join(f"{k} {v:.1f}" for k, v in result.phases.items())}
            )
