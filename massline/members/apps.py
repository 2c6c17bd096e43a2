from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "massline.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from massline.access.policy import register_scoped_model
        from massline.core import jobs
        from massline.core.audit import register_actions
        from massline.orgs.services import register_path_copy

        from . import counters, export
        from .models import Member

        counters.register()
        register_path_copy("members_member", "org_path")
        register_scoped_model(Member, path_field="org_path", org_field="org_id")
        register_actions(
            {
                "members.create": _("entered a member in the roster"),
                "members.status": _("changed a member's status"),
                "members.mobility": _("changed a member's mobility"),
                "members.lost": _("marked a member as lost contact"),
                "members.found": _("marked a member as found again"),
                "members.reveal": _("viewed a member's full ID and phone numbers"),
                "members.generate": _("generated members"),
                "members.export": _("exported the member roster"),
            }
        )
        jobs.register(
            export.JOB_KIND,
            export.run_export_job,
            label=_("Member roster export"),
            phases={"writing": _("writing the file")},
        )
