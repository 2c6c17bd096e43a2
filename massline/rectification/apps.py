from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "massline.rectification"
    label = "rectification"
    verbose_name = _("Rectification")

    def ready(self) -> None:
        from massline.access.policy import register_scoped_model, register_two_sided_model
        from massline.core.audit import register_actions, register_field_labels
        from massline.orgs.services import register_path_copy

        from . import awaiting, counters, workflow
        from .models import CoOrganization, Evaluation, Fix, Problem

        counters.register()
        awaiting.register()
        from . import workbench

        workbench.register()
        # the three rates' formulas name only counters registered by now (opinions and
        # orgs come before this app): a wrong setting stops the start, saying where
        from .rates import formulas

        formulas()
        for table, column in (
            ("rectification_problem", "org_path"),
            ("rectification_problem", "origin_path"),
            ("rectification_fix", "org_path"),
            ("rectification_fix", "origin_path"),
            ("rectification_coorganization", "org_path"),
            ("rectification_evaluation", "org_path"),
        ):
            register_path_copy(table, column)
        # seen from the organization responsible and from the one where it was found
        sides = {"responsible": ("org_path", "org_id"), "origin": ("origin_path", "origin_org_id")}
        register_two_sided_model(Problem, sides)
        register_two_sided_model(Fix, sides)
        register_scoped_model(CoOrganization, path_field="org_path", org_field="org_id")
        register_scoped_model(Evaluation, path_field="org_path", org_field="org_id")
        register_actions(
            {
                "rectification.problem_create": _("recorded a problem"),
                "rectification.problem_escalate": _("escalated a problem to the level above"),
                "rectification.problem_claim": _("claimed a problem escalated from below"),
                "rectification.problem_decline": _("declined a problem escalated from below"),
                "rectification.fix_create": _("recorded a fix"),
                "rectification.fix_claim": _("took over a fix with its problem"),
                "rectification.fix_handover": _("handed a fix over to the next batch"),
                "rectification.fix_overdue": _("flagged a fix past its deadline"),
                "rectification.progress": _("reported progress on a fix"),
                "rectification.request_extension": _("asked for a fix's extension"),
                "rectification.approve_extension": _("approved a fix's extension"),
                "rectification.refuse_extension": _("refused a fix's extension"),
                "rectification.request_close": _("asked to close out a fix"),
                "rectification.approve_close": _("closed out a fix"),
                "rectification.refuse_close": _("refused a fix's close-out"),
                "rectification.prepare_commitment": _("prepared a fix's commitment"),
                "rectification.publish_commitment": _("published a fix's commitment"),
                "rectification.rework": _("sent a fix back for rework"),
                "rectification.tokens_issue": _("issued evaluation codes for a fix"),
            }
        )
        assert {t.audit_action for t in workflow.TRANSITIONS.values()} <= {
            f"rectification.{a}" for a in workflow.ACTIONS
        }
        self._ready_sweeps()
        register_field_labels(
            {
                "problem": _("problem"),
                "fix": _("fix"),
                "source": _("source"),
                "responsible_person": _("responsible person"),
                "escalated_to": _("escalated to"),
                "state": _("state"),
                "round": _("round"),
                "kind": _("kind"),
                "deadline": _("deadline"),
                "extension_until": _("extension asked until"),
                "audience": _("commitment to"),
                "promised_on": _("promised by"),
                "published": _("commitment published"),
                "version": _("version"),
            }
        )

    def _ready_sweeps(self) -> None:
        """The periodic sweeps and the overdue notice (decision 0022, "Sweeps and handover"), and
        the ledger export's job ("The ledger export")."""
        from massline.core import jobs
        from massline.core.audit import register_actions
        from massline.core.schedule import register_periodic
        from massline.notices.kinds import register_notice_kind

        from . import ledger_export, sweeps

        jobs.register(
            ledger_export.JOB_KIND,
            ledger_export.run_ledger_export,
            label=_("Export of a rectification ledger"),
            phases={"writing": _("writing the file")},
            idempotent=True,
        )
        register_actions({ledger_export.JOB_KIND: _("exported a rectification ledger")})

        register_notice_kind(
            sweeps.OVERDUE_NOTICE,
            _("Fix overdue"),
            title=_("Fix %(fix)s at %(org)s is past its deadline"),
            body=_("It was due %(due)s and is not closed out; it is flagged overdue."),
        )
        register_periodic(
            "rectification.overdue",
            "5 0 * * *",
            sweeps.fixes_overdue_task,
            label=_("Rectification: flag the fixes past their deadline"),
            description=_(
                "Flags open fixes whose deadline has passed as overdue, once per fix, and tells "
                "those who approve one level above."
            ),
        )
        register_periodic(
            "rectification.handover",
            "15 0 * * *",
            sweeps.fixes_handover_task,
            label=_("Rectification: hand fixes over to the next batch"),
            description=_(
                "Moves each open fix to the organization of a later batch named to take it "
                "over, once that organization's window in the campaign has opened."
            ),
        )
