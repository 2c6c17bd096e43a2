from django.urls import path, re_path

from . import import_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list_view, name="list"),
    path("<int:member_id>/", views.member_detail, name="detail"),
    path("<int:member_id>/reveal/", views.member_reveal, name="reveal"),
    path("import/", import_views.import_start, name="import"),
    path("import/<int:job_id>/", import_views.import_job, name="import_job"),
    path("import/<int:job_id>/apply/", import_views.import_apply, name="import_apply"),
    path("import/<int:job_id>/report.csv", import_views.import_report, name="import_report"),
    re_path(
        r"^import/template\.(?P<fmt>csv|xlsx)$",
        import_views.import_template,
        name="import_template",
    ),
]
