from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from hearth.accounts import services as accounts
from hearth.core.languages import choose_language, remember_language


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


def _back_to(request: HttpRequest) -> str:
    """The page the switch was used on (``next``), if it is ours; else the home page. A
    ``lang=`` in it (a policy version shown in one language) is dropped, so the page comes back
    in the language just chosen."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(target)
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lang"])
        return urlunsplit(parts._replace(query=query))
    return "/"


@require_http_methods(["GET", "POST"])
def switch_language(request: HttpRequest) -> HttpResponse:
    """The language switch on every page (issue #16), a form without JavaScript: remember the
    chosen language (the ``django_language`` cookie; a signed-in customer's stored language too,
    which every later email uses) and go back to the same page. An unsupported or forged value
    means English, never an error. A GET (a bookmarked or prefetched address) changes nothing."""
    back = HttpResponseRedirect(_back_to(request))
    if request.method != "POST":
        return back
    language = choose_language(request.POST.get("language"))
    if request.user.is_authenticated:
        accounts.set_language(user=request.user, language=language, actor=request.user)
    remember_language(back, language)
    return back
