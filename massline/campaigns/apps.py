from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "massline.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from massline.access.policy import register_scoped_model
        from massline.core.audit import register_actions, register_field_labels
        from massline.orgs.services import register_path_copy

        from .models import Campaign, Participation, ScheduleOverride

        for table in ("campaigns_campaign", "campaigns_participation"):
            register_path_copy(table, "org_path")
        register_path_copy("campaigns_batchpick", "org_path")
        register_path_copy("campaigns_scheduleoverride", "org_path")
        register_path_copy("campaigns_campaigntemplate", "owner_path")
        register_scoped_model(Campaign, path_field="org_path", org_field="org_id")
        register_scoped_model(Participation, path_field="org_path", org_field="org_id")
        register_scoped_model(ScheduleOverride, path_field="org_path", org_field="org_id")
        register_actions(
            {
                "campaigns.template_copy": _("made a campaign template from a copy"),
                "campaigns.create": _("created a campaign"),
                "campaigns.batch_save": _("saved a campaign batch"),
                "campaigns.schedule_apply": _("applied a campaign's rollout schedule"),
                "campaigns.override": _("set an organization's campaign dates by hand"),
                "campaigns.phase_advance": _("moved an organization to the next campaign phase"),
                "campaigns.action_complete": _("completed a campaign action"),
            }
        )
        self._ready_actions()
        register_field_labels(
            {
                "starts_on": _("starts on"),
                "ends_on": _("ends on"),
                "phase": _("phase"),
                "reason": _("reason"),
                "subtree": _("whole subtree"),
                "levels": _("levels"),
                "kinds": _("organization kinds"),
                "unit_types": _("unit types"),
                "rest": _("every organization not in another batch"),
                "picks": _("picked organizations"),
                "count": _("organizations selected"),
                "kept": _("kept (already started)"),
                "moved": _("moved"),
                "new": _("new"),
                "removed": _("removed"),
                "template": _("template"),
                "batches": _("batches"),
                "copied_from": _("copied from"),
            }
        )
        from massline.core import jobs

        from . import overview_export, workbench

        jobs.register(
            overview_export.JOB_KIND,
            overview_export.run_list_export,
            label=_("Export of a campaign's list of organizations"),
            phases={"writing": _("writing the file")},
            idempotent=True,
        )
        register_actions(
            {overview_export.JOB_KIND: _("exported a campaign's list of organizations")}
        )
        workbench.register()
        self._ready_coverage()

    def _ready_coverage(self) -> None:
        """Members reached (decision 0020): the path copy, scope, audit labels, and the
        records following members whose place of taking part changes."""
        from massline.access.policy import register_scoped_model
        from massline.core.audit import register_actions
        from massline.orgs import placement
        from massline.orgs.services import register_path_copy

        from . import coverage_services
        from .models import Reach

        register_path_copy("campaigns_reach", "org_path")
        register_scoped_model(Reach, path_field="org_path", org_field="org_id")
        placement.on_moved(coverage_services.follow_moves)
        register_actions(
            {
                "campaigns.reach": _("recorded members as having taken part in a campaign"),
                "campaigns.reach_withdraw": _("took back a member's part in a campaign"),
            }
        )

    def _ready_actions(self) -> None:
        """Actions and checklists (decision 0017): paths, scope, counters, audit labels, the
        daily notices and the workbench to-do."""
        from massline.access.policy import register_scoped_model
        from massline.core.audit import register_actions
        from massline.core.schedule import register_periodic
        from massline.orgs.services import register_path_copy

        from . import action_counters, action_lists, action_notices, action_workbench
        from .models import ActionDefinition, Completion

        register_path_copy("campaigns_actiondefinition", "org_path")
        register_path_copy("campaigns_completion", "org_path")
        register_scoped_model(ActionDefinition, path_field="org_path", org_field="org_id")
        register_scoped_model(Completion, path_field="org_path", org_field="org_id")
        action_counters.register()
        action_notices.register()
        action_workbench.register()
        action_lists.register()
        register_actions(
            {
                "campaigns.action_define": _("defined a campaign action"),
                "campaigns.action_remove": _("removed a campaign action"),
                "campaigns.action_withdraw": _("withdrew a completed campaign action"),
            }
        )
        register_periodic(
            "campaigns.notices",
            "30 6 * * *",
            action_notices.campaign_notices_task,
            label=_("Campaign notices: windows opening, actions due and late"),
            description=_(
                "Tells the administrators of each organization when its campaign window opens, "
                "when an action falls due in 3 days and when one is late; once per event."
            ),
        )
