"""The web checkout (TOS-4), without JavaScript: basket, then contact, address, delivery,
payment, review and place, then the confirmation.

What the shopper entered lives in the session (``SESSION_STATE``) until the order is placed; a
step whose earlier steps are missing (a new or expired session) sends the shopper back to the
first missing one with a message, and the basket is never touched by that. Prices always come
from the catalogue. The review page carries a one-time token, stored in the session and used as
the order's idempotency key, so a second click or a replayed form never places a second order.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.accounts.selectors import addresses_for
from hearth.accounts.services import AddressInput, add_address
from hearth.checkout import placing, selectors, services
from hearth.checkout.forms import (
    NEW_ADDRESS,
    AddressForm,
    AddToBasketForm,
    AgeForm,
    ChangeQuantityForm,
    ContactForm,
    DeliveryForm,
    PaymentMethodForm,
    PlaceOrderForm,
    SavedAddressForm,
    apply_domain_error,
)
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.ids import random_token
from hearth.core.l10n import human_date, money
from hearth.core.languages import active_language
from hearth.discounts import services as discounts
from hearth.fulfilment.selectors import care_contact_message
from hearth.orders.errors import OrdersErrorCode, RefusedAfterAuthorisation
from hearth.orders.selectors import TermsOffer, terms_offer
from hearth.privacy.selectors import version_in_force

SESSION_STATE = services.CHECKOUT_SESSION_STATE
SESSION_PLACED = "checkout_placed"  # {place token: order number}: replays land on the order
# The 18+ question comes first, before any personal information (issue #10 item 11).
STEPS = ("age", "contact", "address", "delivery", "payment")
# Asked together on the one-page form (``details``); their own pages stay for the review page's
# "change" links and for a session that lost one of them.
DETAILS_STEPS = ("contact", "address", "delivery", "payment")


def _state(request: HttpRequest) -> dict[str, Any]:
    """The checkout so far; an abandoned one (idle past ``rules.CHECKOUT_IDLE``) is purged
    here too, besides by the periodic ``tasks.purge_abandoned_checkouts``."""
    state = dict(request.session.get(SESSION_STATE) or {})
    if state and services.checkout_state_abandoned(state, at=clock.now()):
        request.session.pop(SESSION_STATE, None)
        return {}
    return state


def _save(request: HttpRequest, state: dict[str, Any]) -> None:
    state["touched_at"] = clock.now().isoformat()
    request.session[SESSION_STATE] = state


def _touch(request: HttpRequest, state: dict[str, Any]) -> None:
    """Keep a checkout that is only looked at alive (its idle clock), writing the session at
    most once per ``rules.CHECKOUT_TOUCH_EVERY`` instead of on every page view."""
    if services.checkout_touch_due(state, at=clock.now()):
        _save(request, state)


def _shopper(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return discounts.shopper_key(f"user:{request.user.pk}")
    if not request.session.session_key:
        request.session.save()
    return discounts.shopper_key(f"session:{request.session.session_key}")


def _lines(request: HttpRequest) -> list[tuple[str, int]]:
    """The basket's (sku, quantity) lines, read once per request (one query): every view that
    changes the basket redirects after the change, so no request reads its own change."""
    lines: list[tuple[str, int]] | None = getattr(request, "_checkout_lines", None)
    if lines is None:
        lines = selectors.request_basket_lines(request)
        request._checkout_lines = lines  # type: ignore[attr-defined]
        services.remember_item_count(request, sum(quantity for _, quantity in lines))
    return list(lines)


def _missing_step(state: dict[str, Any], upto: str) -> str | None:
    for step in STEPS:
        if step == upto:
            return None
        if not state.get(step):
            return step
    return None


def _guard(request: HttpRequest, step: str) -> HttpResponse | None:
    """Send the shopper to the basket (if empty) or to the first step not done yet."""
    if not _lines(request):
        messages.error(request, _("Your basket is empty: add a product before checking out."))
        return redirect("checkout:basket")
    missing = _missing_step(_state(request), step)
    if missing is not None:
        if request.method == "POST":
            messages.error(
                request,
                _(
                    "Your checkout session expired, so some details are missing. Your basket is "
                    "kept; please enter them again."
                ),
            )
        return redirect(f"checkout:{missing}")
    return None


# --- Basket.


def basket_page(request: HttpRequest) -> HttpResponse:
    summary = selectors.summarise(_lines(request))
    rows = [
        (line, ChangeQuantityForm(initial={"quantity": line.quantity}, prefix=line.sku))
        for line in summary.lines
    ]
    # "Checkout now" goes straight to the step the start would send the shopper to (no redirect
    # hop); with problems in the basket it goes to the start, whose checks say what to fix.
    first = None if summary.is_empty or summary.problems else _first_step(request)
    checkout_url = reverse(f"checkout:{first}") if first else reverse("checkout:start")
    return render(
        request,
        "checkout/basket.html",
        {"summary": summary, "rows": rows, "checkout_url": checkout_url},
    )


@require_POST
def basket_add(request: HttpRequest) -> HttpResponse:
    form = AddToBasketForm(request.POST)
    back = request.META.get("HTTP_REFERER") or reverse("checkout:basket")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                # Iterating an ErrorList yields messages; the stub types its stored items.
                messages.error(request, error)  # type: ignore[arg-type]
        return HttpResponseRedirect(back if back.startswith("/") else reverse("checkout:basket"))
    try:
        services.add_to_request_basket(
            request,
            sku=form.cleaned_data["sku"],
            quantity=form.cleaned_data["quantity"],
            at=clock.now(),
            actor=request.user if request.user.is_authenticated else None,
        )
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("checkout:basket")
    # The count the basket page will show (it counts the lines and corrects this if another
    # tab changed the basket): written with this request's session, not by the page's GET.
    services.remember_item_count(
        request, selectors.remembered_item_count(request) + form.cleaned_data["quantity"]
    )
    messages.success(request, _("Added to your basket."))
    return redirect("checkout:basket")


@require_POST
def basket_change(request: HttpRequest, sku: str) -> HttpResponse:
    form = ChangeQuantityForm(request.POST, prefix=sku)
    basket = selectors.basket_for(request)
    if basket is None:
        messages.error(request, _("Your basket is empty."))
        return redirect("checkout:basket")
    if not form.is_valid():
        for error in form.errors.get("quantity", []):
            # Iterating an ErrorList yields messages; the stub types its stored items.
            messages.error(request, error)  # type: ignore[arg-type]
        return redirect("checkout:basket")
    try:
        services.change_quantity(
            basket=basket,
            sku=sku,
            quantity=form.cleaned_data["quantity"],
            at=clock.now(),
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Your basket was updated."))
    return redirect("checkout:basket")


@require_POST
def basket_remove(request: HttpRequest, sku: str) -> HttpResponse:
    basket = selectors.basket_for(request)
    if basket is not None:
        services.remove_line(basket=basket, sku=sku, at=clock.now(), actor=request.user)
        messages.success(request, _("Removed from your basket."))
    return redirect("checkout:basket")


# --- Checkout steps.


def start(request: HttpRequest) -> HttpResponse:
    """'Checkout now': to the first step not done yet (TOS-4)."""
    summary = selectors.summarise(_lines(request))
    if summary.is_empty:
        messages.error(request, _("Your basket is empty: add a product before checking out."))
        return redirect("checkout:basket")
    if summary.problems:
        messages.error(request, _("Some items in your basket need your attention first."))
        return redirect("checkout:basket")
    return redirect(f"checkout:{_first_step(request)}")


def _first_step(request: HttpRequest) -> str:
    """The first step not done yet, for a basket that can be checked out: the 18+ question,
    the one-page form (it asks every details step, issue #12 item 3), or the review."""
    missing = _missing_step(_state(request), "review")
    if missing in DETAILS_STEPS:
        return "details"
    return missing or "review"


def age(request: HttpRequest) -> HttpResponse:
    """Asked before any personal information (PP-13, TOS-3). "No" ends the checkout at once and
    keeps nothing of it in the session; the basket (products only) stays."""
    if (blocked := _guard(request, "age")) is not None:
        return blocked
    state = _state(request)
    form = AgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["adult"]:
            state["age"] = {"adult": True}
            _save(request, state)
            return redirect("checkout:details")
        request.session.pop(SESSION_STATE, None)
        return render(request, "checkout/under_age.html")
    return render(request, "checkout/age.html", {"form": form})


def contact(request: HttpRequest) -> HttpResponse:
    if (blocked := _guard(request, "contact")) is not None:
        return blocked
    state = _state(request)
    initial = dict(state.get("contact") or {})
    if not initial and request.user.is_authenticated:
        initial = {
            "email": request.user.email,
            "name": getattr(request.user, "full_name", ""),
            # PP-8 / PP-5: the box shows the customer's current express choice, so that
            # leaving it as shown never silently withdraws a consent they gave (item 5).
            "marketing_email": selectors.express_marketing_choice(
                user=request.user, at=clock.now()
            ),
        }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        state["contact"] = {k: form.cleaned_data[k] for k in form.fields}
        _save(request, state)
        return redirect("checkout:address")
    sign_in = f"{reverse('accounts:sign_in')}?{urlencode({'next': reverse('checkout:start')})}"
    return render(request, "checkout/contact.html", {"form": form, "sign_in_url": sign_in})


def _address_book(
    request: HttpRequest, data: Any, state: dict[str, Any]
) -> SavedAddressForm | None:
    """The signed-in customer's saved addresses as a choice (None for a guest); the last
    choice made in this checkout is chosen again."""
    if not request.user.is_authenticated:
        return None
    addresses = list(addresses_for(user=request.user))
    initial = {"saved_address": state["saved_address"]} if state.get("saved_address") else {}
    return SavedAddressForm(data, addresses=addresses, initial=initial)


def _saved_address_data(address: Any) -> dict[str, str]:
    """A saved address as the address form's input, so it passes the same rules."""
    return {
        "lines": address.lines,
        "city": address.city,
        "province": address.province,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def _saved_address_initial(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    saved = request.user.addresses.first()
    if saved is None:
        return {}
    return {
        "lines": saved.lines,
        "city": saved.city,
        "province": saved.province,
        "postal_code": saved.postal_code,
        "country": saved.country,
    }


def address(request: HttpRequest) -> HttpResponse:
    if (blocked := _guard(request, "address")) is not None:
        return blocked
    state = _state(request)
    saved = state.get("address")
    initial = (
        {**saved, "lines": "\n".join(saved["lines"])} if saved else _saved_address_initial(request)
    )
    form = AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.outside_service_region:
            state.pop("address", None)
            _save(request, state)
            return redirect(
                f"{reverse('checkout:outside_canada')}?"
                f"{urlencode({'country': form.cleaned_data['country']})}"
            )
        state["address"] = form.address()
        _save(request, state)
        return redirect("checkout:delivery")
    return render(request, "checkout/address.html", {"form": form})


def _contact_initial(request: HttpRequest, state: dict[str, Any]) -> dict[str, Any]:
    initial = dict(state.get("contact") or {})
    if not initial and request.user.is_authenticated:
        initial = {
            "email": request.user.email,
            "name": getattr(request.user, "full_name", ""),
            # PP-8 / PP-5: the box shows the customer's current express choice.
            "marketing_email": selectors.express_marketing_choice(
                user=request.user, at=clock.now()
            ),
        }
    return initial


def details(request: HttpRequest) -> HttpResponse:
    """The one-page checkout (issue #12 item 3): contact, address, delivery and payment method
    on one form, without JavaScript, each error beside its field. Each part keeps its step's
    rules (the same forms); a valid post goes straight to the provider's card page (or PayPal),
    then review and place. The 18+ question stays before it, on its own page."""
    if (blocked := _guard(request, "contact")) is not None:
        return blocked
    state = _state(request)
    at = clock.now()
    data = request.POST if request.method == "POST" else None
    saved = state.get("address")
    contact_form = ContactForm(data, initial=_contact_initial(request, state))
    book = _address_book(request, data, state)
    choice = book.chosen() if book is not None and data is not None and book.is_valid() else None
    address_initial: dict[str, Any] = {}
    if saved and (book is None or state.get("saved_address") in (None, NEW_ADDRESS)):
        address_initial = {**saved, "lines": "\n".join(saved["lines"])}
    elif book is None:
        address_initial = _saved_address_initial(request)
    # A saved address chosen: it is checked by the same rules as one typed in; the new-address
    # fields stay as typed (not validated) and its problems are shown beside the choice.
    address_form = AddressForm(
        _saved_address_data(choice) if choice is not None else data, initial=address_initial
    )
    shown_address_form = address_form
    if choice is not None and data is not None:  # not validated: shown as typed, unbound
        shown_address_form = AddressForm(initial={n: data.get(n, "") for n in address_form.fields})
    delivery_form = DeliveryForm(
        data, initial=state.get("delivery") or {}, methods=_method_choices(at)
    )
    payment_form = PaymentMethodForm(
        data, initial={"payment_method": (state.get("payment") or {}).get("method")}
    )
    forms_ = (contact_form, address_form, delivery_form, payment_form)
    context = {
        "contact_form": contact_form,
        "address_form": shown_address_form,
        "address_book": book,
        "delivery_form": delivery_form,
        "payment_form": payment_form,
        "care": care_contact_message(),
        "sign_in_url": (
            f"{reverse('accounts:sign_in')}?{urlencode({'next': reverse('checkout:start')})}"
        ),
    }
    if request.method != "POST":
        return render(request, "checkout/details.html", context)
    valid = all([f.is_valid() for f in forms_]) and (book is None or book.is_valid())
    if choice is not None and book is not None and not address_form.is_valid():
        for errors in address_form.errors.values():
            for error in errors:
                book.add_error("saved_address", error)
    if not valid:
        return render(request, "checkout/details.html", context)
    if address_form.outside_service_region:
        state.pop("address", None)
        _save(request, state)
        return redirect(
            f"{reverse('checkout:outside_canada')}?"
            f"{urlencode({'country': address_form.cleaned_data['country']})}"
        )
    contact = {k: contact_form.cleaned_data[k] for k in contact_form.fields}
    address = address_form.address()
    code = delivery_form.cleaned_data["discount_code"]
    method = payment_form.cleaned_data["payment_method"]
    try:
        quote = services.quote_checkout(
            lines=_lines(request),
            province=address["province"],
            shipping_method_code=delivery_form.cleaned_data["shipping_method"],
            discount_code=code,
            email=contact["email"],
            shopper=_shopper(request),
            at=at,
        )
    except DomainError as error:
        target = next((f for f in forms_ if any(n in f.fields for n in error.fields)), None)
        apply_domain_error(target or delivery_form, error)
        return render(request, "checkout/details.html", context)
    if book is not None and choice is None and book.cleaned_data.get("save_address"):
        # Asked for: the new address joins the customer's address book (My Stuff, PP-15).
        kept = add_address(
            user=request.user,  # type: ignore[arg-type]
            data=AddressInput(
                name=contact["name"],
                lines="\n".join(address["lines"]),
                city=address["city"],
                province=address["province"],
                postal_code=address["postal_code"],
                country=address["country"],
                phone=contact.get("phone") or "",
            ),
            at=at,
            actor=request.user,  # type: ignore[arg-type]
        )
        choice = kept
    state.update(
        saved_address=str(choice.pk) if choice is not None else NEW_ADDRESS,
        contact=contact,
        address=address,
        delivery={
            "shipping_method": delivery_form.cleaned_data["shipping_method"],
            "discount_code": code.strip().upper(),
        },
        payment={},
        pending_method=method,
    )
    reference = state.setdefault("reference", random_token(9))
    _save(request, state)
    try:
        url = placing.payment_page_url(
            method=method,
            amount=quote.summary.total,
            reference=reference,
            return_url=reverse("checkout:payment_return"),
            cancel_url=reverse("checkout:payment_cancelled"),
        )
    except DomainError as error:
        apply_domain_error(payment_form, error)
        return render(request, "checkout/details.html", context)
    return redirect(url)


def outside_canada(request: HttpRequest) -> HttpResponse:
    """TOS-16: not sold online outside Canada; TOS-19 and TOS-2: duties, taxes, delays, fees."""
    return render(
        request,
        "checkout/outside_canada.html",
        {"care": care_contact_message(), "country": request.GET.get("country", "")[:10]},
    )


def _method_choices(at: Any) -> list[tuple[str, str]]:
    choices = []
    for method, estimate in services.shipping_choices(at=at):
        if not (placing.SHIPPING_METHOD_SUPPORTED or method.code == "standard"):
            continue
        fee = _("free") if not method.fee else money(method.fee)
        label = _("%(name)s: %(fee)s, ships %(ship)s, delivered %(earliest)s to %(latest)s") % {
            "name": _(method.name),
            "fee": fee,
            "ship": human_date(estimate.ship_date),
            "earliest": human_date(estimate.delivery_earliest),
            "latest": human_date(estimate.delivery_latest),
        }
        if estimate.delivery_earliest == estimate.delivery_latest:
            label = _("%(name)s: %(fee)s, ships %(ship)s, delivered %(earliest)s") % {
                "name": _(method.name),
                "fee": fee,
                "ship": human_date(estimate.ship_date),
                "earliest": human_date(estimate.delivery_earliest),
            }
        choices.append((method.code, label))
    return choices


def delivery(request: HttpRequest) -> HttpResponse:
    """Shipping method with its fee and window shown before choosing (TOS-13/14/15), and the
    optional discount code (TOS-4), checked now so that misuse is told at the field (TOS-9)."""
    if (blocked := _guard(request, "delivery")) is not None:
        return blocked
    state = _state(request)
    at = clock.now()
    form = DeliveryForm(
        request.POST or None, initial=state.get("delivery") or {}, methods=_method_choices(at)
    )
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["discount_code"]
        try:
            services.quote_checkout(
                lines=_lines(request),
                province=state["address"]["province"],
                shipping_method_code=form.cleaned_data["shipping_method"],
                discount_code=code,
                email=state["contact"]["email"],
                shopper=_shopper(request),
                at=at,
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            state["delivery"] = {
                "shipping_method": form.cleaned_data["shipping_method"],
                "discount_code": code.strip().upper(),
            }
            _save(request, state)
            return redirect("checkout:payment")
    return render(request, "checkout/delivery.html", {"form": form})


def payment(request: HttpRequest) -> HttpResponse:
    """Card (the sandbox's own card page, so no card number reaches Hearth) or PayPal."""
    if (blocked := _guard(request, "payment")) is not None:
        return blocked
    state = _state(request)
    form = PaymentMethodForm(
        request.POST or None, initial={"payment_method": (state.get("payment") or {}).get("method")}
    )
    if request.method == "POST" and form.is_valid():
        method = form.cleaned_data["payment_method"]
        try:
            quote = _quote(request, state)
        except DomainError as error:
            apply_domain_error(form, error)
            return render(
                request, "checkout/payment.html", {"form": form, "care": care_contact_message()}
            )
        state["payment"] = {}
        state["pending_method"] = method
        reference = state.setdefault("reference", random_token(9))
        _save(request, state)
        try:
            url = placing.payment_page_url(
                method=method,
                amount=quote.summary.total,
                reference=reference,
                return_url=reverse("checkout:payment_return"),
                cancel_url=reverse("checkout:payment_cancelled"),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect(url)
    return render(request, "checkout/payment.html", {"form": form, "care": care_contact_message()})


def payment_return(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    token = request.GET.get("payment_token", "")
    method = state.get("pending_method")
    if not token or not method or not state.get("address"):
        messages.error(
            request,
            _("Your checkout session expired before payment was chosen. Nothing was charged."),
        )
        return redirect("checkout:start")
    state["payment"] = {"method": method, "token": token[:100]}
    # The review's one-time token, made here with the session write this step needs anyway, so
    # showing the review page writes nothing.
    state.setdefault("place_token", random_token(24))
    _save(request, state)
    return redirect("checkout:review")


def payment_cancelled(request: HttpRequest) -> HttpResponse:
    messages.info(
        request,
        _("You cancelled the PayPal approval. Nothing was charged; choose how to pay."),
    )
    return redirect("checkout:payment")


def _quote(request: HttpRequest, state: dict[str, Any]) -> services.CheckoutQuote:
    return services.quote_checkout(
        lines=_lines(request),
        province=state["address"]["province"],
        shipping_method_code=state["delivery"]["shipping_method"],
        discount_code=state["delivery"].get("discount_code"),
        email=state["contact"]["email"],
        shopper=_shopper(request),
        at=clock.now(),
    )


def review(request: HttpRequest) -> HttpResponse:
    """Prices before tax, each tax component, the delivery estimate; attest and place (TOS-3)."""
    if request.method == "POST":  # a second click or a replayed form lands on the order placed
        placed = request.session.get(SESSION_PLACED) or {}
        if (number := placed.get(request.POST.get("place_token", ""))) is not None:
            return redirect("checkout:confirmation", number=number)
    if (blocked := _guard(request, "review")) is not None:
        return blocked
    state = _state(request)
    if request.method == "POST":
        return _place(request, state)
    try:
        quote = _quote(request, state)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("checkout:delivery")
    if "place_token" not in state:
        state["place_token"] = random_token(24)
        _save(request, state)
    else:
        _touch(request, state)
    form = PlaceOrderForm(
        initial={"place_token": state["place_token"], "basket_version": quote.summary.fingerprint},
        terms=_terms(state),
    )
    return _render_review(request, state, quote, form)


def _terms(state: dict[str, Any]) -> TermsOffer:
    """The terms of sale's versions for the delivery province, in the order offered: French
    first to a Quebec address (issue #16), else the page's language first."""
    return terms_offer(
        province=str(state["address"].get("province", "")), page_language=active_language()
    )


def _terms_links(offer: TermsOffer) -> list[dict[str, str]]:
    """The terms in force, one link per language version, in the order offered."""
    document = version_in_force("terms", clock.now())
    url = document.get_absolute_url() if document is not None else reverse("privacy:terms")
    return [{"code": code, "url": f"{url}?{urlencode({'lang': code})}"} for code in offer.languages]


def _render_review(
    request: HttpRequest, state: dict[str, Any], quote: services.CheckoutQuote, form: Any
) -> HttpResponse:
    return render(
        request,
        "checkout/review.html",
        {
            "form": form,
            "quote": quote,
            "summary": quote.summary,
            "contact": state["contact"],
            "address": state["address"],
            "payment": placing.payment_label(state["payment"]),
            "terms": (terms := _terms(state)),
            "terms_links": _terms_links(terms),
            "tax_components": [
                (c.code, c.rate, c.amount)
                for c in (quote.summary.price.tax if quote.summary.price else ())
            ],
        },
    )


def _place(request: HttpRequest, state: dict[str, Any]) -> HttpResponse:
    """Place the reviewed order. The price is computed once, by placing, inside its
    transaction; the form's ``basket_version`` (the reviewed price's fingerprint) goes with it,
    and a difference is refused before any payment (``price_changed``). The review page is
    priced again only to show it again (a refusal, a missing attestation)."""
    terms = _terms(state)
    form = PlaceOrderForm(request.POST, terms=terms)
    posted_token = request.POST.get("place_token", "")
    placed = request.session.get(SESSION_PLACED) or {}
    if not posted_token or posted_token != state.get("place_token"):
        messages.error(
            request,
            _(
                "This order form has expired (your session ended or the order was changed). "
                "Nothing was charged; please review your order again."
            ),
        )
        return redirect("checkout:review")
    if not form.is_valid():
        return _review_again(request, state, form)
    try:
        order = placing.place(
            lines=_lines(request),
            customer=request.user if request.user.is_authenticated else None,
            contact=state["contact"],
            address=state["address"],
            attestations={k: form.cleaned_data[k] for k in ("adult", "end_user", "accurate")},
            shipping_method=state["delivery"]["shipping_method"],
            discount_code=state["delivery"].get("discount_code") or None,
            payment_method=state["payment"]["method"],
            payment_token=state["payment"]["token"],
            idempotency_key=f"web-{posted_token}",
            at=clock.now(),
            # The version accepted: the buyer's choice where the law asks (Quebec), else the
            # version offered first (the page's language).
            terms_language=form.cleaned_data.get("terms_language") or terms.first,
            reviewed_price=form.cleaned_data["basket_version"],
        )
    except DomainError as error:
        return _placing_failed(request, state, form, error)
    placed[posted_token] = order.number
    request.session[SESSION_PLACED] = placed
    request.session.pop(SESSION_STATE, None)
    services.empty_request_basket(request, at=clock.now(), actor=request.user)
    request._checkout_lines = []  # type: ignore[attr-defined]
    services.remember_item_count(request, 0)
    return redirect("checkout:confirmation", number=order.number)


def _review_again(
    request: HttpRequest, state: dict[str, Any], form: PlaceOrderForm
) -> HttpResponse:
    """The review page again, priced now, with ``form``'s errors; back to delivery with the
    reason when the order can no longer be priced (an emptied basket, a code withdrawn)."""
    try:
        quote = _quote(request, state)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("checkout:delivery")
    return _render_review(request, state, quote, form)


def _placing_failed(
    request: HttpRequest,
    state: dict[str, Any],
    form: PlaceOrderForm,
    error: DomainError,
) -> HttpResponse:
    """Tell why, keep the basket; a refused payment needs a new one (a new token too)."""
    if error.code == OrdersErrorCode.PRICE_CHANGED:
        # The shopper saw other lines or prices: show the current ones and ask again.
        try:
            quote = _quote(request, state)
        except DomainError as refusal:
            messages.error(request, str(refusal.message))
            return redirect("checkout:delivery")
        data = request.POST.copy()
        data["basket_version"] = quote.summary.fingerprint
        form = PlaceOrderForm(data, terms=_terms(state))
        form.add_error(None, str(error.message))
        return _render_review(request, state, quote, form)
    if isinstance(error, RefusedAfterAuthorisation):
        # Its authorisation was voided under this form's key: the next try needs a new key
        # (and, the card token being spent, the payment again, which placing then asks for).
        state["place_token"] = random_token(24)
        _save(request, state)
        data = request.POST.copy()
        data["place_token"] = state["place_token"]
        form = PlaceOrderForm(data, terms=_terms(state))
        form.is_valid()
    if error.code in placing.PAYMENT_REFUSED:
        state["payment"] = {}
        state.pop("place_token", None)
        _save(request, state)
        messages.error(request, str(error.message))
        return redirect("checkout:payment")
    if error.code.startswith("discount_"):
        messages.error(request, str(error.message))
        return redirect("checkout:delivery")
    if error.code in placing.ADDRESS_REFUSED:
        messages.error(request, str(error.message))
        return redirect("checkout:address")
    apply_domain_error(form, error)
    if not form.non_field_errors() and not any(f in form.fields for f in error.fields):
        form.add_error(None, str(error.message))
    return _review_again(request, state, form)


def confirmation(request: HttpRequest, number: str) -> HttpResponse:
    """The order number and expected delivery; only for the session that placed it or its owner."""
    placed = set((request.session.get(SESSION_PLACED) or {}).values())
    order = placing.order_for_confirmation(number=number, user=request.user, placed=placed)
    if order is None:
        raise Http404
    return render(request, "checkout/confirmation.html", {"order": order})
