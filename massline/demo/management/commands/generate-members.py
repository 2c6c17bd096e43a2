import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.demo.members import generate_members


class Command(BaseCommand):
    help = (
        "Generate deterministic party members over the branches: into the database, or with "
        "--output into a CSV roster in the import template."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="how many members")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--province", default=None, help="2-digit province code; default all")
        parser.add_argument(
            "--output", type=Path, default=None, help="write a .csv roster instead of the database"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress line")

    def handle(self, *args, count, seed, province, output, no_progress, **options):
        err = sys.stderr
        show = not no_progress and options.get("verbosity", 1) > 0

        def progress(done: int, total: int) -> None:
            err.write("\r" + _("%(done)d of %(total)d members") % {"done": done, "total": total})
            err.flush()

        try:
            result = generate_members(
                actor=None,
                count=count,
                seed=seed,
                province=province,
                output=output,
                progress=progress if show else None,
            )
        except ApplicationError as exc:
            if show:
                err.write("\n")
            raise CommandError(exc.message) from exc
        if show:
            err.write("\n")
        values = {
            "count": result.created,
            "branches": result.branches,
            "seconds": result.seconds,
            "rate": result.rows_per_s,
        }
        if result.output is not None:
            values["file"] = result.output
            message = _(
                "%(count)d members in %(branches)d branches written in %(seconds).1f s "
                "(%(rate).0f rows/s) to %(file)s."
            )
        else:
            message = _(
                "%(count)d members generated in %(branches)d branches in %(seconds).1f s "
                "(%(rate).0f rows/s)."
            )
        self.stdout.write(message % values)
