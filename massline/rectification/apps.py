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
