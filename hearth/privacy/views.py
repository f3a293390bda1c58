"""Policy pages (/privacy/, /terms/, /eula/) and the acknowledgement of material changes."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from hearth.core import clock
from hearth.privacy import selectors, services, taxonomy
from hearth.privacy.cookies import acknowledged_versions, remember_acknowledged
from hearth.privacy.forms import AcknowledgePolicyForm
from hearth.privacy.models import PolicyDocument


def _officer() -> dict[str, str]:
    return taxonomy.read_toml(taxonomy.DATA_DIR / "privacy_officer.toml")


def _policy_page(request: HttpRequest, kind: str) -> HttpResponse:
    now = clock.now()
    document = selectors.version_in_force(kind, now)
    if document is None:
        raise Http404
    earlier = PolicyDocument.objects.filter(kind=kind, effective_at__lt=document.effective_at)
    return render(
        request,
        "privacy/policy.html",
        {
            "document": document,
            "earlier": earlier.order_by("-effective_at"),
            "officer": _officer() if kind == "privacy" else None,
            "french": (request.LANGUAGE_CODE or "").startswith("fr"),
        },
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
        remember_acknowledged(response, cookie_keys | {d.key for d in pending})
        return response
    return render(
        request,
        "privacy/acknowledge.html",
        {"pending": pending, "form": form, "next": next_url, "brand": settings.HEARTH_BRAND},
        status=400 if request.method == "POST" else 200,
    )
