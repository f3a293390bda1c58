from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found

from hearth.api import api
from hearth.core.errors import CoreErrorCode, error_body

urlpatterns = [
    path("back-office/devices/", include("hearth.devices.backoffice_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("hearth.accounts.urls")),
    path("", include("hearth.privacy.urls")),
    path("", include("hearth.devices.urls")),
    path("", include("hearth.catalog.urls")),
    path("", include("hearth.orders.urls")),
    path("", include("hearth.payments.urls")),
    path("", include("hearth.checkout.urls")),
    path("", include("hearth.web.urls")),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON for the API's paths, the site's page for everything else."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(CoreErrorCode.NOT_FOUND, _("Not found.")), status=404)
    return page_not_found(request, exception)
