"""Where checkout meets payments and orders: the provider pages and placing the order.

Both the web checkout and the API place through :func:`place`, which builds orders'
``OrderDraft`` (prices are never taken from the shopper: orders prices from the catalogue) and
calls ``hearth.orders.services.place_order`` with the idempotency key, so a replay returns the
same order and charges nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from hearth.orders.models import Order
from hearth.orders.rules import Attestations, OrderDraft
from hearth.orders.selectors import order_by_number
from hearth.orders.services import PlacedOrder, place_order_or_replay
from hearth.payments.services import start_card_session, start_paypal

#: Error codes after which the shopper must choose a new payment (TOS-9: not authorised).
PAYMENT_REFUSED = frozenset({"payment_declined", "token_used", "unknown_token", "token_expired"})
ADDRESS_REFUSED = frozenset({"address_refused"})
DRAFT_FIELDS = frozenset(OrderDraft.__dataclass_fields__)
#: Whether orders can place other shipping methods than standard yet (TOS-15).
SHIPPING_METHOD_SUPPORTED = "shipping_method" in DRAFT_FIELDS


def payment_page_url(
    *, method: str, amount: Decimal | None, reference: str, return_url: str, cancel_url: str
) -> str:
    """The provider page where the shopper enters a card or approves PayPal."""
    amount = amount or Decimal("0.00")
    if method == "paypal":
        return start_paypal(
            amount=amount, reference=reference, return_url=return_url, cancel_url=cancel_url
        )
    return start_card_session(
        amount=amount, reference=reference, return_url=return_url, cancel_url=cancel_url
    )


def payment_label(payment: Mapping[str, Any]) -> str:
    if payment.get("method") == "paypal":
        return _("PayPal (approved)")
    return _("Card entered on our payment provider's page")


def place(
    *,
    lines: Sequence[tuple[str, int]],
    customer: Any,
    contact: Mapping[str, Any],
    address: Mapping[str, Any],
    attestations: Mapping[str, bool],
    shipping_method: str,
    discount_code: str | None,
    payment_method: str,
    payment_token: str,
    idempotency_key: str,
    at: dt.datetime,
    channel: str = "web",
    terms_language: str = "",
    reviewed_price: str = "",
) -> Order:
    """Place the order (see the module doc). Raises orders', catalogue's and checkout's
    DomainErrors: ``payment_declined`` (402), ``out_of_stock`` (409), ``attestation_required``,
    ``address_refused``, ``discount_*``, ``price_changed`` (the ``reviewed_price`` fingerprint
    differs from the order's price) ... each naming its field."""
    return place_or_replay(
        lines=lines,
        customer=customer,
        contact=contact,
        address=address,
        attestations=attestations,
        shipping_method=shipping_method,
        discount_code=discount_code,
        payment_method=payment_method,
        payment_token=payment_token,
        idempotency_key=idempotency_key,
        at=at,
        channel=channel,
        terms_language=terms_language,
        reviewed_price=reviewed_price,
    ).order


def place_or_replay(
    *,
    lines: Sequence[tuple[str, int]],
    customer: Any,
    contact: Mapping[str, Any],
    address: Mapping[str, Any],
    attestations: Mapping[str, bool],
    shipping_method: str,
    discount_code: str | None,
    payment_method: str,
    payment_token: str,
    idempotency_key: str,
    at: dt.datetime,
    channel: str = "web",
    request_hash: str = "",
    terms_language: str = "",
    reviewed_price: str = "",
) -> PlacedOrder:
    """:func:`place`, saying whether this call placed the order or replayed its key; a replay
    whose ``request_hash`` differs from the placing request's raises
    ``idempotency_key_mismatch`` (422)."""
    extra: dict[str, Any] = {}
    if SHIPPING_METHOD_SUPPORTED:
        extra["shipping_method"] = shipping_method
    draft = OrderDraft(
        lines=list(lines),
        customer=customer,
        email=str(contact.get("email") or ""),
        name=str(contact.get("name") or ""),
        phone=str(contact.get("phone") or ""),
        shipping_address=dict(address),
        attestations=Attestations(
            adult=bool(attestations.get("adult")),
            end_user=bool(attestations.get("end_user")),
            accurate=bool(attestations.get("accurate")),
        ),
        discount_code=discount_code or None,
        # None: the API's field left out, the choice stays as it is.
        marketing_opt_in=(
            None if contact.get("marketing_email") is None else bool(contact["marketing_email"])
        ),
        marketing_opt_out=bool(contact.get("marketing_opt_out")),
        terms_language=terms_language,
        **extra,
    )
    return place_order_or_replay(
        draft=draft,
        payment_token=payment_token,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
        channel=channel,
        at=at,
        actor=customer if getattr(customer, "pk", None) else AnonymousUser(),  # a guest
        request_hash=request_hash,
        reviewed_price=reviewed_price,
    )


def order_for_confirmation(*, number: str, user: Any, placed: set[str]) -> Order | None:
    """The order, if this session placed it or the signed-in customer owns it."""
    order = order_by_number(number)
    if order is None:
        return None
    if number in placed:
        return order
    if getattr(user, "is_authenticated", False) and order.customer_id == user.pk:
        return order
    return None
