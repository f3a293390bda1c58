"""HTML for warranty outcomes (issue #13 item 5): the customer's claim page (a signed link for
guests and customers alike; My Stuff's address redirects an owner to it) with the advance
replacement and the quote's answer through the provider's hosted card page, and care's page per
RMA (record the decision when inspection has not, repair or replace, send the unit back).

Thin: parse, call :mod:`hearth.aftersales.warranty`, render. Every refusal is a DomainError shown
beside the field it names (or at the top when it names none); nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.auth import second_factor_passed
from hearth.accounts.roles import has_role
from hearth.aftersales import rules
from hearth.aftersales import warranty as services
from hearth.aftersales.models import Rma
from hearth.aftersales.warranty_models import (
    AdvanceReplacement,
    QuoteState,
    WarrantyDecision,
    WarrantyQuote,
)
from hearth.core import clock
from hearth.core.errors import DomainError

CARE_ROLES = ("care_agent", "administrator")


# --- The customer's page -----------------------------------------------------------------------


def _rma_or_404(token: str) -> Rma:
    rma = services.rma_for_link(token)
    if rma is None or rma.kind != rules.ClaimKind.WARRANTY:
        raise Http404
    return rma


def _customer_page(
    request: HttpRequest, rma: Rma, token: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    quote = WarrantyQuote.objects.filter(rma=rma).first()
    decision = WarrantyDecision.objects.filter(rma=rma).first()
    context = {
        "rma": rma,
        "token": token,
        "events": rma.events.all(),
        "units": rma.units.all(),
        "decision": decision,
        "reasons": services.reason_texts(decision.reasons) if decision is not None else [],
        "quote": quote,
        "quote_open": quote is not None and quote.state == QuoteState.OFFERED,
        "advance": AdvanceReplacement.objects.filter(rma=rma).first(),
        "advance_offered": services.advance_replacement_offered(rma),
        "advance_amount": (
            services.advance_amount(rma, at=clock.now())
            if services.advance_replacement_offered(rma)
            else None
        ),
        **extra,
    }
    return render(request, "aftersales/warranty/customer.html", context, status=status)


@require_http_methods(["GET"])
def customer(request: HttpRequest, token: str) -> HttpResponse:
    rma = _rma_or_404(token)
    return _customer_page(request, rma, token, done=request.GET.get("done", ""))


@login_required
@require_http_methods(["GET"])
def my_claim(request: HttpRequest, number: str) -> HttpResponse:
    """My Stuff's address of a claim: its owner goes on to the claim's page."""
    rma = Rma.objects.filter(number=number, customer_id=request.user.pk).first()
    if rma is None or rma.kind != rules.ClaimKind.WARRANTY:
        raise Http404
    return HttpResponseRedirect(services.customer_link(rma))


@require_POST
def advance_start(request: HttpRequest, token: str) -> HttpResponse:
    from hearth.payments.services import start_card_session

    rma = _rma_or_404(token)
    if not services.advance_replacement_offered(rma):
        return _customer_page(
            request,
            rma,
            token,
            status=409,
            error=_("This claim does not qualify for an advance replacement."),
        )
    url = start_card_session(
        amount=services.advance_amount(rma, at=clock.now()),
        reference=rma.number,
        return_url=reverse("warranty:advance_paid", args=[token]),
        cancel_url=reverse("warranty:customer", args=[token]),
    )
    return HttpResponseRedirect(url)


@require_http_methods(["GET"])
def advance_paid(request: HttpRequest, token: str) -> HttpResponse:
    rma = _rma_or_404(token)
    try:
        services.request_advance_replacement(
            rma=rma,
            payment_token=request.GET.get("payment_token", ""),
            actor=request.user,
            at=clock.now(),
        )
    except DomainError as exc:
        return _customer_page(request, rma, token, status=exc.status, error=exc.message)
    return HttpResponseRedirect(reverse("warranty:customer", args=[token]) + "?done=advance")


@require_POST
def quote_accept(request: HttpRequest, token: str) -> HttpResponse:
    from hearth.payments.services import start_card_session

    rma = _rma_or_404(token)
    option = request.POST.get("option", "")
    try:
        amount = services.quote_amount(rma=rma, option=option)
    except DomainError as exc:
        return _customer_page(
            request, rma, token, status=exc.status, error=exc.message, field=exc.fields
        )
    url = start_card_session(
        amount=amount,
        reference=rma.number,
        return_url=reverse("warranty:quote_paid", args=[token]) + f"?option={option}",
        cancel_url=reverse("warranty:customer", args=[token]),
    )
    return HttpResponseRedirect(url)


@require_http_methods(["GET"])
def quote_paid(request: HttpRequest, token: str) -> HttpResponse:
    rma = _rma_or_404(token)
    try:
        services.accept_quote(
            rma=rma,
            option=request.GET.get("option", ""),
            payment_token=request.GET.get("payment_token", ""),
            actor=request.user,
            at=clock.now(),
        )
    except DomainError as exc:
        return _customer_page(
            request, rma, token, status=exc.status, error=exc.message, field=exc.fields
        )
    return HttpResponseRedirect(reverse("warranty:customer", args=[token]) + "?done=accepted")


@require_POST
def quote_decline(request: HttpRequest, token: str) -> HttpResponse:
    rma = _rma_or_404(token)
    try:
        services.decline_quote(rma=rma, actor=request.user, at=clock.now())
    except DomainError as exc:
        return _customer_page(request, rma, token, status=exc.status, error=exc.message)
    return HttpResponseRedirect(reverse("warranty:customer", args=[token]) + "?done=declined")


# --- Care's page per RMA -----------------------------------------------------------------------


def care_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff past the second factor holding the care role (or the administrator)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not second_factor_passed(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not any(has_role(request.user, key) for key in CARE_ROLES):
            return render(
                request,
                "aftersales/warranty/forbidden.html",
                {"message": _("Only customer care decides warranty outcomes.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapped


@care_only
@require_http_methods(["GET"])
def care_home(request: HttpRequest) -> HttpResponse:
    """Care's warranty work lists."""
    return render(request, "aftersales/warranty/care_home.html", services.work_lists())


