from django.urls import path

from . import evaluation_views, export_views, fix_views, ledger_views, rates_views

app_name = "rectification"
urlpatterns = [
    # the ledger, a new problem, a problem's page (ledger_views.py)
    path("", ledger_views.ledger_home, name="home"),
    path("orgs/<int:org_id>/", ledger_views.ledger_page, name="ledger"),
    path("orgs/<int:org_id>/publish/", ledger_views.publish_post, name="publish"),
    path("orgs/<int:org_id>/problems/new/", ledger_views.problem_new, name="problem_new"),
    # the three rates (decision 0022, "The three rates")
    path("orgs/<int:org_id>/rates/", rates_views.rates_page, name="rates"),
    path("problems/<int:problem_id>/", ledger_views.problem_page, name="problem"),
    path("problems/<int:problem_id>/<str:action>/", ledger_views.problem_post, name="problem_act"),
    # a fix's evaluation by the public (evaluation_views.py), before the fix's steps
    path(
        "fixes/<int:fix_id>/evaluation/",
        evaluation_views.evaluation_page,
        name="fix_evaluation",
    ),
    path("fixes/<int:fix_id>/evaluation/slips/", evaluation_views.slips_issue, name="fix_slips"),
    # a fix's page, its steps and files (fix_views.py)
    path("fixes/<int:fix_id>/", fix_views.fix_page, name="fix"),
    path("fixes/<int:fix_id>/<str:action>/", fix_views.fix_post, name="fix_act"),
    path("files/<int:file_id>/", fix_views.fix_file, name="file"),
    # the ledger export (decision 0022, "The ledger export")
    path("orgs/<int:org_id>/export/", export_views.ledger_export_page, name="ledger_export"),
]
