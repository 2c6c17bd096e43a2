from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpinionsConfig(AppConfig):
    name = "massline.opinions"
    label = "opinions"
    verbose_name = _("Opinions")

    def ready(self) -> None:
        from massline.access.policy import register_scoped_model
        from massline.core.audit import register_actions
        from massline.orgs.services import register_path_copy

        from . import counters
        from .models import Forum, Opinion

        counters.register()
        register_actions(
            {
                "opinions.enter": _("opinion entered by staff"),
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
        register_scoped_model(Opinion, path_field="org_path", org_field="org_id")
        register_scoped_model(Forum, path_field="org_path", org_field="org_id")
