from django.urls import path

from . import evaluate, views

app_name = "portal"

urlpatterns = [
    path("o/<str:org_id>/", views.box, name="box"),
    path("r/", views.track, name="track"),
    path("e/", evaluate.evaluate, name="evaluate"),
]
