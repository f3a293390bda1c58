"""The site's URLs plus one view that raises, to see the 500 page as a visitor would."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from hearth.urls import handler400, handler403, handler404, handler500
from hearth.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def a_bug(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [path("a-bug/", a_bug), path("api/v1/a-bug/", a_bug), *site_urlpatterns]
