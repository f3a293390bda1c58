"""Reads: a customer's orders (owner only), what the warehouse ships, and the erasure blocker."""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from hearth.core.clock import EASTERN
from hearth.core.languages import choose_language, supported_language
from hearth.orders import rules
from hearth.orders.models import Order, OrderStatus
from hearth.orders.pricing import OrderPrice, price_order, pricing_draft
from hearth.privacy.erasure import Blocker

OPEN = [s.value for s in rules.OPEN_STATUSES]


def orders_for(*, user: Any) -> QuerySet[Order]:
    """The customer's own orders, newest first."""
    return Order.objects.filter(customer=user).prefetch_related("lines")


@functools.cache
def _terms_first_by_province() -> dict[str, str]:
    with (Path(__file__).parent / "data" / "terms_languages.toml").open("rb") as handle:
        rows = tomllib.load(handle)["province"]
    for row in rows:
        if not (row.get("code") and row.get("first") and row.get("source")):
            raise ValueError(f"terms_languages.toml: code, first and source needed: {row}")
        if supported_language(row["first"]) != row["first"]:
            raise ValueError(f"terms_languages.toml: unsupported language {row['first']!r}")
    return {row["code"]: row["first"] for row in rows}


@dataclass(frozen=True)
class TermsOffer:
    """How the terms of sale are offered at placing: ``languages`` in the order shown (the first
    is the one accepted unless the buyer chooses another); ``law_names_first``: the delivery
    province's law fixes the first (Quebec), so the buyer is asked which version they accept."""

    languages: tuple[str, ...]
    law_names_first: bool

    @property
    def first(self) -> str:
        return self.languages[0]


def terms_offer(*, province: str, page_language: str) -> TermsOffer:
    """The terms' languages for a delivery ``province`` (issue #16; data/terms_languages.toml)."""
    table = _terms_first_by_province()
    return TermsOffer(
        languages=rules.terms_languages(
            province=province,
            page_language=choose_language(page_language),
            first_by_province=table,
            languages=[code for code, _name in settings.LANGUAGES],
        ),
        law_names_first=rules.french_first(province=province, first_by_province=table),
    )


def email_language(order: Order) -> str:
    """The language every email about ``order`` is written in (issue #16): the customer's stored
    choice, else the language the order was placed in, else the default (English)."""
    customer = order.customer if order.customer_id else None
    return choose_language(getattr(customer, "language", ""), order.language)


def order_for_owner(*, user: Any, number: str) -> Order:
    """The customer's order ``number``; Http404 for anyone else's (no hint that it exists)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    order = orders_for(user=user).filter(number=number).first()
    if order is None:
        raise Http404
    return order


class PriceMismatch(RuntimeError):
    """An order's stored charge is not what the pricing path gives for its stored inputs: a bug
    (or a rate table edited after the fact). Never invoice a price other than the one charged."""


def order_price(order: Order) -> OrderPrice:
    """The order's price through the one pricing path, from what the order stored: its lines'
    unit prices, the discount, the shipping fee, the province, the day it was placed (Eastern)
    and the BC PST number. Equal to what was authorised (raises :class:`PriceMismatch` if not)."""
    price = price_order(
        pricing_draft(
            order.lines.all(),
            province=order.province,
            on=order.placed_at.astimezone(EASTERN).date(),
            shipping_method=order.shipping_method,
            shipping_fee=order.shipping,
            discount=order.discount,
            bc_pst_number=order.bc_pst_number or None,
        )
    )
    if price.total.amount != order.grand_total or price.components() != order.tax_components:
        raise PriceMismatch(
            f"order {order.number}: priced {price.total}, charged {order.grand_total}"
        )
    return price


def order_by_number(number: str) -> Order | None:
    return Order.objects.filter(number=number).prefetch_related("lines").first()


def order_placed_with(*, idempotency_key: str) -> Order | None:
    """The order an idempotency key already placed, if any (one read of a unique column)."""
    return Order.objects.filter(idempotency_key=idempotency_key).first()


def may_see_replay(*, order: Order, user: Any, email: str) -> bool:
    """A replayed placing request gets the order back only from whoever placed it: the same
    signed-in customer, or, for a guest order, a guest giving the same email."""
    if getattr(user, "is_authenticated", False):
        return order.customer_id == user.pk
    return order.customer_id is None and order.email.strip().lower() == email.strip().lower()


def orders_to_ship() -> QuerySet[Order]:
    """Released orders the warehouse picks, by ship date."""
    return (
        Order.objects.filter(status=OrderStatus.RELEASED)
        .order_by("ship_date", "placed_at")
        .prefetch_related("lines")
    )


def orders_on_hold() -> QuerySet[Order]:
    """The acceptance review queue (TOS-21): held orders, oldest first, with why each is held."""
    return Order.objects.filter(status=OrderStatus.ON_HOLD).order_by("placed_at", "id")


@dataclass(frozen=True)
class OrderMoney:
    authorised: Decimal
    captured: Decimal
    refunded: Decimal

    @property
    def refundable(self) -> Decimal:
        return self.captured - self.refunded


def money_of(order: Order) -> OrderMoney:
    """What was authorised, captured and refunded on the order's payment."""
    from hearth.payments.selectors import payment

    if not order.payment_id:
        zero = Decimal("0.00")
        return OrderMoney(zero, zero, zero)
    paid = payment(order.payment_id)
    return OrderMoney(paid.amount, paid.captured_amount or Decimal("0.00"), paid.refunded_amount)


