"""Pure order rules: the status machine, the draft an order is placed from, attestations (TOS-3),
pricing from catalogue prices (never the client's), the ship date of pre-order and backorder lines
(TOS-20) and when an open order lets an erasure go ahead. No Django, no database, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """The order lifecycle: placed -> on hold -> released -> picking -> packed -> shipped ->
    delivered; it ends in cancelled, refunded, returned to sender or lost."""

    PLACED = "placed"
    ON_HOLD = "on_hold"
    RELEASED = "released"
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    RETURNED_TO_SENDER = "returned_to_sender"
    LOST = "lost"


class HoldReason(StrEnum):
    """Why an order waits for a person's acceptance review (TOS-21) before it is released."""

    REVIEW = "review"  # the payment provider asked for a review
    FRAUD = "fraud"  # the payment was flagged as suspected fraud
    DISCOUNT_MISUSE = "discount_misuse"
    ADDRESS_DOUBT = "address_doubt"
    PAYMENT_EXPIRED = "payment_expired"  # a lapsed authorisation could not be renewed


class ShipmentException(StrEnum):
    """How a shipped parcel can fail to arrive (set by the warehouse)."""

    RETURNED_TO_SENDER = "returned_to_sender"
    LOST = "lost"


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    # A warranty replacement (issue #13): a zero-priced order that only carries a unit through
    # fulfilment's pick, pack and ship; never a sale, never placed through place_order.
    REPLACEMENT = "replacement"


#: The channels a sale is placed through (place_order, quote_order).
SELLING_CHANNELS = frozenset({Channel.WEB, Channel.PHONE})


class PaymentMethod(StrEnum):
    CARD = "card"
    PAYPAL = "paypal"


class CancellationReason(StrEnum):
    """The non-acceptance reasons of TOS-9 (each cancellation records one)."""

    REQUIREMENTS_NOT_MET = "requirements_not_met"
    PAYMENT_NOT_AUTHORISED = "payment_not_authorised"
    OUTSIDE_SERVICE_REGION = "outside_service_region"
    MANIFEST_ERROR = "manifest_error"
    DISCOUNT_MISUSE = "discount_misuse"
    SUSPECTED_FRAUD = "suspected_fraud"
    # Not non-acceptance: the customer cancelled before picking, or staff refunded before shipment.
    CUSTOMER_REQUEST = "customer_request"
    REFUNDED_BEFORE_SHIPMENT = "refunded_before_shipment"


#: The TOS-9 non-acceptance reasons staff choose from in the acceptance review.
NON_ACCEPTANCE: tuple[CancellationReason, ...] = (
    CancellationReason.REQUIREMENTS_NOT_MET,
    CancellationReason.PAYMENT_NOT_AUTHORISED,
    CancellationReason.OUTSIDE_SERVICE_REGION,
    CancellationReason.MANIFEST_ERROR,
    CancellationReason.DISCOUNT_MISUSE,
    CancellationReason.SUSPECTED_FRAUD,
)


#: Allowed moves of the order lifecycle. Cancelling is possible until the parcel ships (a refund
#: before shipment cancels it); after shipment a full refund ends the order as refunded.
ALLOWED_MOVES: Mapping[Status, frozenset[Status]] = {
    Status.PLACED: frozenset({Status.ON_HOLD, Status.RELEASED, Status.CANCELLED}),
    # Cleared while a pre-order or backorder line waits for stock: back to placed, not released.
    Status.ON_HOLD: frozenset({Status.PLACED, Status.RELEASED, Status.CANCELLED}),
    Status.RELEASED: frozenset({Status.PICKING, Status.CANCELLED}),
    Status.PICKING: frozenset({Status.PACKED, Status.CANCELLED}),
    Status.PACKED: frozenset({Status.SHIPPED, Status.CANCELLED}),
    Status.SHIPPED: frozenset(
        {Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.LOST, Status.REFUNDED}
    ),
    Status.DELIVERED: frozenset({Status.REFUNDED}),
    Status.RETURNED_TO_SENDER: frozenset({Status.REFUNDED}),
    Status.LOST: frozenset({Status.REFUNDED}),
    Status.CANCELLED: frozenset(),
    Status.REFUNDED: frozenset(),
}

#: Statuses of an order still in progress (an erasure waits for them).
OPEN_STATUSES: frozenset[Status] = frozenset(
    {Status.PLACED, Status.ON_HOLD, Status.RELEASED, Status.PICKING, Status.PACKED}
)

