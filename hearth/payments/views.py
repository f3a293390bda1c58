"""The sandbox provider's own pages: card entry (customer and sales agent) and PayPal approval.

These pages stand in for a processor's hosted pages: Hearth's views never receive a card number.
The card number and CVC are marked sensitive POST parameters, so Django's error reports (see
``hearth.payments.reporting``) never include them, and nothing here logs the request body.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.auth import second_factor_passed
from hearth.accounts.roles import has_role
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.payments import cardtables, selectors, services
from hearth.payments.errors import PaymentsErrorCode
from hearth.payments.forms import CardForm
from hearth.payments.models import HostedSession
from hearth.payments.rules import brand_of

logger = logging.getLogger(__name__)

SENSITIVE = ("card_number", "cvc")

TEST_CARD_NOTES = {
    "approve": gettext_lazy("Approved"),
    "decline_insufficient_funds": gettext_lazy("Declined: insufficient funds"),
    "decline_stolen": gettext_lazy("Declined: stolen card (fraud suspected)"),
    "decline_generic": gettext_lazy("Declined by the issuer"),
    "review": gettext_lazy("Authorised, held for review"),
}


def _test_cards() -> list[dict[str, str]]:
    """The sandbox's test cards, grouped by four digits, with what each does."""
    rows = []
    for number, behaviour in cardtables.sandbox_cards().items():
        brand = brand_of(number, cardtables.brands())
        rows.append(
            {
                "number": " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
                "brand": brand.name if brand else "",
                "outcome": str(TEST_CARD_NOTES[behaviour.value]),
            }
        )
    return rows


def _problem_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request, "payments/problem.html", {"message": str(exc.message)}, status=exc.status
    )


def _merchant() -> str:
    return str(settings.HEARTH_BRAND["name"])


@sensitive_variables("data", "form")
def _card_page(request: HttpRequest, kind: HostedSession.Kind, template: str) -> HttpResponse:
    session_id = request.POST.get("session") if request.method == "POST" else None
    session_id = session_id or request.GET.get("session", "")
    form = CardForm(
        request.POST if request.method == "POST" else None, initial={"session": session_id}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # It reads the hosted session itself, locked, and refuses an unknown or used one.
            target = services.tokenise_card(
                session_id=session_id,
                kind=kind,
                number=data["card_number"],
                exp_month=data["exp_month"],
                exp_year=data["exp_year"],
                cvc=data["cvc"],
                at=clock.now(),
            )
        except DomainError as exc:
            if exc.code in (PaymentsErrorCode.UNKNOWN_SESSION, PaymentsErrorCode.SESSION_CLOSED):
                return _problem_page(request, exc)
            form.add_error(None, str(exc.message))
        else:
            logger.info("sandbox card tokenised for session %s", session_id)
            return HttpResponseRedirect(target)
    session = selectors.hosted_session(session_id, kind)
    if session is None:
        return _problem_page(
            request,
            DomainError(
                PaymentsErrorCode.UNKNOWN_SESSION,
                _("This payment page has expired. Please go back to the shop and try again."),
                status=404,
            ),
        )
    if session.state != HostedSession.State.OPEN:
        return _problem_page(
            request,
            DomainError(
                PaymentsErrorCode.SESSION_CLOSED,
                _("This payment page was already used. Please go back to the shop."),
                status=409,
            ),
        )
    return render(
        request,
        template,
        {
            "form": form,
            "session": session,
            "amount": Decimal(session.amount),
            "merchant": _merchant(),
            "test_cards": _test_cards(),
            "cancel_action": reverse("payments:sandbox_cancel"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _is_sales_agent(request: HttpRequest) -> bool:
    return second_factor_passed(request) and has_role(request.user, "sales_agent")


@sensitive_post_parameters(*SENSITIVE)
@require_http_methods(["GET", "POST"])
def sandbox_card(request: HttpRequest) -> HttpResponse:
    """The provider's card page for a shopper (``?session=cs_...``)."""
    return _card_page(request, HostedSession.Kind.CARD, "payments/card.html")


@sensitive_post_parameters(*SENSITIVE)
@require_http_methods(["GET", "POST"])
def sandbox_agent_card(request: HttpRequest) -> HttpResponse:
    """The provider's card page for a sales agent taking a phone order (TOS-5): staff with the
    sales agent role, past the second factor."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not _is_sales_agent(request):
        return render(
            request,
            "payments/problem.html",
            {"message": _("Only sales agents signed in to the back office may enter cards.")},
            status=403,
        )
    return _card_page(request, HostedSession.Kind.AGENT_CARD, "payments/agent_card.html")


@require_http_methods(["GET", "POST"])
def sandbox_paypal(request: HttpRequest, session_id: str) -> HttpResponse:
    """The PayPal-style approval page: Approve or Cancel."""
    session = selectors.hosted_session(session_id, HostedSession.Kind.PAYPAL)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                return HttpResponseRedirect(
                    services.approve_paypal(session_id=session_id, at=clock.now())
                )
            if action == "cancel":
                return HttpResponseRedirect(
                    services.cancel_session(
                        session_id=session_id, kind=HostedSession.Kind.PAYPAL, at=clock.now()
                    )
                )
        except DomainError as exc:
            return _problem_page(request, exc)
    if session is None or session.state != HostedSession.State.OPEN:
        message = (
            _("This payment page has expired. Please go back to the shop and try again.")
            if session is None
            else _("This payment page was already used. Please go back to the shop.")
        )
        return render(
            request,
            "payments/problem.html",
            {"message": message},
            status=404 if session is None else 409,
        )
    return render(
        request,
        "payments/paypal.html",
        {"session": session, "amount": Decimal(session.amount), "merchant": _merchant()},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def sandbox_cancel(request: HttpRequest) -> HttpResponse:
    """ "Cancel and return to the shop" from a card page."""
    kind = request.POST.get("kind", "")
    if kind == HostedSession.Kind.AGENT_CARD and not _is_sales_agent(request):
        return render(
            request,
            "payments/problem.html",
            {"message": _("Only sales agents signed in to the back office may enter cards.")},
            status=403,
        )
    if kind not in (HostedSession.Kind.CARD, HostedSession.Kind.AGENT_CARD):
        return _problem_page(
            request,
            DomainError(PaymentsErrorCode.UNKNOWN_SESSION, _("Unknown payment page."), status=404),
        )
    try:
        target = services.cancel_session(
            session_id=request.POST.get("session", ""),
            kind=HostedSession.Kind(kind),
            at=clock.now(),
        )
    except DomainError as exc:
        return _problem_page(request, exc)
    return HttpResponseRedirect(target)
