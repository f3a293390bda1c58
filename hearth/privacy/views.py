"""Policy pages (/privacy/, /terms/, /eula/) and the acknowledgement of material changes."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.languages import supported_language
from hearth.privacy import cookie_policy, selectors, services, taxonomy
from hearth.privacy.cookies import acknowledged_versions, remember_acknowledged
from hearth.privacy.forms import AcknowledgePolicyForm, DataRequestForm
from hearth.privacy.models import PolicyDocument, PolicyKind


def _officer() -> dict[str, str]:
    return taxonomy.read_toml(taxonomy.DATA_DIR / "privacy_officer.toml")


def _policy_page(
    request: HttpRequest, kind: str, document: PolicyDocument | None = None
) -> HttpResponse:
    """A policy version's page: the one in force, or (``document``) any earlier one.

    ``?lang=fr-ca`` (or ``en``) shows that language's version whatever the visitor's language,
    so checkout can link each language version of the terms of sale (issue #16: French first
    to a Quebec address); an unsupported value is ignored."""
    wanted = supported_language(request.GET.get("lang"))
    if wanted is not None and wanted != translation.get_language():
        with translation.override(wanted):
            return _policy_page(request, kind, document)
    now = clock.now()
    versions = selectors.published_versions(kind, now)
    if not versions:
        raise Http404
    current = versions[0]
    document = document or current
    later = [v for v in versions if v.effective_at > document.effective_at]
    return render(
        request,
        "privacy/policy.html",
        {
            "document": document,
            "current": current,
            "until": later[-1].effective_at if later else None,
            "earlier": [v for v in versions if v.effective_at < document.effective_at],
            "officer": _officer() if kind == "privacy" else None,
            "french": (translation.get_language() or "").startswith("fr"),
        },
    )


def policy_version(request: HttpRequest, kind: str, version: str) -> HttpResponse:
    """/legal/<kind>/<version>/: one past or present version at a stable address (PP-21,
    TOS-25); a version not yet in force is not published here."""
    if kind not in PolicyKind.values:
        raise Http404
    document = selectors.published_version(kind, version, clock.now())
    if document is None:
        raise Http404
    return _policy_page(request, kind, document)


def policy_versions(request: HttpRequest, kind: str) -> HttpResponse:
    """/legal/<kind>/: every version published so far, newest first, each linked."""
    if kind not in PolicyKind.values:
        raise Http404
    versions = selectors.published_versions(kind, clock.now())
    if not versions:
        raise Http404
    return render(
        request,
        "privacy/versions.html",
        {"versions": versions, "current": versions[0], "kind_label": PolicyKind(kind).label},
    )


def privacy_policy(request: HttpRequest) -> HttpResponse:
    return _policy_page(request, "privacy")


def terms(request: HttpRequest) -> HttpResponse:
    return _policy_page(request, "terms")


def eula(request: HttpRequest) -> HttpResponse:
    return _policy_page(request, "eula")


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest) -> HttpResponse:
    """Show the material changes and record their acknowledgement.

    Signed-in customers: a PolicyAcknowledgement row per version (the accounts app redirects here
    after sign-in while ``selectors.pending_acknowledgements`` is not empty, with ``?next=``).
    Anonymous visitors: the versions go into a cookie that holds only their keys.
    """
    now = clock.now()
    cookie_keys = acknowledged_versions(request)
    pending = selectors.material_notice_for(
        user=request.user, acknowledged_versions=cookie_keys, at=now
    )
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = AcknowledgePolicyForm(request.POST or None, initial={"next": next_url})
    if request.method == "POST" and form.is_valid():
        response = HttpResponseRedirect(next_url)
        if request.user.is_authenticated:
            for document in pending:
                services.acknowledge_policy(user=request.user, document=document, at=now)
        remember_acknowledged(request, response, cookie_keys | {d.key for d in pending})
        return response
    return render(
        request,
        "privacy/acknowledge.html",
        {"pending": pending, "form": form, "next": next_url, "brand": settings.HEARTH_BRAND},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def data_request(request: HttpRequest) -> HttpResponse:
    """Ask for access, a copy, a correction or erasure by email address (PP-15).

    The answer is the same page whether or not the address has an account, so nobody learns
    who is a customer; the emailed link proves the person holds the mailbox."""
    form = DataRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.ask_data_request(
            email=form.cleaned_data["email"],
            kind=form.cleaned_data["kind"],
            details=form.cleaned_data["note"],
            confirm_url=lambda token: request.build_absolute_uri(
                reverse("privacy:confirm_request", args=[token])
            ),
        )
        return render(request, "privacy/data_request_sent.html", status=200)
    return render(request, "privacy/data_request.html", {"form": form, "officer": _officer()})


@require_http_methods(["GET", "POST"])
def confirm_data_request(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST opens the request."""
    if request.method == "GET":
        return render(request, "privacy/data_request_confirm.html", {"token": token})
    try:
        opened = services.confirm_data_request(token=token, at=clock.now())
    except DomainError as exc:
        return render(
            request, "privacy/data_request_confirm.html", {"error": exc.message}, status=400
        )
    return render(request, "privacy/data_request_opened.html", {"data_request": opened})


