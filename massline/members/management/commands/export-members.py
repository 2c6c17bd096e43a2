import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.members import roster_export
from massline.members.models import Category, Member, MemberStatus, Mobility
from massline.members.selectors import MemberFilter, filter_members
from massline.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Write the roster of an organization and everything below it to a .csv or .xlsx file "
        "in the import template. An operator's tool: full ID and phone numbers unless "
        "--masked; every run is recorded in the audit log."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="code of the organization")
        parser.add_argument(
            "--output", type=Path, required=True, help="the file to write: .csv or .xlsx"
        )
        parser.add_argument(
            "--masked", action="store_true", help="masked ID and phone numbers, not in full"
        )
        parser.add_argument("--status", choices=MemberStatus.values, default="")
        parser.add_argument("--category", choices=Category.values, default="")
        parser.add_argument("--mobility", choices=[*Mobility.values, "any"], default="")
        parser.add_argument(
            "--lost-contact", action="store_true", help="only members who lost contact"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress line")

    def handle(self, *args, org, output, masked, no_progress, **options):
        err = sys.stderr
        show = not no_progress and options.get("verbosity", 1) > 0
        organization = Organization.objects.filter(code=org).first()
        if organization is None:
            raise CommandError(
                _("There is no organization with the code %(code)s.") % {"code": org}
            )
        try:
            fmt = roster_export.format_of(output)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if not output.parent.is_dir():
            raise CommandError(
                _("The folder %(folder)s does not exist.") % {"folder": output.parent}
            )
        filters = MemberFilter(
            org=organization,
            status=options["status"],
            category=options["category"],
            mobility=options["mobility"],
            lost_contact=True if options["lost_contact"] else None,
        )
        members = filter_members(Member.objects.all(), filters)
        total = members.count()

        def progress(done: int) -> None:
            err.write("\r" + _("%(done)d of %(total)d members") % {"done": done, "total": total})
            err.flush()

        started = time.perf_counter()
        try:
            count = roster_export.write_file(
                roster_export.iter_rows(members, full_numbers=not masked),
                output,
                fmt,
                counter=progress if show else None,
            )
        finally:
            if show:
                err.write("\n")
        seconds = time.perf_counter() - started
        roster_export.record_export(
            actor=None, filters=filters, fmt=fmt, count=count, full_numbers=not masked
        )
        self.stdout.write(
            _("%(count)d members written in %(seconds).1f s (%(rate).0f rows/s) to %(file)s.")
            % {
                "count": count,
                "seconds": seconds,
                "rate": count / seconds if seconds else 0,
                "file": output,
            }
        )
