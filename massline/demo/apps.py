from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "massline.demo"
    label = "demo"
    verbose_name = _("Demo")

    def ready(self) -> None:
        from massline.core.audit import register_actions, register_field_labels

        # The generators' actions keep the codes of the domains they write to.
        register_actions(
            {
                "demo.load": _("loaded the demo"),
                "orgs.generate": _("generated the organization skeleton"),
                "members.generate": _("generated members"),
            }
        )
        register_field_labels({"seed": _("random seed"), "province": _("province")})