# --- Cookies (issue #15; PP-11).

_COOKIE_ACTIONS = ("accept_all", "refuse_all", "save")


def _cookie_page(
    request: HttpRequest, *, error: str = "", status: int = 200, saved: bool = False
) -> HttpResponse:
    inv = cookie_policy.inventory()
    consent = cookie_policy.consent_for(request)
    categories = [
        {"category": c, "cookies": inv.cookies_in(c.key), "accepted": c.key in consent.accepted}
        for c in inv.categories
    ]
    context = {
        "categories": categories,
        "consent": consent,
        "version": inv.version,
        "error": error,
        "saved": saved,
        "next": _safe_next(request, request.GET.get("next") or request.POST.get("next")),
    }
    return render(request, "privacy/cookies.html", context, status=status)


@require_http_methods(["GET", "POST"])
def cookies(request: HttpRequest) -> HttpResponse:
    """/cookies/: the inventory in plain words, and the choice (the banner posts here too).

    "Accept all" and "Refuse all" are one click each; "Save my choice" keeps the ticked
    categories. An unknown action or category is refused (400) and nothing changes. A visitor
    whose browser sends Global Privacy Control is told the signal was honoured, and cannot
    accept over it here.
    """
    if request.method == "GET":
        return _cookie_page(request, saved=request.GET.get("saved") == "1")
    inv = cookie_policy.inventory()
    action = request.POST.get("action", "")
    chosen = set(request.POST.getlist("accept"))
    if action not in _COOKIE_ACTIONS:
        return _cookie_page(
            request, error=_("Choose “Accept all”, “Refuse all” or “Save my choice”."), status=400
        )
    if not chosen <= inv.optional:
        return _cookie_page(
            request, error=_("Choose only among the categories listed."), status=400
        )
    accepted = {"accept_all": set(inv.optional), "refuse_all": set()}.get(action, chosen)
    if cookie_policy.consent_for(request).gpc:
        accepted = set()  # the browser's signal refuses every optional category (PP-6, PP-11)
    next_url = _safe_next(request, request.POST.get("next"))
    target = next_url if next_url != "/" or request.POST.get("next") else reverse("privacy:cookies")
    if target == reverse("privacy:cookies"):
        target += "?saved=1"
    response = HttpResponseRedirect(target)
    cookie_policy.remember_choice(request, response, accepted, at=clock.now())
    return response


_FUNCTIONS = {
    "basket": lambda: _("Adding to and changing your basket"),
    "checkout": lambda: _("Checking out"),
    "sign_in": lambda: _("Signing in"),
    "support": lambda: _("Sending the support form"),
    "form": lambda: _("Sending this form"),
}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: which cookie a refused form needed and why, in the site's design.

    Without the ``csrftoken`` cookie (blocked or refused by the browser) the page says so and
    what it is for; with it, the form had expired: send it again.
    """
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE

    from hearth.privacy.rules import function_needing_cookies

    inv = cookie_policy.inventory()
    missing = reason == REASON_NO_CSRF_COOKIE or settings.CSRF_COOKIE_NAME not in request.COOKIES
    needed = [
        c
        for c in inv.cookies
        if c.name in (settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_NAME)
    ]
    context = {
        "missing": missing,
        "needed": needed,
        "function": _FUNCTIONS[function_needing_cookies(request.path_info)](),
        "back": request.path_info,
    }
    return render(request, "privacy/cookies_needed.html", context, status=403)