def open_orders_for(*, user: Any) -> QuerySet[Order]:
    return Order.objects.filter(customer=user, status__in=OPEN)


def erasure_blockers(user: Any, at: dt.datetime) -> list[Blocker]:
    """PP-15 erasure waits while an order is open (not shipped or cancelled)."""
    rows = list(open_orders_for(user=user).values_list("number", "delivery_latest", "ship_date"))
    if not rows:
        return []
    available_on = rules.erasure_available_on(
        [(latest, ship) for _n, latest, ship in rows], at.date()
    )
    numbers = ", ".join(number for number, _l, _s in rows)
    return [
        Blocker(
            code="open_order",
            reason=_("An order is still in progress: %(numbers)s.") % {"numbers": numbers},
            available_on=available_on,
        )
    ]


def phone_orders_today_count() -> int:
    """Phone orders placed today (Toronto time), for the sales agents' home."""
    from hearth.core import clock
    from hearth.core.clock import EASTERN

    today = clock.now().astimezone(EASTERN).date()
    start = dt.datetime.combine(today, dt.time(0), tzinfo=EASTERN)
    return Order.objects.filter(
        channel=rules.Channel.PHONE,
        placed_at__gte=start,
        placed_at__lt=start + dt.timedelta(days=1),
    ).count()


@dataclass(frozen=True)
class ShipDates:
    """When an order ships and arrives: the one computation placing, the checkout review and
    re-dating use. ``ship_date`` and the window are None while a pre-order or backorder line
    has no expected date yet."""

    ship_date: dt.date | None
    delivery_earliest: dt.date | None
    delivery_latest: dt.date | None
    shipping_fee: Decimal
    delayed: bool


def ship_dates(
    *,
    placed_at: dt.datetime,
    confirmed_at: dt.datetime | None,
    method: str,
    lines: Iterable[tuple[str, dt.date | None]],
) -> ShipDates:
    """The order ships together: the ordinary estimate, or from the latest expected date of a
    delayed line (``lines`` are ``(availability, expected_ship_date)``) when that is later."""
    from hearth.core.clock import EASTERN
    from hearth.fulfilment.selectors import delivery_estimate

    plan = rules.ship_plan(
        rules.PricedLine("", "", "", Decimal(0), 1, availability, expected)
        for availability, expected in lines
    )
    estimate = delivery_estimate(
        placed_at=placed_at, payment_confirmed_at=confirmed_at, method=method
    )
    fee = estimate.shipping_fee
    if plan.delayed and plan.ship_from is None:
        return ShipDates(None, None, None, fee, True)
    if plan.ship_from is not None and plan.ship_from > estimate.ship_date:
        start = dt.datetime.combine(plan.ship_from, dt.time(0), tzinfo=EASTERN)
        estimate = delivery_estimate(placed_at=start, payment_confirmed_at=None, method=method)
    return ShipDates(
        estimate.ship_date,
        estimate.delivery_earliest,
        estimate.delivery_latest,
        fee,
        plan.delayed,
    )


