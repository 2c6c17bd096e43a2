from django.urls import path

from . import dispatch_views

app_name = "opinions"
urlpatterns = [
    path("", dispatch_views.opinions_home, name="home"),
    path("orgs/<int:org_id>/", dispatch_views.inbox_page, name="inbox"),
    path("orgs/<int:org_id>/triage/", dispatch_views.triage_page, name="triage"),
    path("<int:opinion_id>/", dispatch_views.opinion_page, name="detail"),
    path("<int:opinion_id>/<str:action>/", dispatch_views.opinion_post, name="act"),
]
