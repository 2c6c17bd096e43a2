from django.conf import settings
from django.core.management.base import BaseCommand

from massline.demo.rectification import demo_spare_codes
from massline.demo.services import DEMO_PASSWORD, demo_load, demo_roster


class Command(BaseCommand):
    help = (
        "Load the demo: Inner Mongolia's divisions, organizations and 50,000 members, and one "
        "login per level."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, seed, **options):
        logins = demo_load(actor=None, divisions_dir=settings.DIVISIONS_DIR, seed=seed)
        self.stdout.write("")
        self.stdout.write(f"massline demo logins (password: {DEMO_PASSWORD})")
        for login, org_name in logins:
            self.stdout.write(
                f"  {login.username:<11} {login.display_name:<10} {org_name} [{login.scope}]"
            )
        roster = demo_roster(settings.VAR_DIR / "demo-roster.csv", seed=seed)
        self.stdout.write(
            f"A roster to try the import with (sign in as branch, 党员 → 导入花名册): {roster}"
        )
        codes = demo_spare_codes(settings.VAR_DIR / "demo-evaluation-codes.txt")
        if codes is not None:
            self.stdout.write(
                f"Evaluation codes to try the public's evaluation with (/p/e/, each once): {codes}"
            )
