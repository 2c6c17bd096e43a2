from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "massline.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from massline.access.policy import register_scoped_model, register_two_sided_model
        from massline.core import jobs
        from massline.core.audit import register_actions, register_field_labels
        from massline.core.schedule import register_periodic
        from massline.orgs.services import register_kind_rule, register_path_copy

        from . import counters, roster_export, rules, workbench
        from .models import Member, Transfer
        from .roster_import import JOB_KIND as IMPORT_JOB_KIND
        from .roster_import import run_import
        from .transfers import counters as transfer_counters
        from .transfers import workflow
        from .transfers.services import transfers_sweep_task

        counters.register()
        transfer_counters.register()
        workbench.register()
        register_periodic(
            "members.transfers_sweep",
            "5 0 * * *",
            transfers_sweep_task,
            label=_("Transfer figures: overdue and this year"),
            description=_(
                "Marks transfers waiting longer than the set limit as overdue, and stops "
                "counting last year's finished transfers as this year's, with the counters."
            ),
        )
        jobs.register(
            IMPORT_JOB_KIND,
            run_import,
            label=_("Member roster import"),
            phases={
                "reading": _("reading and checking rows"),
                "checking": _("checking the whole file"),
                "writing": _("writing to the roster"),
            },
            interrupted=_(
                "The import stopped because the process running it ended (it was stopped or "
                "its machine restarted). Nothing was written to the roster: an import writes "
                "all its rows or none. Start the import again."
            ),
        )
        register_path_copy("members_member", "org_path")
        # An organization holding members keeps a kind that may hold them.
        register_kind_rule(
            Member,
            kinds=rules.MEMBER_ORG_KINDS,
            refusal=rules.strands_members,
            code="kind_strands_members",
        )
        register_scoped_model(Member, path_field="org_path", org_field="org_id")
        # A transfer is in view for either side: the sending and the receiving organization.
        for path_field, _org_field in workflow.SIDES.values():
            register_path_copy("members_transfer", path_field)
        register_two_sided_model(Transfer, workflow.SIDES)
        register_actions(
            {
                "members.create": _("entered a member in the roster"),
                "members.status": _("changed a member's status"),
                "members.mobility": _("changed a member's mobility"),
                "members.lost": _("marked a member as lost contact"),
                "members.found": _("marked a member as found again"),
                "members.tracing": _("changed the tracing notes of a member lost contact"),
                "members.reveal": _("viewed a member's full ID and phone numbers"),
                "members.import": _("imported a roster"),
                "members.transfer_request": _("requested a member transfer"),
                "members.transfer_send": _("approved a transfer for the sending side"),
                "members.transfer_letter": _("printed a transfer's introduction letter"),
                "members.transfer_receive": _("approved a transfer for the receiving side"),
                "members.transfer_move": _("moved a member to another organization"),
                "members.transfer_withdraw": _("withdrew a member transfer"),
                "members.transfer_send_back": _("sent a member transfer back"),
                "members.export": _("exported the member roster"),
            }
        )
        register_field_labels(
            {
                "id_number": _("ID number"),
                "phone": _("phone"),
                "full_numbers": _("full ID and phone numbers"),
                "transfer": _("transfer"),
            }
        )
        jobs.register(
            roster_export.JOB_KIND,
            roster_export.run_export_job,
            label=_("Member roster export"),
            phases={"writing": _("writing the file")},
            idempotent=True,
        )