def _care_rma(number: str) -> Rma:
    rma = Rma.objects.filter(number=number, kind=rules.ClaimKind.WARRANTY).first()
    if rma is None:
        raise Http404
    return rma


def _care_page(request: HttpRequest, rma: Rma, *, status: int = 200, **extra: Any) -> HttpResponse:
    decision = WarrantyDecision.objects.filter(rma=rma).first()
    units = list(rma.units.all())
    context = {
        "rma": rma,
        "units": units,
        "coverages": [(u.serial, services.warranty_end_of(u.serial)) for u in units],
        "events": rma.events.all(),
        "decision": decision,
        "quote": WarrantyQuote.objects.filter(rma=rma).first(),
        "advance": AdvanceReplacement.objects.filter(rma=rma).first(),
        "replacements": rma.warranty_replacements.select_related("order"),
        "may_decide": decision is None and rma.state == rules.RmaState.INSPECTED,
        "may_resolve": decision is not None and decision.covered and not decision.resolution,
        "may_send_back": decision is not None
        and decision.send_back_due
        and decision.sent_back_at is None,
        "exclusions": [
            (e.value, _(rules.REASONS[rules.ReasonCode(e.value)].message)) for e in rules.Exclusion
        ],
        "customer_link": services.customer_link(rma),
        **extra,
    }
    return render(request, "aftersales/warranty/care.html", context, status=status)


@care_only
@require_http_methods(["GET"])
def care(request: HttpRequest, number: str) -> HttpResponse:
    return _care_page(request, _care_rma(number), done=request.GET.get("done", ""))


def _care_step(request: HttpRequest, number: str, step: Callable[[Rma], Any]) -> HttpResponse:
    rma = _care_rma(number)
    try:
        step(rma)
    except DomainError as exc:
        return _care_page(request, rma, status=exc.status, error=exc.message, field=exc.fields)
    return HttpResponseRedirect(reverse("warranty:care", args=[number]) + "?done=1")


@care_only
@require_POST
def care_decide(request: HttpRequest, number: str) -> HttpResponse:
    """Record the inspection's warranty verdict when inspection did not hand it over."""
    verdict = request.POST.get("covered", "")
    known = {e.value for e in rules.Exclusion}
    exclusions = [e for e in request.POST.getlist("exclusions") if e in known]
    if verdict not in {"yes", "no"} or (verdict == "no" and not exclusions):
        rma = _care_rma(number)
        return _care_page(
            request,
            rma,
            status=400,
            error=_("Say whether the claim is covered; a claim not covered names its exclusions."),
            field={"covered": _("Choose covered, or not covered with the exclusions found.")},
        )
    return _care_step(
        request,
        number,
        lambda rma: services.decide_after_inspection(
            rma=rma,
            covered=verdict == "yes",
            reasons=[] if verdict == "yes" else exclusions,
            actor=request.user,
            at=clock.now(),
        ),
    )


@care_only
@require_POST
def care_resolve(request: HttpRequest, number: str) -> HttpResponse:
    return _care_step(
        request,
        number,
        lambda rma: services.resolve_covered(
            rma=rma,
            resolution=request.POST.get("resolution", ""),
            actor=request.user,
            at=clock.now(),
        ),
    )


@care_only
@require_POST
def care_send_back(request: HttpRequest, number: str) -> HttpResponse:
    return _care_step(
        request,
        number,
        lambda rma: services.send_back(rma=rma, actor=request.user, at=clock.now()),
    )


@care_only
@require_http_methods(["GET"])
def care_send_back_label(request: HttpRequest, number: str) -> HttpResponse:
    decision = WarrantyDecision.objects.filter(rma=_care_rma(number)).first()
    if decision is None or not decision.send_back_label_pdf:
        raise Http404
    response = HttpResponse(bytes(decision.send_back_label_pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="send-back-{number}.pdf"'
    return response
