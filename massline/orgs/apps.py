from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "massline.orgs"
    label = "orgs"
    verbose_name = _("Organizations")

    def ready(self) -> None:
        from . import counters

        counters.register_org_metrics()
