from django.urls import path

from . import account_views
from .auditlog import views

app_name = "access"
urlpatterns = [
    path("audit/", views.audit, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("users/", account_views.users, name="users"),
    path("users/<int:user_id>/", account_views.user_detail, name="user"),
    path("users/<int:user_id>/unlock/", account_views.user_unlock_view, name="user_unlock"),
]
