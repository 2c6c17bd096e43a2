from django.urls import path

from . import transfer_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list_view, name="list"),
    path("<int:member_id>/", views.member_detail, name="detail"),
    path("<int:member_id>/reveal/", views.member_reveal, name="reveal"),
    path(
        "<int:member_id>/transfer/", transfer_views.transfer_request_view, name="transfer_request"
    ),
    path("transfers/", transfer_views.transfer_list_view, name="transfers"),
    path("transfers/new/", transfer_views.transfer_incoming_view, name="transfer_incoming"),
    path("transfers/orgs/", transfer_views.org_suggestions, name="transfer_orgs"),
    path("transfers/<int:transfer_id>/", transfer_views.transfer_detail, name="transfer"),
    path(
        "transfers/<int:transfer_id>/<slug:action>/",
        transfer_views.transfer_act,
        name="transfer_act",
    ),
]
