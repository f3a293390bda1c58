"""Beginning a return or claim: My Stuff (the order page's units), the guest order page
(``/track/``), care's form for a caller or a dealer purchase; My Stuff's RMAs with their history.

Thin: forms check the shape, :mod:`hearth.aftersales.services` decides, each refusal is shown
beside its field with its reason (status 400, nothing written).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.auth import second_factor_passed
from hearth.accounts.roles import has_role
from hearth.aftersales import rules, selectors, services
from hearth.aftersales.forms_begin import BeginForm, CareOrderForm, DealerForm
from hearth.aftersales.models import DealerProof, Rma
from hearth.core import clock
from hearth.core.audit import Actor
from hearth.core.client_address import client_of
from hearth.core.clock import EASTERN
from hearth.core.errors import DomainError
from hearth.orders.models import Order
from hearth.orders.selectors import order_for_owner
from hearth.privacy.staff_audit import audit_staff_read

CARE_ROLES = ("care_agent", "administrator")


def _show_refusal(form: Form, error: DomainError) -> None:
    """The service's refusal beside its field (or above the form when it names none)."""
    placed = False
    for field, message in error.fields.items():
        if field in form.fields:
            form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


def _unit_rows(order: Order, *, on: dt.date) -> list[dict[str, Any]]:
    """Each shipped unit of the order with its windows, for the begin page."""
    rows = []
    sold = selectors.is_sale(order)
    for unit in selectors.shipped_units(order):
        shipped_on = unit.shipped_on
        returnable = bool(sold and shipped_on)
        rows.append(
            {
                "unit": unit,
                "return_deadline": (
                    rules.return_deadline(shipped_on) if returnable and shipped_on else None
                ),
                "warranty_end": selectors.warranty_end(unit, sold=sold),
                "return_open": bool(
                    returnable
                    and shipped_on
                    and rules.return_window_open(shipped_on=shipped_on, on=on)
                ),
                "open_rma": selectors.open_rma_for(unit.serial),
            }
        )
    return rows


def _begin_form(order: Order, data: Any = None) -> BeginForm:
    choices = [(u.serial, f"{u.sku} {u.serial}") for u in selectors.shipped_units(order)]
    return BeginForm(data, serial_choices=choices)


def _begin(form: BeginForm, *, order: Order, actor: Actor) -> Rma | None:
    if not form.is_valid():
        return None
    try:
        return services.begin_order_rma(
            order=order,
            serials=form.cleaned_data["serials"],
            kind=form.cleaned_data["kind"],
            problem=form.cleaned_data["problem"],
            return_method=form.cleaned_data["return_method"],
            advance_replacement=form.cleaned_data["advance_replacement"],
            actor=actor,
            at=clock.now(),
        )
    except DomainError as error:
        _show_refusal(form, error)
        return None


# --- My Stuff ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_begin(request: HttpRequest, order_number: str) -> HttpResponse:
    """The owner begins a 45-day return or a warranty claim for units of their order."""
    order = order_for_owner(user=request.user, number=order_number)
    form = _begin_form(order, request.POST or None)
    status = 200
    if request.method == "POST":
        rma = _begin(form, order=order, actor=request.user)
        if rma is not None and rma.advance_replacement:
            # The advance replacement ships once the card is authorised (TOS-24): warranty's page.
            return HttpResponseRedirect(reverse("warranty:my_claim", args=[rma.number]))
        if rma is not None:
            return HttpResponseRedirect(reverse("aftersales:my_rma", args=[rma.number]))
        status = 400
    context = {
        "order": order,
        "form": form,
        "units": _unit_rows(order, on=clock.now().astimezone(EASTERN).date()),
        "action": reverse("aftersales:my_begin", args=[order.number]),
    }
    return render(request, "aftersales/begin.html", context, status=status)


@login_required
def my_rmas(request: HttpRequest) -> HttpResponse:
    """My Stuff: every RMA of the customer, newest first, each with its history."""
    return render(request, "aftersales/my_rmas.html", {"rmas": selectors.rmas_for(request.user)})


@login_required
def my_rma(request: HttpRequest, number: str) -> HttpResponse:
    rma = selectors.rma_for_owner(user=request.user, number=number)
    return render(request, "aftersales/my_rma.html", {"rma": rma})


@login_required
def my_label(request: HttpRequest, number: str) -> HttpResponse:
    rma = selectors.rma_for_owner(user=request.user, number=number)
    return _label_response(rma)


