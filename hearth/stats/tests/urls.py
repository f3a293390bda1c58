"""Pages for the statistics tests: a few HTML pages, JSON, a redirect, a 404, the back office."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import include, path

from hearth.urls import urlpatterns as site


def page(request: HttpRequest, name: str = "home") -> HttpResponse:
    return HttpResponse(f"<!doctype html><title>{name}</title>", content_type="text/html")


def data(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def moved(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect("/")


urlpatterns = [
    path("", page),
    path("shop/<slug:name>/", page),
    path("about/", page, {"name": "about"}),
    path("data.json", data),
    path("moved/", moved),
    path("api/v1/page/", page),
    path("admin/page/", page),
    path("back-office/statistics/", include("hearth.stats.backoffice_urls")),
    *site,
]
