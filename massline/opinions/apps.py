from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpinionsConfig(AppConfig):
    name = "massline.opinions"
    label = "opinions"
    verbose_name = _("Opinions")

    def ready(self) -> None:
        from massline.access.policy import register_scoped_model, register_two_sided_model
        from massline.core.audit import register_actions
        from massline.orgs.services import register_path_copy

        from . import counters
        from .models import Forum, Opinion

        counters.register()
        register_actions(
            {
                "opinions.enter": _("opinion entered by staff"),
                "opinions.import": _("hotline or petition records imported"),
                "opinions.forum": _("forum recorded"),
                "opinions.box_close": _("opinion box closed"),
                "opinions.box_reopen": _("opinion box reopened"),
            }
        )

        register_path_copy("opinions_opinion", "org_path")
        register_path_copy("opinions_opinion", "lead_path")
        register_path_copy("opinions_forum", "org_path")
        register_path_copy("opinions_coorganization", "org_path")
        register_path_copy("opinions_opinioncategory", "org_path")
        # seen from the organization it was addressed to and from the one dispatched to
        register_two_sided_model(
            Opinion, {"addressed": ("org_path", "org_id"), "lead": ("lead_path", "lead_org_id")}
        )
        register_scoped_model(Forum, path_field="org_path", org_field="org_id")
        self._ready_dispatch()

    def _ready_dispatch(self) -> None:
        """The dispatch (decision 0021, "Dispatch"): co-organizations' scope, the audit labels,
        the escalation's notice and its periodic run."""
        from massline.access.policy import register_scoped_model
        from massline.core.audit import register_actions, register_field_labels
        from massline.core.schedule import register_periodic
        from massline.notices.kinds import register_notice_kind

        from . import dispatch_services
        from .models import CoOrganization

        register_scoped_model(CoOrganization, path_field="org_path", org_field="org_id")
        register_actions(
            {
                "opinions.triage": _("categorized an opinion"),
                "opinions.merge": _("merged an opinion into another"),
                "opinions.dispatch": _("dispatched an opinion"),
                "opinions.return": _("returned a dispatched opinion"),
                "opinions.reassign": _("reassigned an opinion"),
                "opinions.contact": _("recorded the first contact on an opinion"),
                "opinions.reply": _("replied to an opinion"),
                "opinions.publish": _("published the reply to an opinion"),
                "opinions.close": _("closed an opinion"),
                "opinions.escalate": _("escalated an overdue opinion"),
            }
        )
        register_field_labels(
            {
                "opinion": _("opinion"),
                "lead_org": _("lead organization"),
                "due_at": _("due"),
                "urgency": _("urgency"),
                "overdue": _("overdue"),
                "reply_published": _("reply published"),
                "merged_into": _("merged into"),
            }
        )
        register_notice_kind(
            dispatch_services.ESCALATED_NOTICE,
            _("Opinion overdue"),
            title=_("Opinion %(opinion)s is overdue at %(org)s"),
            body=_("It was due %(due)s without a reply; it is escalated to you for supervision."),
        )
        register_periodic(
            "opinions.escalate",
            "10 * * * *",
            dispatch_services.opinions_escalate_task,
            label=_("Opinions: escalate the overdue ones"),
            description=_(
                "Flags dispatched opinions past their time limit without a reply as overdue and "
                "tells the dispatchers one level above the lead organization; once per opinion."
            ),
        )
