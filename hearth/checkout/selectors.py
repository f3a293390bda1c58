"""Reads of the checkout app: the request's basket and its priced summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext

from hearth.catalog.models import Variant
from hearth.catalog.selectors import variants_by_sku
from hearth.checkout import rules
from hearth.checkout.models import Basket, BasketLine
from hearth.orders.pricing import OrderPrice, price_order, pricing_draft
from hearth.orders.rules import price_fingerprint
from hearth.privacy.models import Purpose
from hearth.privacy.rules import Kind as ConsentRuleKind
from hearth.privacy.selectors import current_consents

SESSION_BASKET = "checkout_basket"
# How many items the basket held when this session last read or changed it: the header's basket
# count reads it with the session, so no page pays a query for it (issue #16 item 6).
SESSION_BASKET_ITEMS = "checkout_basket_items"
ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class SummaryLine:
    sku: str
    quantity: int
    name: str
    colour: str
    slug: str
    image: str
    unit_price: Decimal
    line_total: Decimal
    availability: str
    expected_ship_date: dt.date | None
    stock_on_hand: int
    problem: str | None  # why the line cannot be bought as it is, translated; None if it can


@dataclass(frozen=True, slots=True)
class BasketSummary:
    lines: tuple[SummaryLine, ...]
    subtotal: Decimal  # lines before tax and before the discount
    discount: Decimal
    shipping: Decimal
    price: OrderPrice | None  # orders' one pricing path; None while the province is not known
    total: Decimal | None  # what the customer pays, once tax is known

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def problems(self) -> list[str]:
        return [line.problem for line in self.lines if line.problem]

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def fingerprint(self) -> str:
        """Changes whenever what the customer would pay changes (lines, prices, totals)."""
        return price_fingerprint(
            ((x.sku, x.quantity, x.unit_price) for x in self.lines),
            discount=self.discount,
            shipping=self.shipping,
            total=self.total,
        )


def basket_for(request: HttpRequest) -> Basket | None:
    """The basket of the signed-in customer, else of the guest's session; None if none yet."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Basket.objects.filter(user=user).first()
    token = request.session.get(SESSION_BASKET)
    if not token:
        return None
    return Basket.objects.filter(session_key=token, user__isnull=True).first()


def request_basket_lines(request: HttpRequest) -> list[tuple[str, int]]:
    """:func:`basket_lines` of :func:`basket_for` in one query (a join), sorted by SKU."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        lines = BasketLine.objects.filter(basket__user=user)
    else:
        token = request.session.get(SESSION_BASKET)
        if not token:
            return []
        lines = BasketLine.objects.filter(basket__session_key=token, basket__user__isnull=True)
    return sorted(lines.order_by().values_list("sku", "quantity"))


def remembered_item_count(request: HttpRequest) -> int:
    """The basket's item count as this session last saw it (0 without a session or basket); a
    request that has read the lines (:func:`request_basket_lines`, memoised by the checkout's
    views) counts them instead. No query beyond the session's own read."""
    lines: list[tuple[str, int]] | None = getattr(request, "_checkout_lines", None)
    if lines is not None:
        return sum(quantity for _, quantity in lines)
    session = getattr(request, "session", None)
    if session is None:
        return 0
    count = session.get(SESSION_BASKET_ITEMS, 0)
    return count if isinstance(count, int) and count > 0 else 0


def items_in_customers_basket(user: Any) -> int:
    """How many items the customer's own basket holds (one query)."""
    total = BasketLine.objects.filter(basket__user=user).aggregate(n=models.Sum("quantity"))["n"]
    return int(total or 0)


def basket_lines(basket: Basket | None) -> list[tuple[str, int]]:
    """(sku, quantity) pairs, sorted by SKU (the fixed order stock is reserved in)."""
    if basket is None:
        return []
    return sorted(basket.lines.order_by().values_list("sku", "quantity"))


def summarise(
    lines: Sequence[tuple[str, int]],
    *,
    province: str | None = None,
    on: dt.date | None = None,
    discount: Decimal = ZERO,
    shipping: Decimal = ZERO,
    shipping_method: str = "standard",
    variants: Mapping[str, Variant] | None = None,
) -> BasketSummary:
    """Price ``lines`` from the catalogue; tax (each component) once ``province`` and ``on``
    are known, through orders' :func:`~hearth.orders.pricing.price_order` (the path placing
    and the invoice take). Lines no longer sold, or above the stock on hand, carry a ``problem``.
    ``variants``: the lines' variants already read (``variants_by_sku``), to read them once."""
    if variants is None:
        variants = variants_by_sku([sku for sku, _ in lines])
    out: list[SummaryLine] = []
    for sku, quantity in lines:
        variant = variants.get(sku)
        if variant is None or not variant.product.is_active:
            out.append(
                SummaryLine(
                    sku, quantity, sku, "", "", "", ZERO, ZERO, "", None, 0,
                    gettext("This item is no longer sold: remove it to continue."),
                )
            )  # fmt: skip
            continue
        refusal = rules.quantity_refusal(
            quantity=quantity,
            stock_on_hand=variant.stock_on_hand,
            availability=variant.availability,
        )
        problem = None
        if refusal is not None and refusal.code == "quantity_above_stock":
            stock = int(refusal.params["stock"])
            problem = (
                gettext("Only %(stock)s left in stock: choose %(stock)s or fewer.")
                % {"stock": stock}
                if stock
                else gettext("Sorry, this item is out of stock: remove it to continue.")
            )
        elif refusal is not None:
            problem = gettext("Choose a quantity from 1 to %(max)s.") % refusal.params
        out.append(
            SummaryLine(
                sku=sku,
                quantity=quantity,
                name=variant.product.display_name,
                colour=variant.display_colour,
                slug=variant.product.slug,
                image=variant.product.image,
                unit_price=variant.price,
                line_total=variant.price * quantity,
                availability=variant.availability,
                expected_ship_date=variant.expected_ship_date,
                stock_on_hand=variant.stock_on_hand,
                problem=problem,
            )
        )
    subtotal = sum((line.line_total for line in out), ZERO)
    discount = min(discount, subtotal)
    price = None
    total = None
    if province and on is not None and out:
        price = price_order(
            pricing_draft(
                out,
                province=province,
                on=on,
                shipping_method=shipping_method,
                shipping_fee=shipping,
                discount=discount,
            )
        )
        total = price.total.amount
    return BasketSummary(tuple(out), subtotal, discount, shipping, price, total)


def basket_summary(
    basket: Basket | None,
    province: str | None = None,
    on: dt.date | None = None,
    *,
    discount: Decimal = ZERO,
    shipping: Decimal = ZERO,
) -> BasketSummary:
    """:func:`summarise` over the basket's lines (prices from the catalogue, tax if known)."""
    return summarise(
        basket_lines(basket), province=province, on=on, discount=discount, shipping=shipping
    )


def express_marketing_choice(*, user: Any, at: dt.datetime) -> bool:
    """Whether the signed-in customer currently gives express consent to news and offers by
    email: what the checkout's box shows (an implied consent from a purchase ticks nothing)."""
    state = current_consents(at=at, user=user).get(Purpose.MARKETING_EMAIL)
    return bool(state is not None and state.granted and state.kind == ConsentRuleKind.EXPRESS)
