"""Comms' HTTP interfaces: the signed inbound-parse webhook; the unsubscribe pages."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from hearth.comms import campaigns, inbound, rules, selectors, suppression
from hearth.comms.errors import CommsErrorCode
from hearth.comms.forms import UnsubscribeByEmailForm
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.signatures import signature_valid

INBOUND_SIGNATURE_HEADER = "X-Hearth-Signature"


@csrf_exempt
@require_POST
def inbound_webhook(request: HttpRequest) -> JsonResponse:
    """A provider's inbound-parse webhook: the raw message (RFC 5322) as the body, signed with
    ``HEARTH_INBOUND_SECRET`` in ``X-Hearth-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
    "<t>." + body>``. Bad signature 403; too big 413 (refused before the body is read);
    malformed 400; else 200 with what was done."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    try:
        inbound.check_size(length)
        body = request.read(selectors.inbound_policy().max_bytes + 1)
        inbound.check_size(len(body))
        now = clock.now()
        if not signature_valid(
            secret=settings.HEARTH_INBOUND_SECRET,
            header=request.headers.get(INBOUND_SIGNATURE_HEADER, ""),
            body=body,
            now_unix=int(now.timestamp()),
        ):
            raise DomainError(
                CommsErrorCode.INBOUND_BAD_SIGNATURE,
                _("The message's signature does not match."),
                status=403,
            )
        disposition = inbound.receive(body, at=now)
    except DomainError as error:
        return JsonResponse(error.as_body(), status=error.status)
    return JsonResponse({"disposition": str(disposition)}, status=200)


def _masked(address: str) -> str:
    local, _at, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


@csrf_exempt  # RFC 8058: the mail provider's one-click POST carries no CSRF token; the signed
# token in the address is what authorises it, and it can only unsubscribe
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The unsubscribe link (GET: a page with one button; POST: unsubscribed at once) and the
    ``List-Unsubscribe`` https address (RFC 8058 one-click: a POST whose body is
    ``List-Unsubscribe=One-Click``). No sign-in. A tampered or expired token: a page that still
    lets the person unsubscribe by email (400)."""
    try:
        signed = campaigns.read_unsubscribe_token(token)
    except signing.BadSignature:
        page = {"form": UnsubscribeByEmailForm(), "bad_link": True, "mailbox": _mailbox()}
        return render(request, "comms/unsubscribe_by_email.html", page, status=400)
    context: dict[str, object] = {"masked": _masked(signed.address), "done": False}
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        suppression.unsubscribe(
            address=signed.address,
            reason=(
                rules.SuppressionReason.ONE_CLICK
                if one_click
                else rules.SuppressionReason.UNSUBSCRIBE_LINK
            ),
            at=clock.now(),
            source="one-click unsubscribe (RFC 8058)" if one_click else "unsubscribe link",
            campaign_id=signed.campaign_id,
        )
        context["done"] = True
    return render(request, "comms/unsubscribe.html", context)


def _mailbox() -> str:
    return str(settings.HEARTH_UNSUBSCRIBE_MAILBOX)


@require_http_methods(["GET", "POST"])
def unsubscribe_by_email(request: HttpRequest) -> HttpResponse:
    """Unsubscribe when no link works: give the address, get a fresh link by email (the same
    answer whether or not we know the address)."""
    form = UnsubscribeByEmailForm(request.POST or None)
    context: dict[str, object] = {"form": form, "mailbox": _mailbox(), "sent": False}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "comms/unsubscribe_by_email.html", context, status=400)
        campaigns.send_unsubscribe_link(address=form.cleaned_data["email"], at=clock.now())
        context["sent"] = True
    return render(request, "comms/unsubscribe_by_email.html", context)
