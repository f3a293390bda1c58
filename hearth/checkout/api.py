"""The checkout for a headless storefront, mounted at /api/v1/checkout/ (issue #4 item 9).

The basket is the caller's session's (cookie), as on the web; an order is placed with an
``Idempotency-Key`` header, and a replay with the same key answers 200 with the same order
(201 the first time), charging nothing twice. Prices are never taken from the request.
Thin: parse and validate, call checkout's services, shape the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Router, Schema, Status
from pydantic import ConfigDict, Field

from hearth.checkout import placing, selectors, services
from hearth.checkout.errors import CheckoutErrorCode
from hearth.checkout.rules import MAX_LINE_QUANTITY, MAX_LINES
from hearth.checkout.selectors import BasketSummary
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.schemas import ErrorOut
from hearth.discounts import services as discounts
from hearth.orders import selectors as order_selectors
from hearth.orders.models import Order
from hearth.orders.rules import request_fingerprint
from hearth.orders.services import PlacedOrder

router = Router(tags=["checkout"])

SKU = Field(min_length=1, max_length=40, examples=["EO-HRTH-ONE-OAK"])


class CheckoutLineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    quantity: int = Field(strict=True, ge=1, le=MAX_LINE_QUANTITY, examples=[1])


class CheckoutQuantityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(
        strict=True, ge=0, le=MAX_LINE_QUANTITY, description="0 removes the line.", examples=[2]
    )


class CheckoutLineOut(Schema):
    sku: str
    name: str
    colour: str
    quantity: int
    unit_price: str = Field(description="Before tax.")
    line_total: str
    availability: str
    expected_ship_date: dt.date | None
    problem: str | None = Field(description="Why the line cannot be bought as it is, if so.")


class CheckoutBasketOut(Schema):
    lines: list[CheckoutLineOut]
    item_count: int
    subtotal: str = Field(description="Lines before tax and discount.")


class CheckoutComponentOut(Schema):
    code: str
    rate: str
    amount: str


class CheckoutAddressIn(Schema):
    model_config = ConfigDict(extra="forbid")

    lines: list[str] = Field(min_length=1, max_length=4, examples=[["12 Wellington Street"]])
    city: str = Field(max_length=100)
    province: str = Field(default="", max_length=2, examples=["ON"])
    postal_code: str = Field(max_length=12, examples=["K1A 0B1"])
    country: str = Field(default="CA", max_length=10)


class CheckoutQuoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    province: str | None = Field(default=None, max_length=2, examples=["ON"])
    shipping_method: str = Field(default="standard", max_length=20)
    discount_code: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    lines: list[CheckoutLineIn] | None = Field(
        default=None,
        max_length=MAX_LINES,
        description=f"Default: the basket's lines. At most {MAX_LINES} lines.",
    )


class CheckoutQuoteOut(Schema):
    lines: list[CheckoutLineOut]
    subtotal: str = Field(description="Lines before tax and discount.")
    discount: str
    discount_code: str | None
    shipping_method: str
    shipping: str = Field(description="The shipping fee, before tax (TOS-14, TOS-15).")
    components: list[CheckoutComponentOut] | None = Field(
        description="Each tax, once province is known."
    )
    total_tax: str | None
    grand_total: str | None
    ship_date: dt.date | None = Field(
        description="As the order will say: null while a pre-order or backorder line has no date."
    )
    delivery_earliest: dt.date | None
    delivery_latest: dt.date | None


class CheckoutMethodOut(Schema):
    code: str
    name: str
    fee: str
    ship_date: dt.date
    delivery_earliest: dt.date
    delivery_latest: dt.date


class CheckoutAttestationsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    adult: bool = Field(
        strict=True, description="18 or older (and authorised, if buying for a company)."
    )
    end_user: bool = Field(strict=True, description="An end user who will not resell.")
    accurate: bool = Field(
        strict=True, description="The information given is accurate and complete."
    )


class CheckoutOrderIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254, examples=["ada@example.com"])
    name: str = Field(max_length=200, examples=["Ada Lovelace"])
    phone: str = Field(default="", max_length=30)
    shipping_address: CheckoutAddressIn
    attestations: CheckoutAttestationsIn
    discount_code: str | None = Field(default=None, max_length=40)
    shipping_method: str = Field(default="standard", max_length=20)
    payment_method: str = Field(examples=["card"], description="card or paypal")
    payment_token: str = Field(max_length=100, description="From the provider's page (tok_/pp_).")
    marketing_email: bool | None = Field(
        default=None,
        strict=True,
        description=(
            "Express consent to news and offers by email (PP-9): true only if the buyer asked "
            "for them. False withdraws the signed-in customer's express consent if they had "
            "one, and is not an opt-out otherwise (the purchase's implied consent, 2 years, "
            "applies). Left out: the buyer's current choice stays as it is."
        ),
    )
    marketing_opt_out: bool = Field(
        default=False,
        strict=True,
        description=(
            'The opt-out at the point of collection (PP-8): true if the buyer said "Do not '
            'email me about products related to my purchase". Recorded as a withdrawal that '
            "the purchase's implied consent never overrides. True together with "
            "marketing_email true is refused (400 marketing_choices_conflict)."
        ),
    )
    lines: list[CheckoutLineIn] | None = Field(
        default=None,
        max_length=MAX_LINES,
        description=f"Default: the basket's lines. At most {MAX_LINES} lines.",
    )


class CheckoutOrderOut(Schema):
    number: str
    status: str
    email: str
    subtotal: str
    discount: str
    shipping: str
    components: list[CheckoutComponentOut]
    total_tax: str
    grand_total: str
    ship_date: dt.date | None
    delivery_earliest: dt.date | None
    delivery_latest: dt.date | None


def _shopper(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return discounts.shopper_key(f"user:{request.user.pk}")
    if not request.session.session_key:
        request.session.save()
    return discounts.shopper_key(f"session:{request.session.session_key}")


def _lines_out(summary: BasketSummary) -> list[dict[str, Any]]:
    return [
        {
            "sku": line.sku,
            "name": line.name,
            "colour": line.colour,
            "quantity": line.quantity,
            "unit_price": f"{line.unit_price:.2f}",
            "line_total": f"{line.line_total:.2f}",
            "availability": line.availability,
            "expected_ship_date": line.expected_ship_date,
            "problem": line.problem,
        }
        for line in summary.lines
    ]


def _basket_out(request: HttpRequest) -> dict[str, Any]:
    summary = selectors.basket_summary(selectors.basket_for(request))
    services.remember_item_count(request, summary.item_count)  # the web header's count
    return {
        "lines": _lines_out(summary),
        "item_count": summary.item_count,
        "subtotal": f"{summary.subtotal:.2f}",
    }


def _lines(request: HttpRequest, given: list[CheckoutLineIn] | None) -> list[tuple[str, int]]:
    if given is not None:
        merged: dict[str, int] = {}
        for line in given:
            merged[line.sku] = merged.get(line.sku, 0) + line.quantity
        return sorted(merged.items())
    return selectors.basket_lines(selectors.basket_for(request))


@router.get("/basket", response=CheckoutBasketOut, summary="The session's basket")
def basket(request: HttpRequest) -> dict[str, Any]:
    """Lines priced from the catalogue (before tax); a line that cannot be bought says why."""
    return _basket_out(request)


@router.post(
    "/basket/lines",
    response={201: CheckoutBasketOut, 400: ErrorOut, 409: ErrorOut},
    summary="Add to the basket",
)
def add_line(request: HttpRequest, payload: CheckoutLineIn) -> Status:
    """Adds `quantity` to any already in the basket; refused above the stock on hand."""
    services.add_to_basket(
        basket=services.open_basket(request),
        sku=payload.sku,
        quantity=payload.quantity,
        at=clock.now(),
        actor=request.user,
    )
    return Status(201, _basket_out(request))


@router.put(
    "/basket/lines/{sku}",
    response={200: CheckoutBasketOut, 400: ErrorOut, 404: ErrorOut},
    summary="Change a line's quantity",
)
def change_line(request: HttpRequest, sku: str, payload: CheckoutQuantityIn) -> dict[str, Any]:
    found = selectors.basket_for(request)
    if found is None:
        raise DomainError(
            CheckoutErrorCode.NOT_IN_BASKET,
            _("This item is not in your basket."),
            field="sku",
            status=404,
        )
    services.change_quantity(
        basket=found, sku=sku, quantity=payload.quantity, at=clock.now(), actor=request.user
    )
    return _basket_out(request)


@router.delete("/basket/lines/{sku}", response=CheckoutBasketOut, summary="Remove a line")
def remove_line(request: HttpRequest, sku: str) -> dict[str, Any]:
    found = selectors.basket_for(request)
    if found is not None:
        services.remove_line(basket=found, sku=sku, at=clock.now(), actor=request.user)
    return _basket_out(request)


@router.get(
    "/shipping-methods", response=list[CheckoutMethodOut], summary="Shipping methods and fees"
)
def shipping_methods(request: HttpRequest) -> list[dict[str, Any]]:
    """Each method with its fee and, if ordered now, its ship date and delivery window (TOS-15)."""
    return [
        {
            "code": method.code,
            "name": _(method.name),
            "fee": f"{method.fee:.2f}",
            "ship_date": estimate.ship_date,
            "delivery_earliest": estimate.delivery_earliest,
            "delivery_latest": estimate.delivery_latest,
        }
        for method, estimate in services.shipping_choices(at=clock.now())
        if placing.SHIPPING_METHOD_SUPPORTED or method.code == "standard"
    ]


@router.post(
    "/quote",
    response={200: CheckoutQuoteOut, 400: ErrorOut, 429: ErrorOut},
    summary="Price the order",
)
def quote(request: HttpRequest, payload: CheckoutQuoteIn) -> dict[str, Any]:
    """Prices before tax, the discount, the shipping fee, each tax component for `province`
    and the delivery estimate. An invalid discount code answers 400 naming `discount_code`;
    repeated invalid codes answer 429 (`discount_throttled`) and are flagged for review."""
    result = services.quote_checkout(
        lines=_lines(request, payload.lines),
        province=payload.province,
        shipping_method_code=payload.shipping_method,
        discount_code=payload.discount_code,
        email=payload.email,
        shopper=_shopper(request),
        at=clock.now(),
    )
    summary = result.summary
    price = summary.price
    return {
        "lines": _lines_out(summary),
        "subtotal": f"{summary.subtotal:.2f}",
        "discount": f"{summary.discount:.2f}",
        "discount_code": result.discount.code if result.discount else None,
        "shipping_method": result.method.code,
        "shipping": f"{summary.shipping:.2f}",
        "components": price.components() if price else None,
        "total_tax": str(price.total_tax) if price else None,
        "grand_total": str(price.total) if price else None,
        "ship_date": result.dates.ship_date,
        "delivery_earliest": result.dates.delivery_earliest,
        "delivery_latest": result.dates.delivery_latest,
    }


def _order_out(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "status": order.status,
        "email": order.email,
        "subtotal": f"{order.subtotal:.2f}",
        "discount": f"{order.discount:.2f}",
        "shipping": f"{order.shipping:.2f}",
        "components": list(order.tax_components),
        "total_tax": f"{order.total_tax:.2f}",
        "grand_total": f"{order.grand_total:.2f}",
        "ship_date": order.ship_date,
        "delivery_earliest": order.delivery_earliest,
        "delivery_latest": order.delivery_latest,
    }


@router.post(
    "/orders",
    response={
        200: CheckoutOrderOut,
        201: CheckoutOrderOut,
        400: ErrorOut,
        402: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Place the order (idempotent)",
)
def place(
    request: HttpRequest,
    payload: CheckoutOrderIn,
    idempotency_key: str = Header(
        default="",
        alias="Idempotency-Key",
        description="A unique key per order attempt (8 to 100 characters); a replay returns "
        "the same order.",
    ),
) -> Status:
    """Place the order from `lines` (or the session's basket). Prices, discount and tax are
    computed here, never taken from the request. A declined payment answers 402
    (`payment_declined`) and keeps nothing; too little stock answers 409 (`out_of_stock`);
    a missing attestation 400 (`attestation_required`, TOS-3); an address outside Canada or of
    a refused kind 400 (`address_refused`, TOS-16/17). The basket is emptied once placed.
    The same Idempotency-Key with a different body answers 422 (`idempotency_key_mismatch`);
    of concurrent duplicates exactly one answers 201, the others 200 with the same order."""
    key = idempotency_key.strip()
    if not 8 <= len(key) <= 100:
        raise DomainError(
            CheckoutErrorCode.IDEMPOTENCY_KEY_REQUIRED,
            _("Send an Idempotency-Key header of 8 to 100 characters, unique per order."),
            field="Idempotency-Key",
        )
    lines = _lines(request, payload.lines)
    at = clock.now()
    replayed = order_selectors.order_placed_with(idempotency_key=f"api-{key}")
    replay = replayed is not None
    if replayed is not None:
        _refuse_someone_elses_key(request, payload, replayed)
    # Only a discount code needs to know the shopper (a session is not created for nothing).
    shopper = _shopper(request) if payload.discount_code else ""
    if payload.discount_code and not replay:
        discounts.check_throttle(shopper=shopper, at=at)
    try:
        placed = _place(request, payload, lines=lines, key=key, at=at)
    except DomainError as error:
        if error.code == "no_lines":  # an empty basket that is not a replay
            raise DomainError(
                CheckoutErrorCode.EMPTY_BASKET,
                _("Your basket is empty: add a product before checking out."),
                field="lines",
            ) from None
        if error.code.startswith("discount_") and shopper:  # counts towards the throttle (TOS-9)
            discounts.note_invalid_attempt(
                shopper=shopper, code=payload.discount_code or "", reason=error.code, at=at
            )
        raise
    if not placed.created:  # lost a race for the key: the same checks as a replay
        _refuse_someone_elses_key(request, payload, placed.order)
    if placed.created and payload.lines is None:
        found = selectors.basket_for(request)
        if found is not None:
            services.empty_basket(basket=found, at=at, actor=request.user)
        services.remember_item_count(request, 0)
    # Concurrent duplicates: only the call that placed the order answers 201.
    return Status(201 if placed.created else 200, _order_out(placed.order))


def _refuse_someone_elses_key(request: HttpRequest, payload: CheckoutOrderIn, order: Order) -> None:
    """Someone else's key: say it is taken, never show their order."""
    if not order_selectors.may_see_replay(order=order, user=request.user, email=payload.email):
        raise DomainError(
            CheckoutErrorCode.IDEMPOTENCY_KEY_REUSED,
            _("This Idempotency-Key was already used for another order: send a new one."),
            field="Idempotency-Key",
            status=409,
        )


def _place(
    request: HttpRequest,
    payload: CheckoutOrderIn,
    *,
    lines: list[tuple[str, int]],
    key: str,
    at: Any,
) -> PlacedOrder:
    return placing.place_or_replay(
        lines=lines,
        customer=request.user if request.user.is_authenticated else None,
        contact={
            "email": payload.email,
            "name": payload.name,
            "phone": payload.phone,
            "marketing_email": payload.marketing_email,
            "marketing_opt_out": payload.marketing_opt_out,
        },
        address=payload.shipping_address.model_dump(),
        attestations=payload.attestations.model_dump(),
        shipping_method=payload.shipping_method,
        discount_code=payload.discount_code,
        payment_method=payload.payment_method,
        payment_token=payload.payment_token,
        idempotency_key=f"api-{key}",
        at=at,
        # The body as sent (defaults filled in): the key's replay must carry the same one.
        request_hash=request_fingerprint(payload.model_dump(mode="json")),
    )
