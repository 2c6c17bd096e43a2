from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("read/", views.notices_read, name="read"),
    path("<int:notice_id>/open/", views.notice_open, name="open"),
]
