from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "massline.orgs"
    label = "orgs"
    verbose_name = _("Organizations")

    def ready(self) -> None:
        from massline.core.audit import register_actions

        register_actions(
            {
                "orgs.create": _("created an organization"),
                "orgs.update": _("edited an organization"),
                "orgs.move": _("moved an organization"),
                "orgs.divisions_load": _("loaded administrative divisions"),
            }
        )

        from massline.core.schedule import register_periodic

        from . import counters, drift

        counters.register_org_metrics()
        register_periodic(
            "orgs.counter_drift",
            "30 2 * * *",
            drift.drift_check,
            label=_("Counter drift check"),
            description=_(
                "Recounts every figure from the records and compares it with the stored "
                "counters; changes nothing."
            ),
        )
