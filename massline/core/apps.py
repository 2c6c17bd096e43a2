from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "massline.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import jobs, schedule, watch  # noqa: F401  (watch: the consumers' heartbeat)
        from .audit import register_actions, register_field_labels

        register_actions(
            {
                "core.job_retry": _("tried a failed background job again"),
                "core.schedule_run": _("ran a scheduled task by hand"),
            }
        )
        # keys audit rows of several apps hold that are not fields of their target
        register_field_labels(
            {
                "count": _("rows"),
                "format": _("file format"),
                "filters": _("filters"),
                "fields": _("fields"),
                "file": _("file"),
                "job": _("background job"),
                "task": _("task"),
                "total": _("total"),
                "created": _("rows added"),
                "updated": _("rows updated"),
                "unchanged": _("rows unchanged"),
                "note": _("note"),
                "q": _("search words"),
                "age": _("age group"),
            }
        )
        jobs.register(jobs.QUEUE_CHECK, jobs.queue_check, label=_("Queue check"), idempotent=True)
        schedule.register_periodic(
            "core.job_files",
            "15 3 * * *",
            jobs.expired_files_task,
            label=_("Removing old job files"),
            description=_(
                "Removes the uploaded and produced files of background jobs that ended more "
                "than the retention period ago."
            ),
        )
