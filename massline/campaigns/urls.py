from django.urls import path

from . import overview_views, schedule_views, views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:template_id>/copy/", views.template_copy, name="template_copy"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/batches/new/", views.batch_edit, name="batch_new"),
    path("<int:campaign_id>/batches/<int:batch_id>/", views.batch_edit, name="batch"),
    path("<int:campaign_id>/schedule/", schedule_views.schedule_preview, name="schedule"),
    path(
        "<int:campaign_id>/batches/<int:batch_id>/remove/",
        schedule_views.batch_remove,
        name="batch_remove",
    ),
    path("<int:campaign_id>/override/", schedule_views.override, name="override"),
    path(
        "<int:campaign_id>/orgs/<int:org_id>/override/clear/",
        schedule_views.override_clear,
        name="override_clear",
    ),
    path("<int:campaign_id>/org/", schedule_views.org_lookup, name="org_lookup"),
    path("<int:campaign_id>/orgs/<int:org_id>/", schedule_views.org_schedule, name="org"),
    path(
        "<int:campaign_id>/orgs/<int:org_id>/advance/",
        schedule_views.phase_advance,
        name="advance",
    ),
    path("<int:campaign_id>/overview/", overview_views.campaign_overview, name="overview"),
    path(
        "<int:campaign_id>/overview/<slug:code>/",
        overview_views.org_list_page,
        name="overview_list",
    ),
    path(
        "<int:campaign_id>/overview/<slug:code>/export/",
        overview_views.org_list_export,
        name="overview_export",
    ),
]

from . import action_views  # noqa: E402

urlpatterns += [
    path("<int:campaign_id>/actions/", action_views.actions_page, name="actions"),
    path(
        "<int:campaign_id>/actions/<int:action_id>/edit/",
        action_views.action_edit,
        name="action_edit",
    ),
    path(
        "<int:campaign_id>/actions/<int:action_id>/remove/",
        action_views.action_remove,
        name="action_remove",
    ),
    path(
        "<int:campaign_id>/orgs/<int:org_id>/checklist/",
        action_views.checklist_page,
        name="checklist",
    ),
    path(
        "<int:campaign_id>/orgs/<int:org_id>/actions/<int:action_id>/complete/",
        action_views.complete,
        name="complete",
    ),
    path(
        "<int:campaign_id>/orgs/<int:org_id>/actions/<int:action_id>/withdraw/",
        action_views.withdraw,
        name="withdraw",
    ),
    path("<int:campaign_id>/evidence/<int:file_id>/", action_views.evidence_file, name="evidence"),
]

from . import coverage_views  # noqa: E402

urlpatterns += [
    path("<int:campaign_id>/coverage/", coverage_views.coverage_page, name="coverage"),
    path(
        "<int:campaign_id>/orgs/<int:org_id>/reach/",
        coverage_views.reach_record,
        name="reach",
    ),
    path(
        "<int:campaign_id>/reach/<int:member_id>/withdraw/",
        coverage_views.reach_withdraw,
        name="reach_withdraw",
    ),
]