#: Statuses from which the customer may cancel (until picking starts).
CUSTOMER_CANCELLABLE: frozenset[Status] = frozenset(
    {Status.PLACED, Status.ON_HOLD, Status.RELEASED}
)

#: Statuses after the parcel left: refunds here are partial (goodwill) or close the order.
SHIPPED_STATUSES: frozenset[Status] = frozenset(
    {Status.SHIPPED, Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.LOST}
)

#: Statuses the warehouse may work on (nothing on hold, never before release).
PICKABLE: frozenset[Status] = frozenset({Status.RELEASED})

ATTESTATIONS: tuple[str, ...] = ("adult", "end_user", "accurate")
ADDRESS_KEYS: tuple[str, ...] = ("lines", "city", "province", "postal_code", "country")
DELAYED: frozenset[str] = frozenset({"preorder", "backorder"})
MAX_QUANTITY = 99


def may_move(current: str, to: str) -> bool:
    """Whether the status machine allows ``current`` -> ``to``."""
    try:
        return Status(to) in ALLOWED_MOVES[Status(current)]
    except ValueError:
        return False


def customer_may_cancel(status: str) -> bool:
    """TOS: the customer cancels their own order until picking starts."""
    try:
        return Status(status) in CUSTOMER_CANCELLABLE
    except ValueError:
        return False


def fifo_allocation(waiting: Sequence[int], received: int) -> int:
    """How many of the ``waiting`` line quantities (oldest order first) ``received`` units fill,
    strictly in order: the first line that does not fit stops it (no jumping the queue)."""
    filled = 0
    left = received
    for quantity in waiting:
        if quantity > left:
            break
        left -= quantity
        filled += 1
    return filled


def refund_problem(*, captured: Decimal, refunded: Decimal, amount: Decimal) -> str | None:
    """Why refunding ``amount`` is refused (``not_positive``, ``more_than_captured``), or None.

    Never more, in total, than was captured.
    """
    if amount <= 0:
        return "not_positive"
    if refunded + amount > captured:
        return "more_than_captured"
    return None


@dataclass(frozen=True)
class Attestations:
    """TOS-3: 18 or older (authorised if for a company); an end user; information accurate."""

    adult: bool = False
    end_user: bool = False
    accurate: bool = False


@dataclass(frozen=True)
class OrderDraft:
    """What a customer (web) or a sales agent (phone) asks to order. Prices never come from here.

    ``lines`` are ``(sku, quantity)``; ``shipping_address`` has ``lines`` (list of str), ``city``,
    ``province``, ``postal_code`` and ``country``; ``bc_pst_number`` only on the phone channel.
    """

    lines: Sequence[tuple[str, int]]
    customer: Any
    email: str
    name: str
    phone: str
    shipping_address: Mapping[str, Any]
    attestations: Attestations
    discount_code: str | None = None
    bc_pst_number: str | None = None
    # The express box ("Email me news and offers"); None: not asked, the choice stays as it is.
    marketing_opt_in: bool | None = False
    # The opt-out at the point of collection ("Do not email me about products related to my
    # purchase", PP-8): a withdrawal that the purchase's implied consent never overrides.
    marketing_opt_out: bool = False
    shipping_method: str = "standard"
    # Issue #16: the language the order is placed in ("en", "fr-ca"): the web page's, or on the
    # phone the one the agent chose with the customer; "" means the active language.
    language: str = ""
    # Issue #16: the version of the terms of sale the buyer accepted ("fr-ca" or "en"), from
    # ``terms_languages``; "" means the order's language.
    terms_language: str = ""


def terms_languages(
    *,
    province: str,
    page_language: str,
    first_by_province: Mapping[str, str],
    languages: Sequence[str],
) -> tuple[str, ...]:
    """The versions of the terms of sale offered to a buyer, in the order offered (issue #16).

    A province in ``first_by_province`` (Quebec: the Charter of the French Language requires a
    contract of adhesion in French first) gets its language first, whatever the page's; elsewhere
    the page's language comes first. The shop's other languages follow, in ``languages`` order.
    """
    first = first_by_province.get(province.strip().upper(), page_language)
    if first not in languages:
        first = languages[0]
    return (first, *[code for code in languages if code != first])


def french_first(*, province: str, first_by_province: Mapping[str, str]) -> bool:
    """Whether the law names the first language of the terms for this delivery province."""
    return province.strip().upper() in first_by_province


def missing_attestation(attestations: Attestations) -> str | None:
    """The first attestation of TOS-3 not given, or None when all are."""
    for name in ATTESTATIONS:
        if getattr(attestations, name) is not True:
            return name
    return None


