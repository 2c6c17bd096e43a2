from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.demo.skeleton import generate_orgs
from massline.orgs.models import Division


class Command(BaseCommand):
    help = "Generate a deterministic party-organization skeleton over a loaded province."

    def add_arguments(self, parser):
        parser.add_argument("--province", default="15", help="2-digit province code, or 'all'")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, province, seed, **options):
        if province == "all":
            provinces = sorted(
                Division.objects.filter(level=1).values_list("province_code", flat=True)
            )
        else:
            provinces = [province]
        for code in provinces:
            try:
                result = generate_orgs(actor=None, province=code, seed=seed)
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(
                _(
                    "Province %(code)s: %(planned)d organizations in the skeleton, %(created)d created."
                )
                % {"code": code, "planned": result.planned, "created": result.created}
            )
