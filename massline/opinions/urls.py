from django.urls import path

from . import poster_views

app_name = "opinions"
urlpatterns = [
    # the opinion box poster (poster_views.py)
    path("poster/<int:org_id>/", poster_views.poster_page, name="poster"),
    path("poster/<int:org_id>/poster.pdf", poster_views.poster_pdf, name="poster_pdf"),
    path("poster/<int:org_id>/poster.png", poster_views.poster_png, name="poster_png"),
]