def _label_response(rma: Rma) -> HttpResponse:
    if not rma.label_pdf:
        raise Http404
    response = HttpResponse(bytes(rma.label_pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{rma.number}-return-label.pdf"'
    return response


# --- Guests (from the /track/ order page) ------------------------------------------------------


@require_POST
def guest_begin(request: HttpRequest) -> HttpResponse:
    """A guest begins one from the order page: the order number, email and postal code that
    found the order come with every post (rate-limited like the look-up; every miss gets the
    look-up's one answer). ``step=start`` shows the form; ``step=begin`` begins."""
    from hearth.fulfilment.forms import GuestLookupForm
    from hearth.fulfilment.selectors import guest_order
    from hearth.fulfilment.services import client_key, count_lookup

    lookup = GuestLookupForm(request.POST)
    miss = _(
        "We found no order with these details. Check the order number, the email address and "
        "the postal code it was shipped to."
    )
    if not lookup.is_valid():
        return render(request, "aftersales/guest_miss.html", {"message": miss}, status=404)
    try:
        count_lookup(client=client_key(client_of(request)), at=clock.now())
    except DomainError as error:
        return render(
            request, "aftersales/guest_miss.html", {"message": error.message}, status=error.status
        )
    order = guest_order(**lookup.cleaned_data)
    if order is None:
        return render(request, "aftersales/guest_miss.html", {"message": miss}, status=404)
    starting = request.POST.get("step") != "begin"
    form = _begin_form(order, None if starting else request.POST)
    status = 200
    if not starting:
        rma = _begin(form, order=order, actor=request.user)
        if rma is not None:
            from hearth.aftersales.warranty import customer_link

            context = {"rma": rma, "claim_link": customer_link(rma)}
            return render(request, "aftersales/guest_begun.html", context, status=201)
        status = 400
    context = {
        "order": order,
        "form": form,
        "lookup": lookup.cleaned_data,
        "units": _unit_rows(order, on=clock.now().astimezone(EASTERN).date()),
        "action": reverse("aftersales:guest_begin"),
    }
    return render(request, "aftersales/begin.html", context, status=status)


# --- Care (back office) ------------------------------------------------------------------------


def care_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff past the second factor holding the care role (or the administrator)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not second_factor_passed(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not any(has_role(request.user, key) for key in CARE_ROLES):
            return render(
                request,
                "aftersales/care/forbidden.html",
                {"message": _("Only customer care works here.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapped


@care_only
@require_http_methods(["GET", "POST"])
def care_begin(request: HttpRequest) -> HttpResponse:
    """Care begins a return or claim for a caller (by order number and serials), or a warranty
    claim for a dealer purchase with its receipt."""
    mode = request.POST.get("mode", "")
    order_form = CareOrderForm(request.POST if mode == "order" else None, prefix="o")
    dealer_form = DealerForm(
        request.POST if mode == "dealer" else None,
        request.FILES if mode == "dealer" else None,
        prefix="d",
    )
    status = 200
    if request.method == "POST":
        rma = None
        if mode == "order":
            rma = _care_order(request, order_form)
        elif mode == "dealer":
            rma = _care_dealer(request, dealer_form)
        if rma is not None:
            return HttpResponseRedirect(reverse("aftersales:care_rma", args=[rma.number]))
        status = 400
    return render(
        request,
        "aftersales/care/begin.html",
        {"order_form": order_form, "dealer_form": dealer_form},
        status=status,
    )


def _care_order(request: HttpRequest, form: CareOrderForm) -> Rma | None:
    if not form.is_valid():
        return None
    order = Order.objects.filter(number=form.cleaned_data["order_number"].strip()).first()
    if order is None:
        form.add_error("order_number", _("There is no order with this number."))
        return None
    try:
        return services.begin_order_rma(
            order=order,
            serials=form.serial_list(),
            kind=form.cleaned_data["kind"],
            problem=form.cleaned_data["problem"],
            return_method=form.cleaned_data["return_method"],
            advance_replacement=form.cleaned_data["advance_replacement"],
            actor=request.user,
            at=clock.now(),
        )
    except DomainError as error:
        if "serials" in error.fields:
            error.fields["serials_text"] = error.fields.pop("serials")
        _show_refusal(form, error)
        return None


def _care_dealer(request: HttpRequest, form: DealerForm) -> Rma | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.begin_dealer_rma(
            purchase=services.DealerPurchase(
                serial=data["serial"],
                retail_purchased_on=data["retail_purchased_on"],
                dealer=data["dealer"],
                receipt=form.receipt_content(),
            ),
            contact=services.Contact(
                name=data["contact_name"],
                email=data["email"],
                phone=data["phone"],
                lines=(data["address_line"],),
                city=data["city"],
                province=data["province"].upper(),
                postal_code=data["postal_code"].upper(),
            ),
            problem=data["problem"],
            advance_replacement=data["advance_replacement"],
            actor=request.user,
            at=clock.now(),
        )
    except DomainError as error:
        if "serials" in error.fields:
            error.fields["serial"] = error.fields.pop("serials")
        _show_refusal(form, error)
        return None


@care_only
@require_http_methods(["GET", "POST"])
def care_rma(request: HttpRequest, number: str) -> HttpResponse:
    """Care's page of one RMA (its units, history, label, receipt); care may cancel one that is
    requested or issued (the customer is told by email)."""
    rma = selectors.rma_by_number(number)
    audit_staff_read(request, model=Rma, object_id=str(rma.pk))
    status = 200
    error = ""
    if request.method == "POST":
        try:
            services.cancel_rma(
                rma=rma, actor=request.user, at=clock.now(), note=request.POST.get("note", "")
            )
        except DomainError as refused:
            error, status = str(refused.message), refused.status
        else:
            return HttpResponseRedirect(reverse("aftersales:care_rma", args=[rma.number]))
    return render(
        request,
        "aftersales/care/rma.html",
        {
            "rma": rma,
            "may_cancel": rules.RmaEventKind.CANCEL
            in rules.allowed_events(rules.RmaState(rma.state)),
            "proof": DealerProof.objects.filter(rma=rma).only("content_type", "size").first(),
            "error": error,
        },
        status=status,
    )


@care_only
def care_label(request: HttpRequest, number: str) -> HttpResponse:
    return _label_response(selectors.rma_by_number(number))


@care_only
def care_receipt(request: HttpRequest, number: str) -> HttpResponse:
    """A dealer purchase's receipt, decrypted for care (each read audited)."""
    rma = selectors.rma_by_number(number)
    proof = DealerProof.objects.filter(rma=rma).first()
    if proof is None:
        raise Http404
    audit_staff_read(request, model=DealerProof, object_id=str(proof.pk))
    response = HttpResponse(services.receipt_bytes(proof), content_type=proof.content_type)
    response["Content-Disposition"] = f'inline; filename="{rma.number}-receipt"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
