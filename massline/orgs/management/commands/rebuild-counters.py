from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from massline.orgs.counters import rebuild


class Command(BaseCommand):
    help = "Recount every counter from the records; --check only reports drift."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="report drift, change nothing, exit 1 on drift"
        )

    def handle(self, *args, check, **options):
        drift = rebuild(check_only=check)
        for d in drift[:50]:
            self.stdout.write(
                _("organization %(org)d, %(metric)s: stored %(stored)s, counted %(expected)s")
                % {"org": d.org_id, "metric": d.metric, "stored": d.stored, "expected": d.expected}
            )
        if not drift:
            self.stdout.write(_("Counters match the records."))
            return
        if check:
            raise CommandError(_("%(count)d counters drifted.") % {"count": len(drift)})
        self.stdout.write(_("%(count)d counters corrected.") % {"count": len(drift)})
