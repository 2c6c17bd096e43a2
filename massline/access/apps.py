from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "massline.access"
    label = "access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from massline.core import jobs
        from massline.core.audit import register_actions, register_field_labels

        from .auditlog import export

        register_actions(
            {
                export.JOB_KIND: _("exported the audit log"),
                "access.assign": _("assigned a role"),
                "access.password_reset": _("reset a user's password"),
                "access.unlock": _("unlocked a user's account"),
                "access.end": _("ended a role assignment"),
                "access.role_builtin": _("created or restored a built-in role"),
            }
        )
        register_field_labels({"locked": _("was locked")})
        jobs.register(
            export.JOB_KIND,
            export.run_audit_export,
            label=_("Audit log export"),
            phases={"writing": _("writing the file")},
            idempotent=True,
        )