def phone_picker() -> list[tuple[str, str]]:
    """The sales agent's product picker: every variant on sale with its price before tax and
    its stock now (units on hand, or pre-order/backorder and the expected ship date)."""
    from django.utils.translation import gettext as _

    from hearth.catalog.selectors import catalogue

    rows: list[tuple[str, str]] = []
    for product in catalogue():
        for variant in product.variants.all():
            if variant.availability == "in_stock":
                stock = _("%(n)d in stock") % {"n": variant.stock_on_hand}
            elif variant.expected_ship_date:
                stock = _("%(kind)s, expected to ship %(day)s") % {
                    "kind": variant.get_availability_display(),
                    "day": variant.expected_ship_date.isoformat(),
                }
            else:
                stock = _("%(kind)s, ship date not known yet") % {
                    "kind": variant.get_availability_display()
                }
            rows.append(
                (
                    variant.sku,
                    f"{product.name} – {variant.colour} ({variant.sku}): "
                    f"{variant.price:.2f} CAD, {stock}",
                )
            )
    return rows


def phone_shipping_choices(*, at: dt.datetime) -> list[tuple[str, str]]:
    """Standard and Express with their fee and, if placed now, ship date and delivery window."""
    from django.utils.translation import gettext as _

    from hearth.core.l10n import human_date, money
    from hearth.fulfilment.rules import shipping_methods
    from hearth.fulfilment.selectors import delivery_estimate

    choices = []
    for method in shipping_methods():
        estimate = delivery_estimate(placed_at=at, payment_confirmed_at=None, method=method.code)
        choices.append(
            (
                method.code,
                _("%(name)s: %(fee)s, ships %(ship)s, delivered %(earliest)s to %(latest)s")
                % {
                    "name": _(method.name),
                    "fee": money(method.fee),
                    "ship": human_date(estimate.ship_date),
                    "earliest": human_date(estimate.delivery_earliest),
                    "latest": human_date(estimate.delivery_latest),
                },
            )
        )
    return choices


#: Statuses of an order accepted but not yet shipped (late once its ship date has passed).
NOT_YET_SHIPPED = [
    rules.Status.RELEASED.value,
    rules.Status.PICKING.value,
    rules.Status.PACKED.value,
]


def late_orders(*, today: dt.date) -> QuerySet[Order]:
    """Accepted orders whose ship date has passed without shipping (care calls the customer)."""
    return Order.objects.filter(status__in=NOT_YET_SHIPPED, ship_date__lt=today)


def late_orders_count() -> int:
    from hearth.core import clock
    from hearth.core.clock import EASTERN

    return late_orders(today=clock.now().astimezone(EASTERN).date()).count()


# --- Pre-order and backorder lines waiting for received stock (TOS-20), for the warehouse.


@dataclass(frozen=True)
class StockWait:
    """Open orders waiting for received stock of one SKU: how many orders and units."""

    sku: str
    orders: int
    units: int


def _waiting_lines(sku: str | None = None) -> QuerySet[Any]:
    from hearth.orders.models import OrderLine

    lines = OrderLine.objects.filter(
        allocated_at__isnull=True,
        availability__in=sorted(rules.DELAYED),
        order__status__in=sorted(rules.OPEN_STATUSES),
    )
    if sku is not None:
        lines = lines.filter(sku=sku)
    return lines


def waiting_for_stock_by_sku() -> list[StockWait]:
    """Every SKU that open pre-orders or backorders wait for, with their order and unit counts."""
    orders: dict[str, set[int]] = {}
    units: dict[str, int] = {}
    for sku, order_id, quantity in _waiting_lines().values_list("sku", "order_id", "quantity"):
        orders.setdefault(sku, set()).add(order_id)
        units[sku] = units.get(sku, 0) + quantity
    return [StockWait(sku, len(orders[sku]), units[sku]) for sku in sorted(orders)]


def orders_waiting_after_receipt(*, sku: str, quantity: int) -> int:
    """How many open orders would still wait for ``sku`` after ``quantity`` units are received
    and allocated oldest first, as ``services.allocate_received_stock`` does."""
    lines = list(
        _waiting_lines(sku)
        .order_by("order__placed_at", "order_id", "pk")
        .values_list("order_id", "quantity")
    )
    filled = rules.fifo_allocation([q for _order, q in lines], max(quantity, 0))
    return len({order_id for order_id, _q in lines[filled:]})


def express_marketing_in_force(*, customer: Any, at: dt.datetime) -> bool:
    """The customer's express consent to news and offers by email is in force: the phone
    order's first marketing box starts ticked then, so leaving it withdraws nothing."""
    from hearth.privacy.models import Purpose
    from hearth.privacy.rules import Kind
    from hearth.privacy.selectors import current_consents

    if customer is None:
        return False
    state = current_consents(at=at, user=customer)[Purpose.MARKETING_EMAIL]
    return state.granted and state.kind == Kind.EXPRESS
