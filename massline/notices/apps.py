from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "massline.notices"
    label = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        from massline.core import jobs

        from . import job_notices
        from .workbench import builtin

        job_notices.register()
        jobs.on_finished(job_notices.job_finished)
        builtin.register()
