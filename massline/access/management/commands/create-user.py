import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from massline.accounts.services import user_create
from massline.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create a user who signs in with a password (give them a role with assign-role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--display-name", default="")
        parser.add_argument(
            "--password-env",
            default="MASSLINE_PASSWORD",
            help="environment variable holding the password (asked for when unset)",
        )

    def handle(
        self, *args: Any, username: str, display_name: str, password_env: str, **options: Any
    ) -> None:
        password = os.environ.get(password_env) or (
            getpass.getpass(_("Password: ")) if os.isatty(0) else ""
        )
        if not password:
            raise CommandError(
                _("No password: set %(var)s or run the command in a terminal.")
                % {"var": password_env}
            )
        try:
            user = user_create(
                actor=None, username=username, password=password, display_name=display_name
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(_("Created user %(name)s.") % {"name": user.username})
