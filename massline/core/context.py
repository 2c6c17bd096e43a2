from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from .models import Job, JobStatus, RunStatus, ScheduledRun

#: How far back the system menu counts problems for its badge.
ALERT_DAYS = 7


def system(request: HttpRequest) -> dict[str, Any]:
    """For a system administrator: the System menu, with the number of failed jobs and of
    scheduled runs that failed or found problems in the last week (two indexed counts)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_superuser):
        return {"nav_system": False}
    since = timezone.now() - timedelta(days=ALERT_DAYS)
    alerts = (
        Job.objects.filter(status=JobStatus.FAILED, finished_at__gte=since).count()
        + ScheduledRun.objects.filter(
            status__in=[RunStatus.FINDINGS, RunStatus.FAILED], finished_at__gte=since
        ).count()
    )
    return {"nav_system": True, "nav_system_alerts": alerts}
