from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "massline.access"
    label = "access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from massline.core.audit import register_actions

        register_actions(
            {
                "access.assign": _("assigned a role"),
                "access.end": _("ended a role assignment"),
                "access.role_builtin": _("created or restored a built-in role"),
            }
        )
