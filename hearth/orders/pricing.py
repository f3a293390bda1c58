"""The one pricing path: :func:`price_order`, a :class:`PricingDraft` to an :class:`OrderPrice`.

Every price a customer sees or pays comes from here: the web checkout's quote and its review page,
the sales office's phone quote, placing (what is authorised and stored) and the tax invoice. So the
price reviewed is the price charged is the price invoiced (TOS-1, TOS-2, TOS-11, TOS-15).

Pure: typed values in, typed values out; no Django, no database, no clock. The edge reads the
catalogue (unit prices), the discount code (its amount, from :mod:`hearth.discounts`) and the
shipping method's fee, and passes them in. Amounts are :class:`~hearth.core.money.Money`, rounded
in the one place (``core.money``); the tax is the tax engine's (:func:`hearth.tax.rules.quote`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from hearth.core.money import Money
from hearth.core.places import Province
from hearth.tax.errors import TaxErrorCode, tax_error
from hearth.tax.rates import RateTable, default_rate_table
from hearth.tax.rules import TaxComponent, TaxLine, quote

ZERO = Money.zero()


@dataclass(frozen=True, slots=True)
class PriceLine:
    """``quantity`` units of ``sku`` at the catalogue's ``unit_price`` (before tax)."""

    sku: str
    unit_price: Money
    quantity: int

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class PricingDraft:
    """What an order's price depends on, and nothing else.

    ``on`` is the order's date in Eastern time (it picks the tax rates); ``discount`` is the amount
    off the lines that the discount code gives (already capped at the lines); ``shipping_fee`` is
    the chosen method's fee.
    """

    lines: tuple[PriceLine, ...]
    province: Province
    on: dt.date
    shipping_method: str = "standard"
    shipping_fee: Money = ZERO
    discount: Money = ZERO
    bc_pst_number: str | None = None


@dataclass(frozen=True, slots=True)
class OrderPrice:
    """An order's price: the lines, the goods before tax, the discount, shipping, the taxable
    subtotal (goods - discount + shipping), each tax component, the total tax and the total."""

    lines: tuple[PriceLine, ...]
    goods: Money
    discount: Money
    shipping: Money
    subtotal: Money
    tax: tuple[TaxComponent, ...]
    total_tax: Money
    total: Money

    def components(self) -> list[dict[str, str]]:
        """The tax components as orders store them: code, rate and amount as strings."""
        return [
            {"code": c.code, "rate": str(c.rate), "amount": f"{c.amount:.2f}"} for c in self.tax
        ]


def goods_of(lines: Iterable[PriceLine]) -> Money:
    """The lines' total before tax and discount (what a discount code's percent is taken of)."""
    total = ZERO
    for line in lines:
        total = total + line.total
    return total


def province_of(raw: object) -> Province:
    """``raw`` as a :class:`Province`, else the tax engine's ``unknown_province`` DomainError."""
    province = Province.parse(raw)
    if province is None:
        text = raw if isinstance(raw, str) else repr(raw)
        raise tax_error(
            TaxErrorCode.UNKNOWN_PROVINCE,
            field="province",
            value=repr(text[:30]),
            choices=", ".join(p.value for p in Province),
        )
    return province


class _CatalogueLine(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def quantity(self) -> int: ...


def pricing_draft(
    lines: Iterable[_CatalogueLine],
    *,
    province: object,
    on: dt.date,
    shipping_method: str,
    shipping_fee: Decimal,
    discount: Decimal,
    bc_pst_number: str | None = None,
) -> PricingDraft:
    """The draft for lines priced from the catalogue (or stored on an order) and plain amounts.

    ``province`` is checked here (``unknown_province``, field ``province``)."""
    return PricingDraft(
        lines=tuple(PriceLine(x.sku, Money(x.unit_price), x.quantity) for x in lines),
        province=province_of(province),
        on=on,
        shipping_method=shipping_method,
        shipping_fee=Money(shipping_fee),
        discount=Money(discount),
        bc_pst_number=bc_pst_number or None,
    )


def price_order(draft: PricingDraft, *, table: RateTable | None = None) -> OrderPrice:
    """The price of ``draft``: see the module doc. Raises the tax engine's DomainErrors (no lines,
    a bad quantity, a discount above the lines, a date before the rate data, a malformed BC PST
    number)."""
    table = table or default_rate_table()
    tax = quote(
        lines=[TaxLine(unit_price=x.unit_price.amount, quantity=x.quantity) for x in draft.lines],
        shipping=draft.shipping_fee.amount,
        province=draft.province,
        on=draft.on,
        bc_pst_number=draft.bc_pst_number or None,
        discount=draft.discount.amount,
        table=table,
    )
    return OrderPrice(
        lines=draft.lines,
        goods=goods_of(draft.lines),
        discount=draft.discount,
        shipping=draft.shipping_fee,
        subtotal=Money(tax.subtotal),
        tax=tax.components,
        total_tax=Money(tax.total_tax),
        total=Money(tax.grand_total),
    )
