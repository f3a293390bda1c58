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
from collections.abc import Iterable, Mapping
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


# --- Credit notes: the price of returned units (issue #13, TOS-22, TOS-24).


def _cents(money: Money) -> int:
    return int(money.amount * 100)


def _money(cents: int) -> Money:
    return Money(Decimal(cents) / 100)


def discount_shares(lines: tuple[PriceLine, ...], discount: Money) -> tuple[Money, ...]:
    """Each line's share of the order's discount, in proportion to the line's total, in cents
    that add up to the discount exactly (largest remainder; a tie goes to the earlier line)."""
    totals = [_cents(line.total) for line in lines]
    goods, off = sum(totals), _cents(discount)
    if not goods or not off:
        return tuple(ZERO for _ in lines)
    floors = [off * total // goods for total in totals]
    remainders = [off * total % goods for total in totals]
    left = off - sum(floors)
    for index in sorted(range(len(lines)), key=lambda i: (-remainders[i], i))[:left]:
        floors[index] += 1
    return tuple(_money(cents) for cents in floors)


def returned_discount(share: Money, *, quantity: int, returned: int) -> Money:
    """The part of a line's discount ``share`` that ``returned`` of its ``quantity`` units carry:
    rounded down to the cent until the last unit, which takes what is left (so the units of a line
    carry its whole share, and more units never carry less)."""
    if returned >= quantity:
        return share
    return _money(_cents(share) * returned // quantity)


@dataclass(frozen=True, slots=True)
class CreditLine:
    """``quantity`` returned units of ``sku`` at ``unit_price``, less their ``discount`` share;
    ``amount`` is what they credit before tax."""

    sku: str
    unit_price: Money
    quantity: int
    discount: Money

    @property
    def amount(self) -> Money:
        return self.unit_price * self.quantity - self.discount


@dataclass(frozen=True, slots=True)
class CreditPrice:
    """What one credit note gives back: its lines, the goods, the discount they carried, the
    shipping (only on the note that takes the order's last units), the subtotal, each tax
    component at the rate of the original invoice, the total tax and the total."""

    lines: tuple[CreditLine, ...]
    goods: Money
    discount: Money
    shipping: Money
    subtotal: Money
    tax: tuple[TaxComponent, ...]
    total_tax: Money
    total: Money

    def components(self) -> list[dict[str, str]]:
        """The tax components as stored: code, rate and amount as strings."""
        return [
            {"code": c.code, "rate": str(c.rate), "amount": f"{c.amount:.2f}"} for c in self.tax
        ]


def returned_price(
    draft: PricingDraft, returned: Mapping[str, int], *, table: RateTable | None = None
) -> OrderPrice | None:
    """The price of every unit returned so far (``returned``: SKU -> units, cumulative), through
    :func:`price_order` with the order's own province, date and PST number: their unit prices, the
    discount their units carry, and the shipping fee once every unit of the order is returned.
    Returning the whole order prices it exactly as invoiced. None when nothing is returned."""
    shares = discount_shares(draft.lines, draft.discount)
    lines: list[PriceLine] = []
    discount = ZERO
    whole = True
    for line, share in zip(draft.lines, shares, strict=True):
        units = min(returned.get(line.sku, 0), line.quantity)
        whole = whole and units == line.quantity
        if units:
            lines.append(PriceLine(line.sku, line.unit_price, units))
            discount = discount + returned_discount(share, quantity=line.quantity, returned=units)
    if not lines:
        return None
    return price_order(
        PricingDraft(
            lines=tuple(lines),
            province=draft.province,
            on=draft.on,
            shipping_method=draft.shipping_method,
            shipping_fee=draft.shipping_fee if whole else ZERO,
            discount=discount,
            bc_pst_number=draft.bc_pst_number,
        ),
        table=table,
    )


def credit_price(
    draft: PricingDraft,
    invoiced: OrderPrice,
    *,
    before: Mapping[str, int],
    now: Mapping[str, int],
    table: RateTable | None = None,
) -> CreditPrice:
    """The credit note for returning ``now`` (SKU -> units) after ``before`` was credited.

    The difference between the price of everything returned with this note and of everything
    returned before it (:func:`returned_price`), so rounding never adds up across notes: each tax
    component is reversed at the rate charged on ``invoiced`` and, cumulatively, never beyond the
    invoice's amount of that component (nor the goods, discount or shipping beyond the invoice's).
    Raises ValueError when a rate differs from the invoice's (the invoice is the truth) or when
    ``before`` + ``now`` is more of a SKU than was sold.
    """
    sold = {line.sku: line.quantity for line in draft.lines}
    after = dict(before)
    for sku, units in now.items():
        after[sku] = after.get(sku, 0) + units
        if units < 0 or after[sku] > sold.get(sku, 0):
            raise ValueError(f"{sku}: {after[sku]} returned, {sold.get(sku, 0)} sold")
    rates = {c.code: c.rate for c in invoiced.tax}
    prev, upto = (
        returned_price(draft, before, table=table),
        returned_price(draft, after, table=table),
    )

    def capped(price: OrderPrice | None) -> dict[str, Money]:
        if price is None:
            return {}
        for component in price.tax:
            if rates.get(component.code) != component.rate:
                raise ValueError(f"{component.code} at {component.rate}, invoiced at other rates")
        charged = {c.code: Money(c.amount) for c in invoiced.tax}
        return {
            c.code: min(Money(c.amount), charged[c.code], key=lambda m: m.amount) for c in price.tax
        }

    tax_before, tax_after = capped(prev), capped(upto)
    tax = tuple(
        TaxComponent(
            c.code,
            c.rate,
            (tax_after.get(c.code, ZERO) - tax_before.get(c.code, ZERO)).amount,
        )
        for c in invoiced.tax
    )
    total_tax = ZERO
    for component in tax:
        total_tax = total_tax + Money(component.amount)

    def part(price: OrderPrice | None, name: str) -> Money:
        return getattr(price, name) if price is not None else ZERO

    shares = discount_shares(draft.lines, draft.discount)
    lines = []
    for line, share in zip(draft.lines, shares, strict=True):
        units = now.get(line.sku, 0)
        if units:
            done = before.get(line.sku, 0)
            carried = returned_discount(
                share, quantity=line.quantity, returned=done + units
            ) - returned_discount(share, quantity=line.quantity, returned=done)
            lines.append(CreditLine(line.sku, line.unit_price, units, carried))
    subtotal = part(upto, "subtotal") - part(prev, "subtotal")
    return CreditPrice(
        lines=tuple(lines),
        goods=part(upto, "goods") - part(prev, "goods"),
        discount=part(upto, "discount") - part(prev, "discount"),
        shipping=part(upto, "shipping") - part(prev, "shipping"),
        subtotal=subtotal,
        tax=tax,
        total_tax=total_tax,
        total=subtotal + total_tax,
    )
