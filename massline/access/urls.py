from django.urls import path

from . import views

app_name = "access"
urlpatterns = [
    path("audit/", views.audit, name="audit"),
]
