from django.urls import path

from . import board_views, evaluate, views

app_name = "portal"

urlpatterns = [
    path("o/<str:org_id>/", views.box, name="box"),
    path("r/", views.track, name="track"),
    path("e/", evaluate.evaluate, name="evaluate"),
    path("b/<str:org_id>/", board_views.board, name="board"),
]
