from django.urls import path

from . import dispatch_views, entry_views, hotline_views, poster_views, stats_views

app_name = "opinions"
urlpatterns = [
    # the inbox, triage and an opinion's page (dispatch_views.py)
    path("", dispatch_views.opinions_home, name="home"),
    path("orgs/<int:org_id>/", dispatch_views.inbox_page, name="inbox"),
    path("orgs/<int:org_id>/triage/", dispatch_views.triage_page, name="triage"),
    # staff entry: one opinion, forums and their opinions (entry_views.py)
    path("orgs/<int:org_id>/enter/", entry_views.entry_page, name="enter"),
    path("orgs/<int:org_id>/forums/", entry_views.forum_list, name="forums"),
    path("orgs/<int:org_id>/forums/new/", entry_views.forum_new, name="forum_new"),
    path("orgs/<int:org_id>/forums/<int:forum_id>/", entry_views.forum_page, name="forum"),
    # the statistics from the counters (stats_views.py)
    path("orgs/<int:org_id>/stats/", stats_views.stats_page, name="stats"),
    # the hotline and petition import (hotline_views.py)
    path("orgs/<int:org_id>/import/", hotline_views.import_page, name="import"),
    path("orgs/<int:org_id>/import/confirm/", hotline_views.import_confirm, name="import_confirm"),
    path(
        "orgs/<int:org_id>/import/template.xlsx",
        hotline_views.import_template,
        name="import_template",
    ),
    path("<int:opinion_id>/", dispatch_views.opinion_page, name="detail"),
    path("<int:opinion_id>/<str:action>/", dispatch_views.opinion_post, name="act"),
    # the opinion box poster (poster_views.py)
    path("poster/<int:org_id>/", poster_views.poster_page, name="poster"),
    path("poster/<int:org_id>/poster.pdf", poster_views.poster_pdf, name="poster_pdf"),
    path("poster/<int:org_id>/poster.png", poster_views.poster_png, name="poster_png"),
]
