from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.models import DataScope, Role
from massline.access.services import assignment_create
from massline.accounts.models import User
from massline.core.errors import ApplicationError
from massline.orgs.models import Organization


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(field)s: %(value)r is not a date like 2024-01-31.")
            % {"field": field, "value": value}
        ) from None


def _org(code: str, field: str) -> Organization:
    org = Organization.objects.filter(code=code.strip()).first()
    if org is None:
        raise CommandError(
            _("%(field)s: no organization has the code %(code)s.") % {"field": field, "code": code}
        )
    return org


class Command(BaseCommand):
    help = "Give a user a role at an organization, with a data scope and a period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="username")
        parser.add_argument("--org", required=True, help="organization code")
        parser.add_argument("--role", required=True, help="role code, e.g. campaign_office")
        parser.add_argument("--scope", default=DataScope.SUBTREE, choices=DataScope.values)
        parser.add_argument(
            "--from", dest="valid_from", help="first day, YYYY-MM-DD (default today)"
        )
        parser.add_argument("--to", dest="valid_to", help="last day, YYYY-MM-DD (default open)")
        parser.add_argument(
            "--custom", default="", help="organization codes of a custom scope, comma-separated"
        )

    def handle(
        self,
        *args: Any,
        user: str,
        org: str,
        role: str,
        scope: str,
        valid_from: str | None,
        valid_to: str | None,
        custom: str,
        **options: Any,
    ) -> None:
        account = User.objects.filter(username=user).first()
        if account is None:
            raise CommandError(_("--user: no user is called %(name)s.") % {"name": user})
        role_obj = Role.objects.filter(code=role).first()
        if role_obj is None:
            known = ", ".join(Role.objects.values_list("code", flat=True))
            raise CommandError(
                _("--role: no role has the code %(code)s. Known roles: %(known)s.")
                % {"code": role, "known": known}
            )
        try:
            assignment = assignment_create(
                actor=None,
                user=account,
                role=role_obj,
                org=_org(org, "--org"),
                scope=scope,
                valid_from=_date(valid_from, "--from") or timezone.localdate(),
                valid_to=_date(valid_to, "--to"),
                custom_orgs=[_org(c, "--custom") for c in custom.split(",") if c.strip()],
            )
        except ApplicationError as exc:
            field = {"valid_to": "--to", "custom_orgs": "--custom", "scope": "--scope"}.get(
                exc.field or "", exc.field or ""
            )
            message = (
                _("%(field)s: %(message)s") % {"field": field, "message": exc.message}
                if field
                else exc.message
            )
            raise CommandError(message) from exc
        self.stdout.write(_("Assigned: %(assignment)s.") % {"assignment": assignment})
