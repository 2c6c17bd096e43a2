from django.urls import path

from .auditlog import views

app_name = "access"
urlpatterns = [
    path("audit/", views.audit, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
]
