from django.urls import path

from . import rates_views

app_name = "rectification"
urlpatterns: list = [
    # the three rates (decision 0022, "The three rates")
    path("orgs/<int:org_id>/rates/", rates_views.rates_page, name="rates"),
]