def merged_lines(lines: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Lines by SKU (same SKU added up), sorted by SKU: the fixed order stock is locked in."""
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        key = str(sku).strip().upper()
        totals[key] = totals.get(key, 0) + quantity
    return sorted(totals.items())


def bad_quantity(lines: Iterable[tuple[str, int]]) -> str | None:
    """The SKU of the first line whose quantity is not a whole number from 1 to MAX_QUANTITY."""
    for sku, quantity in lines:
        if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
            return str(sku)
    return None


@dataclass(frozen=True)
class PricedLine:
    sku: str
    name: str
    colour: str
    unit_price: Decimal
    quantity: int
    availability: str
    expected_ship_date: dt.date | None

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


def goods_total(lines: Iterable[PricedLine]) -> Decimal:
    return sum((line.total for line in lines), Decimal("0.00"))


@dataclass(frozen=True)
class ShipPlan:
    """When the order ships: None when a delayed line has no expected date yet (TOS-20)."""

    ship_from: dt.date | None
    delayed: bool


def ship_plan(lines: Iterable[PricedLine]) -> ShipPlan:
    """The order ships together: no earlier than the latest expected date of a delayed line."""
    delayed = [line for line in lines if line.availability in DELAYED]
    if not delayed:
        return ShipPlan(None, False)
    dates = [line.expected_ship_date for line in delayed]
    if any(d is None for d in dates):
        return ShipPlan(None, True)
    return ShipPlan(max(d for d in dates if d is not None), True)


def invoice_number(order_number: str) -> str:
    """The tax invoice's number: one invoice per order, numbered after it."""
    return "INV-" + order_number.removeprefix("EO-")


def erasure_available_on(
    open_orders: Iterable[tuple[dt.date | None, dt.date | None]], today: dt.date
) -> dt.date | None:
    """The first day erasure can go ahead given open orders' (delivery_latest, expected ship).

    The day after the latest expected delivery; None when some order has no date yet.
    """
    days: list[dt.date] = []
    for delivery_latest, _ship in open_orders:
        if delivery_latest is None:
            return None
        days.append(delivery_latest + dt.timedelta(days=1))
    return max([today, *days]) if days else today


# --- Idempotent placing (issue #10 item 20).


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """SHA-256 of a request body in canonical JSON (sorted keys, no spaces, UTF-8): the same
    request always gives the same fingerprint, whatever the order of its keys."""
    import hashlib
    import json

    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def price_fingerprint(
    lines: Iterable[tuple[str, int, Decimal]],
    *,
    discount: Decimal,
    shipping: Decimal,
    total: Decimal | None,
) -> str:
    """A short fingerprint of what the customer pays: each line's (SKU, quantity, unit price),
    the discount, the shipping fee and the total (None before tax is known).

    The checkout's review page carries it in a hidden field (``basket_version``) and placing
    computes it again from its own pricing, inside its transaction: if they differ, the lines
    or a price changed since the customer reviewed them, and nothing is charged. Amounts are
    written to the cent, so ``5`` and ``5.00`` agree."""
    import hashlib

    def cents(amount: Decimal | None) -> str:
        return "-" if amount is None else f"{Decimal(amount):.2f}"

    parts = [f"{sku}:{quantity}:{cents(unit_price)}" for sku, quantity, unit_price in lines]
    parts += [cents(discount), cents(shipping), cents(total)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def replay_matches(*, stored: str, given: str) -> bool:
    """Whether a replay of an idempotency key carries the request that placed the order.

    An order placed without a fingerprint (the web checkout, orders from before fingerprints)
    matches any replay; otherwise the fingerprints must be equal."""
    return not stored or not given or stored == given


def credit_note_number(order_number: str, sequence: int) -> str:
    """A credit note's number, in its own series after the invoice's: ``CN-<order digits>-<n>``
    for the order's ``n``-th credit note."""
    return f"CN-{order_number.removeprefix('EO-')}-{sequence}"


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One tax component as the order stored it at placing (``Order.tax_components``: what
    orders' one pricing path charged), for showing: never recomputed."""

    code: str  # GST, HST, PST or QST
    rate: Decimal  # a fraction: 0.05, 0.09975
    amount: Decimal


def tax_lines(components: list[dict[str, str]]) -> list[TaxLine]:
    """The stored components (code, rate and amount as strings) as :class:`TaxLine` values."""
    return [TaxLine(c["code"], Decimal(c["rate"]), Decimal(c["amount"])) for c in components]
