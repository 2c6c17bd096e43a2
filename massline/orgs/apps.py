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

        from . import counters

        counters.register_org_metrics()
