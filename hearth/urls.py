from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template.loader import render_to_string
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views.defaults import bad_request, page_not_found, permission_denied

from hearth.api import api
from hearth.core import health, metrics
from hearth.core.errors import CoreErrorCode, error_body

urlpatterns = [
    # Probes and metrics (issue #17; hearth/core/health.py, hearth/core/metrics.py).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("back-office/devices/", include("hearth.devices.backoffice_urls")),
    path("back-office/statistics/", include("hearth.stats.backoffice_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The storefront first (issue #12 item 2): Django tries the patterns in order, and a buyer's
    # request used to walk ~110 of the other apps' before reaching checkout's. No two apps share
    # a path, so the order changes no answer (hearth/web/tests/test_url_order.py holds that).
    path("", include("hearth.checkout.urls")),
    path("", include("hearth.payments.urls")),
    path("", include("hearth.catalog.urls")),
    path("", include("hearth.web.urls")),
    path("", include("hearth.accounts.urls")),
    path("", include("hearth.privacy.urls")),
    path("", include("hearth.comms.urls")),
    path("", include("hearth.devices.urls")),
    path("", include("hearth.orders.urls")),
    path("", include("hearth.fulfilment.urls")),
    path("", include("hearth.aftersales.urls")),
    path("", include("hearth.care.urls")),
    path("", include("hearth.aftersales.warranty_urls")),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON for the API's paths, the site's page for everything else."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(CoreErrorCode.NOT_FOUND, _("Not found.")), status=404)
    return page_not_found(request, exception)


def _api_error(code: CoreErrorCode, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error(CoreErrorCode.INVALID, _("Bad request."), 400)
    return bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error(CoreErrorCode.PERMISSION_DENIED, _("You may not do this."), 403)
    return permission_denied(request, exception)


# The last resort when even the error page cannot render (a broken template or static manifest).
_BARE_500 = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Server error</title>'
    '<h1>Something went wrong on our side</h1><p lang="fr-CA">Une erreur s\'est produite de notre '
    'côté.</p><p><a href="/">Home / Accueil</a></p></html>'
)


def handler500(request: HttpRequest) -> HttpResponse:
    """Even a bug answers the API's error body under /api/ (it is logged as usual). Pages get
    500.html in the site's design and the request's language, rendered with no request and no
    context processor: it needs neither the database nor the session, which may be what broke."""
    if request.path.startswith("/api/"):
        message = _("Something went wrong on our side; it has been logged. Try again later.")
        return _api_error(CoreErrorCode.SERVER_ERROR, message, 500)
    brand = settings.HEARTH_BRAND
    html: str
    try:
        html = render_to_string(
            "500.html", {"brand_email": brand["care_email"], "brand_phone": brand["care_phone"]}
        )
    except Exception:  # the error page itself failed (any cause): answer the bare one
        html = _BARE_500
    return HttpResponseServerError(html)
