from django.urls import path

from . import export_views

app_name = "rectification"
urlpatterns: list = [
    # the ledger export (decision 0022, "The ledger export")
    path("orgs/<int:org_id>/export/", export_views.ledger_export_page, name="ledger_export"),
]
