"""Comms' HTTP interfaces: the signed inbound-parse webhook; the unsubscribe pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hearth.comms import inbound, selectors
from hearth.comms.errors import CommsErrorCode
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
