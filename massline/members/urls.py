from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("", views.member_list_view, name="list"),
    path("export/", views.member_export, name="export"),
    path("<int:member_id>/", views.member_detail, name="detail"),
    path("<int:member_id>/reveal/", views.member_reveal, name="reveal"),
]
