"""HTML for people: My Stuff orders (owner only) and the sales agents' phone orders (TOS-5)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hearth.accounts.auth import second_factor_passed
from hearth.accounts.roles import has_role
from hearth.core import clock
from hearth.core.client_address import client_of
from hearth.core.errors import DomainError
from hearth.core.ids import random_token
from hearth.core.languages import choose_language
from hearth.orders import rules, selectors, services
from hearth.orders.errors import PaymentDeclined
from hearth.orders.forms import (
    NonAcceptanceForm,
    PhoneCustomerForm,
    PhoneOrderForm,
    RefundForm,
)
from hearth.orders.invoices import render_credit_note_pdf, render_invoice_pdf
from hearth.orders.models import Channel, Order, PaymentMethod

# --- My Stuff (PP-15, TOS-11).


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    return render(
        request, "orders/my_orders.html", {"orders": selectors.orders_for(user=request.user)}
    )


@login_required
def my_order(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_for_owner(user=request.user, number=number)
    return render(
        request,
        "orders/my_order.html",
        {
            "order": order,
            "lines": order.lines.all(),
            "may_cancel": rules.customer_may_cancel(order.status)
            and order.channel != rules.Channel.REPLACEMENT,
            "credit_notes": order.credit_notes.all(),
        },
    )


@login_required
@require_http_methods(["POST"])
def my_order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """The customer cancels their order until picking starts (full refund or void, an email)."""
    order = selectors.order_for_owner(user=request.user, number=number)
    try:
        services.cancel_by_customer(order=order, actor=request.user, at=clock.now())
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Order %(number)s is cancelled. We sent you an email.") % {"number": order.number},
        )
    return HttpResponseRedirect(reverse("orders:my_order", args=[order.number]))


@require_http_methods(["POST"])
def guest_cancel(request: HttpRequest) -> HttpResponse:
    """A guest cancels from the order page: the same number, email and postal code that found
    the order (rate-limited like the look-up); every miss gets the look-up's one answer."""
    from hearth.fulfilment.forms import GuestLookupForm
    from hearth.fulfilment.selectors import guest_order
    from hearth.fulfilment.services import client_key, count_lookup

    form = GuestLookupForm(request.POST)
    message = _(
        "We found no order with these details. Check the order number, the email address and "
        "the postal code it was shipped to."
    )
    status = 404
    if form.is_valid():
        try:
            count_lookup(client=client_key(client_of(request)), at=clock.now())
        except DomainError as exc:
            return render(
                request,
                "orders/guest_cancelled.html",
                {"message": exc.message},
                status=exc.status,
            )
        order = guest_order(**form.cleaned_data)
        if order is not None:
            try:
                services.cancel_by_customer(order=order, actor=request.user, at=clock.now())
            except DomainError as exc:
                message, status = str(exc.message), exc.status
            else:
                message = _("Order %(number)s is cancelled. We sent you an email.") % {
                    "number": order.number
                }
                status = 200
    return render(request, "orders/guest_cancelled.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
def pay_again(request: HttpRequest, token: str) -> HttpResponse:
    """The customer pays again for an order whose payment hold lapsed and could not be renewed:
    the emailed link opens this page; paying goes through the provider's hosted card page."""
    from hearth.payments.services import start_card_session

    order = services.order_for_pay_again(token)
    if order is None:
        raise Http404
    if request.method == "POST":
        url = start_card_session(
            amount=order.grand_total,
            reference=order.number,
            return_url=reverse("orders:pay_again_return", args=[token]),
            cancel_url=reverse("orders:pay_again", args=[token]),
        )
        return HttpResponseRedirect(url)
    return render(request, "orders/pay_again.html", {"order": order})


@require_http_methods(["GET"])
def pay_again_return(request: HttpRequest, token: str) -> HttpResponse:
    order = services.order_for_pay_again(token)
    if order is None:
        raise Http404
    try:
        paid = services.pay_again(
            order=order,
            payment_token=request.GET.get("payment_token", ""),
            actor=request.user,
            at=clock.now(),
        )
    except DomainError as exc:
        return render(
            request, "orders/pay_again.html", {"order": order, "error": exc.message}, status=402
        )
    return render(request, "orders/pay_again.html", {"order": paid, "paid": True})


@login_required
def my_order_invoice(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_for_owner(user=request.user, number=number)
    response = HttpResponse(render_invoice_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{order.invoice_number}.pdf"'
    return response


def guest_credit_note(request: HttpRequest, token: str) -> HttpResponse:
    """A credit note's PDF by the signed link the /track/ order page gives a guest who proved
    the order (number, email, postal code); 404 for a forged, altered or stale link."""
    from hearth.orders.guest_links import credit_note_from_token

    credit_note = credit_note_from_token(token)
    if credit_note is None:
        raise Http404
    response = HttpResponse(render_credit_note_pdf(credit_note), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-note-{credit_note.number}.pdf"'
    return response


@login_required
def my_credit_note(request: HttpRequest, number: str, note: str) -> HttpResponse:
    """A credit note of the customer's own order as PDF (404 for anyone else's)."""
    order = selectors.order_for_owner(user=request.user, number=number)
    credit_note = get_object_or_404(order.credit_notes, number=note)
    response = HttpResponse(render_credit_note_pdf(credit_note), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-note-{credit_note.number}.pdf"'
    return response


# --- Phone orders (TOS-5, TOS-12): sales agents past the second factor.

SESSION_KEY = "hearth_phone_orders"


def sales_agent_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not second_factor_passed(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not has_role(request.user, "sales_agent"):
            return render(
                request,
                "orders/phone/forbidden.html",
                {"message": _("Only sales agents take phone orders.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapped


def _drafts(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return request.session.setdefault(SESSION_KEY, {})


def _draft_data(request: HttpRequest, draft_id: str) -> dict[str, Any]:
    data = _drafts(request).get(draft_id)
    if data is None:
        raise Http404
    return data


def _save(request: HttpRequest, draft_id: str, data: dict[str, Any]) -> None:
    drafts = _drafts(request)
    drafts[draft_id] = data
    request.session.modified = True


def _draft(data: dict[str, Any]) -> rules.OrderDraft:
    from hearth.accounts.models import User

    form = data["form"]
    return rules.OrderDraft(
        lines=[(sku, int(q)) for sku, q in form["lines"]],
        customer=User.objects.get(pk=data["customer_id"]) if data.get("customer_id") else None,
        email=data["email"],
        name=form["name"],
        phone=form["phone"],
        shipping_address={
            "lines": form["address_lines"].splitlines(),
            "city": form["city"],
            "province": form["province"].upper(),
            "postal_code": form["postal_code"],
            "country": form["country"].upper(),
        },
        attestations=rules.Attestations(
            adult=form["adult"], end_user=form["end_user"], accurate=form["accurate"]
        ),
        discount_code=form["discount_code"] or None,
        bc_pst_number=form["bc_pst_number"] or None,
        marketing_opt_in=form["marketing_opt_in"],
        marketing_opt_out=bool(form.get("marketing_opt_out")),
        shipping_method=form.get("shipping_method") or "standard",
        language=choose_language(form.get("language")),
    )


def _show_error(form: Any, exc: DomainError) -> None:
    names = {
        "attestations.adult": "adult",
        "attestations.end_user": "end_user",
        "attestations.accurate": "accurate",
        "shipping_address.lines": "address_lines",
        "shipping_address.city": "city",
        "shipping_address.province": "province",
        "shipping_address.postal_code": "postal_code",
        "shipping_address.country": "country",
        "bc_pst_number": "bc_pst_number",
        "discount_code": "discount_code",
        "province": "province",
    }
    placed = False
    for field, message in exc.fields.items():
        name = names.get(field, "lines" if field.startswith("lines") else None)
        if name is not None:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


@sales_agent_only
@require_http_methods(["GET", "POST"])
def phone_start(request: HttpRequest) -> HttpResponse:
    """Find the customer by email, or create them."""
    form = PhoneCustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer = services.find_or_create_customer(
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            actor=request.user,
        )
        draft_id = random_token(12)
        # None: an account holds this email unproven, so the order is a guest order (PP-15).
        email = customer.email if customer is not None else form.cleaned_data["email"].lower()
        customer_id = customer.pk if customer is not None else None
        _save(request, draft_id, {"customer_id": customer_id, "email": email})
        return HttpResponseRedirect(reverse("orders:phone_build", args=[draft_id]))
    return render(request, "orders/phone/start.html", {"form": form})


@sales_agent_only
@require_http_methods(["GET", "POST"])
def phone_build(request: HttpRequest, draft_id: str) -> HttpResponse:
    """Build the order: products, address, the attestations read to the customer."""
    data = _draft_data(request, draft_id)
    initial = dict(data.get("form") or {"country": "CA"})
    if not data.get("form") and data.get("customer_id"):
        from hearth.accounts.models import User

        customer = User.objects.filter(pk=data["customer_id"]).first()
        initial["marketing_opt_in"] = selectors.express_marketing_in_force(
            customer=customer, at=clock.now()
        )
        # Issue #16: the customer's stored language, for the agent to confirm with them.
        initial["language"] = choose_language(getattr(customer, "language", ""))
    if isinstance(initial.get("lines"), list):
        initial["lines"] = "\n".join(f"{sku} {q}" for sku, q in initial["lines"])
    form = PhoneOrderForm(
        request.POST or None,
        initial=initial,
        picker=selectors.phone_picker(),
        methods=selectors.phone_shipping_choices(at=clock.now()),
    )
    if request.method == "POST" and form.is_valid():
        data["form"] = {k: v for k, v in form.cleaned_data.items() if not k.startswith("qty_")}
        try:
            services.quote_order(draft=_draft(data), channel=Channel.PHONE, at=clock.now())
        except DomainError as exc:
            _show_error(form, exc)
        else:
            _save(request, draft_id, data)
            return HttpResponseRedirect(reverse("orders:phone_summary", args=[draft_id]))
    return render(
        request,
        "orders/phone/build.html",
        {"form": form, "email": data["email"], "draft_id": draft_id},
    )


@sales_agent_only
@require_http_methods(["GET", "POST"])
def phone_summary(request: HttpRequest, draft_id: str) -> HttpResponse:
    """The printable summary the agent reads back; on the customer's yes, the card is taken."""
    data = _draft_data(request, draft_id)
    if "form" not in data:
        return HttpResponseRedirect(reverse("orders:phone_build", args=[draft_id]))
    try:
        quoted = services.quote_order(draft=_draft(data), channel=Channel.PHONE, at=clock.now())
    except DomainError:
        return HttpResponseRedirect(reverse("orders:phone_build", args=[draft_id]))
    if request.method == "POST":
        from hearth.payments.services import start_agent_card_session

        url = start_agent_card_session(
            amount=quoted.price.total.amount,
            reference=f"phone-{draft_id}",
            return_url=reverse("orders:phone_place", args=[draft_id]),
            cancel_url=reverse("orders:phone_summary", args=[draft_id]),
        )
        return HttpResponseRedirect(url)
    return render(
        request,
        "orders/phone/summary.html",
        {"quote": quoted, "draft": _draft(data), "draft_id": draft_id, "email": data["email"]},
    )


@sales_agent_only
@require_http_methods(["GET", "POST"])
def phone_place(request: HttpRequest, draft_id: str) -> HttpResponse:
    """Back from the agent card page with a token: charge and place the order (channel phone)."""
    data = _draft_data(request, draft_id)
    token = request.POST.get("payment_token") or request.GET.get("payment_token", "")
    if not token or "form" not in data:
        return HttpResponseRedirect(reverse("orders:phone_summary", args=[draft_id]))
    error = None
    if request.method == "POST":
        try:
            order = services.place_order(
                draft=_draft(data),
                payment_token=token,
                payment_method=PaymentMethod.CARD,
                idempotency_key=f"phone-{draft_id}-{token}",
                channel=Channel.PHONE,
                at=clock.now(),
                actor=request.user,
            )
        except PaymentDeclined as exc:
            error = str(exc.message)
        except DomainError as exc:
            error = str(exc.message)
        else:
            _drafts(request).pop(draft_id, None)
            request.session.modified = True
            return HttpResponseRedirect(reverse("orders:phone_done", args=[order.number]))
    return render(
        request,
        "orders/phone/place.html",
        {"token": token, "draft_id": draft_id, "error": error, "email": data["email"]},
        status=402 if error else 200,
    )


@sales_agent_only
def phone_done(request: HttpRequest, number: str) -> HttpResponse:
    order = Order.objects.filter(number=number, channel=Channel.PHONE).first()
    if order is None:
        raise Http404
    return render(request, "orders/phone/done.html", {"order": order, "lines": order.lines.all()})


# --- Back office: the acceptance review queue (TOS-6, TOS-9, TOS-21) and refunds.


def staff_with_perm(
    perm: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Staff past the second factor who hold ``perm``; others get a 403 page."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not second_factor_passed(request):
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not request.user.has_perm(perm):
                return render(
                    request,
                    "orders/phone/forbidden.html",
                    {"message": _("Your role does not include this work.")},
                    status=403,
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@staff_with_perm("orders.review_order")
def review_queue(request: HttpRequest) -> HttpResponse:
    held = selectors.orders_on_hold()
    return render(
        request,
        "orders/backoffice/review.html",
        {"orders": held, "cancel_form": NonAcceptanceForm()},
    )


def _order_or_404(number: str) -> Order:
    order = selectors.order_by_number(number)
    if order is None:
        raise Http404
    return order


@staff_with_perm("orders.review_order")
@require_http_methods(["POST"])
def review_clear(request: HttpRequest, number: str) -> HttpResponse:
    """Accept a held order: capture the payment and release it (TOS-8, TOS-21); while a
    backordered line waits for stock it goes back to placed and is released when stock comes."""
    order = _order_or_404(number)
    if order.status != rules.Status.ON_HOLD:
        messages.error(request, _("Order %(n)s is not on hold.") % {"n": order.number})
    else:
        try:
            cleared = services.clear_hold(order=order, actor=request.user, at=clock.now())
        except DomainError as exc:
            messages.error(request, f"{order.number}: {exc.message}")
        else:
            if cleared.status == rules.Status.RELEASED:
                messages.success(request, _("%(n)s released.") % {"n": order.number})
            else:
                messages.success(
                    request,
                    _("%(n)s cleared; it is released when its stock arrives.")
                    % {"n": order.number},
                )
    return HttpResponseRedirect(reverse("orders:review_queue"))


@staff_with_perm("orders.review_order")
@require_http_methods(["POST"])
def review_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """Do not accept a held order: a TOS-9 reason, refund or void, and an email (TOS-6)."""
    order = _order_or_404(number)
    form = NonAcceptanceForm(request.POST)
    if order.status != rules.Status.ON_HOLD:
        messages.error(request, _("Order %(n)s is not on hold.") % {"n": order.number})
    elif not form.is_valid():
        messages.error(request, _("Choose the reason the order is not accepted."))
    else:
        try:
            services.cancel_order(
                order=order,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                actor=request.user,
                at=clock.now(),
            )
        except DomainError as exc:
            messages.error(request, f"{order.number}: {exc.message}")
        else:
            messages.success(request, _("%(n)s cancelled.") % {"n": order.number})
    return HttpResponseRedirect(reverse("orders:review_queue"))


@staff_with_perm("orders.refund_order")
def refund(request: HttpRequest, number: str) -> HttpResponse:
    """Give money back on one order, with a reason and an email (before shipment: in full,
    which cancels the order and its shipment first)."""
    order = _order_or_404(number)
    form = RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.refund_order(
                order=order,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                at=clock.now(),
            )
        except DomainError as exc:
            field = next((f for f in exc.fields if f in form.fields), None)
            form.add_error(field, str(exc.message))
        else:
            messages.success(request, _("Refund made on %(n)s.") % {"n": order.number})
            return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
    money = selectors.money_of(order)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "orders/backoffice/refund.html",
        {"order": order, "form": form, "money": money},
        status=status,
    )


@staff_with_perm("orders.view_order")
def staff_credit_note(request: HttpRequest, number: str) -> HttpResponse:
    """A credit note's PDF for staff who may see orders (finance, care), past the second factor."""
    from hearth.orders.models import CreditNote

    credit_note = get_object_or_404(CreditNote.objects.select_related("order"), number=number)
    response = HttpResponse(render_credit_note_pdf(credit_note), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-note-{credit_note.number}.pdf"'
    return response
