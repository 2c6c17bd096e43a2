from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("o/<str:org_id>/", views.box, name="box"),
    path("r/", views.track, name="track"),
]
