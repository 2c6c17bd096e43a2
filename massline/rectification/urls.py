from django.urls import path

from . import evaluation_views

app_name = "rectification"
urlpatterns: list = [
    # a fix's evaluation by the public (evaluation_views.py)
    path(
        "fixes/<int:fix_id>/evaluation/",
        evaluation_views.evaluation_page,
        name="fix_evaluation",
    ),
    path("fixes/<int:fix_id>/evaluation/slips/", evaluation_views.slips_issue, name="fix_slips"),
]
