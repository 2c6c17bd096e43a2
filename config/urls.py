from django.urls import include, path

from massline.access.account_views import profile
from massline.api.urls import api
from massline.core.error_responses import error_response, server_error
from massline.notices.workbench.views import workbench

urlpatterns = [
    # the workbench (工作台); the organization tree is at /orgs/
    path("", workbench, name="home"),
    path("accounts/profile/", profile, name="profile"),
    path("accounts/", include("massline.accounts.urls")),
    path("orgs/", include("massline.orgs.urls")),
    path("access/", include("massline.access.urls")),
    path("members/", include("massline.members.urls")),
    path("notices/", include("massline.notices.urls")),
    path("campaigns/", include("massline.campaigns.urls")),
    path("opinions/", include("massline.opinions.urls")),
    path("rectification/", include("massline.rectification.urls")),
    path("jobs/", include("massline.core.urls")),
    path("system/", include("massline.core.system_urls")),
    # the public portal: an organization's opinion box and tracking by receipt (no login)
    path("p/", include("massline.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]

# Errors Django raises itself (an unknown address, ...) look like the ones our code raises;
# a crash gets a page (or JSON) that needs neither the database nor the request's context.
handler400 = handler403 = handler404 = error_response
handler500 = server_error
