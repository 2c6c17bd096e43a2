from django.urls import path
from django.views.generic import RedirectView

from . import system_views as views

app_name = "system"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="system:schedule", permanent=False), name="home"),
    path("jobs/", views.failed_jobs, name="jobs"),
    path("jobs/<int:job_id>/retry", views.retry_job, name="retry"),
    path("schedule/", views.scheduled_tasks, name="schedule"),
    path("schedule/<str:name>/", views.scheduled_task, name="task"),
    path("schedule/<str:name>/run", views.run_task, name="run"),
]
