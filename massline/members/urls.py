from django.urls import path, re_path

from . import list_views, views
from .roster_import import views as import_views
from .transfers import views as transfer_views

app_name = "members"
urlpatterns = [
    path("", list_views.member_list_view, name="list"),
    path("export/", views.member_export, name="export"),
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
    path("new/", views.member_new, name="new"),
    path("org-options/", views.org_options, name="org_options"),
    path("<int:member_id>/full/", views.member_make_full_view, name="make_full"),
    path("<int:member_id>/mobility/", views.member_mobility_view, name="mobility"),
    path("<int:member_id>/lost/", views.member_lost_view, name="lost"),
    path("<int:member_id>/found/", views.member_found_view, name="found"),
    path("<int:member_id>/tracing/", views.member_tracing_view, name="tracing"),
    path(
        "<int:member_id>/transfer/", transfer_views.transfer_request_view, name="transfer_request"
    ),
    path("transfers/", transfer_views.transfer_list_view, name="transfers"),
    path("transfers/new/", transfer_views.transfer_incoming_view, name="transfer_incoming"),
    path("transfers/orgs/", transfer_views.org_suggestions, name="transfer_orgs"),
    path("transfers/<int:transfer_id>/", transfer_views.transfer_detail, name="transfer"),
    path(
        "transfers/<int:transfer_id>/letter.pdf",
        transfer_views.transfer_letter,
        name="transfer_letter",
    ),
    path(
        "transfers/<int:transfer_id>/<slug:action>/",
        transfer_views.transfer_act,
        name="transfer_act",
    ),
]
