"""Canadian sales tax on an order, as pure functions of plain values (TOS-11, TOS-12).

The rules (PROMISES.md, business interpretations):

- The taxable subtotal is the lines (unit price x quantity) less the discount, plus shipping:
  shipping is taxable.
- The shipping destination's province picks the components, and the order's date picks the
  rates (``data/rates.json``): GST everywhere; HST instead of GST where a province has
  harmonised; PST (Manitoba's and Ontario's RST are shown as PST) or QST on top of GST.
- Each component is its rate times its base, rounded half-up to the cent once. The base is the
  taxable subtotal, except where the rule in force charged the provincial tax on the price plus
  GST (Quebec's QST until 2012-12-31, Prince Edward Island's PST until 2013-03-31): then it is
  the subtotal plus the rounded GST amount.
- ``total_tax`` is the sum of the rounded components; ``grand_total`` is subtotal + total_tax.
- BC PST is not charged when a valid BC PST number is given for a British Columbia order (TOS-12;
  whether the sale went through the sales office is the caller's check). GST is still charged,
  and so is the HST of 2010-07-01..2013-03-31, which a PST number never exempted. A number on
  an order for another province is still validated (a malformed one is an error) but changes
  nothing.
- Dates before the data start (2006-01-01) are refused; future dates use the latest rates known.

Time is an argument; nothing here reads the clock, the database or the network (the rate table is
loaded once by :mod:`hearth.tax.rates`, or passed in).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from hearth.core.money import round_cents
from hearth.tax.errors import TaxErrorCode, tax_error
from hearth.tax.rates import GST, PST, RateTable, default_rate_table

ZERO = Decimal("0.00")
# Far above any real order, far below Decimal's 28 significant digits after multiplying.
MAX_AMOUNT = Decimal("1000000000000")
BC = "BC"
_BC_PST_NUMBER = re.compile(r"(?:PST-(\d{4})-(\d{4}))|(?:(\d{4})(\d{4}))", re.ASCII)


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One order line: ``quantity`` units at ``unit_price`` (before tax, at most 2 places)."""

    unit_price: Decimal
    quantity: int


@dataclass(frozen=True, slots=True)
class TaxComponent:
    """One tax on the order: ``code`` is GST, HST, PST or QST; ``amount`` is in cents."""

    code: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class TaxQuote:
    """The tax on an order: components in charging order (GST first), and the totals."""

    components: tuple[TaxComponent, ...]
    total_tax: Decimal
    subtotal: Decimal
    grand_total: Decimal


@dataclass(frozen=True, slots=True)
class RateInForce:
    """A rate that applies on a day, with the base it is charged on and its source."""

    code: str
    rate: Decimal
    base: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str


def provinces(*, table: RateTable | None = None) -> list[str]:
    """The 13 province and territory codes the engine knows, sorted (AB ... YT)."""
    return (table or default_rate_table()).provinces


def rates_on(province: str, on: dt.date, *, table: RateTable | None = None) -> list[RateInForce]:
    """The components charged in ``province`` on ``on``, GST first (or the HST alone).

    Raises DomainError for an unknown province or a date before the data start.
    """
    table = table or default_rate_table()
    _check_where_and_when(table, province, on)
    return [
        RateInForce(r.component, r.rate, r.base, r.effective_from, r.effective_to, r.source)
        for r in table.in_force(province, on)
    ]


def normalise_bc_pst_number(raw: str) -> str:
    """A BC PST number in its one written form, ``PST-1234-5678``.

    Accepts ``PST-1234-5678`` (any letter case) and the plain eight digits ``12345678``,
    ignoring surrounding spaces. Anything else raises DomainError ``invalid_bc_pst_number`` on the
    field ``bc_pst_number``. Only the form is checked: whether the number is registered with the
    Province is for the sales office to confirm.
    """
    text = raw.strip().upper() if isinstance(raw, str) else ""
    match = _BC_PST_NUMBER.fullmatch(text)
    if match is None:
        raise tax_error(
            TaxErrorCode.INVALID_BC_PST_NUMBER, field="bc_pst_number", value=_shown(raw)
        )
    first, second = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    return f"PST-{first}-{second}"


def quote(
    *,
    lines: Sequence[TaxLine],
    shipping: Decimal,
    province: str,
    on: dt.date,
    bc_pst_number: str | None = None,
    discount: Decimal = ZERO,
    table: RateTable | None = None,
) -> TaxQuote:
    """The tax on an order shipped to ``province`` and placed on ``on`` (see the module rules).

    Amounts are Decimals with at most two places, none negative; quantities whole and >= 1;
    ``discount`` at most the lines' total. Each broken rule raises DomainError naming the field
    as the API does (``province``, ``date``, ``lines.0.quantity``, ``shipping`` ...).
    """
    table = table or default_rate_table()
    _check_where_and_when(table, province, on)
    pst_exempt = False
    if bc_pst_number is not None:
        normalise_bc_pst_number(bc_pst_number)
        pst_exempt = province == BC

    if not lines:
        raise tax_error(TaxErrorCode.NO_LINES, field="lines")
    goods = ZERO
    for index, line in enumerate(lines):
        quantity = line.quantity
        if type(quantity) is not int or quantity < 1:
            raise tax_error(TaxErrorCode.INVALID_QUANTITY, field=f"lines.{index}.quantity")
        goods += _amount(line.unit_price, f"lines.{index}.unit_price") * quantity
    shipping = _amount(shipping, "shipping")
    discount = _amount(discount, "discount")
    if discount > goods:
        raise tax_error(
            TaxErrorCode.DISCOUNT_EXCEEDS_LINES,
            field="discount",
            value=f"{discount:.2f}",
            limit=f"{goods:.2f}",
        )
    subtotal = goods - discount + shipping
    if subtotal >= MAX_AMOUNT:
        raise tax_error(TaxErrorCode.AMOUNT_TOO_LARGE, field="lines")

    components: list[TaxComponent] = []
    gst_amount = ZERO
    total = ZERO
    for record in table.in_force(province, on):
        code = record.component
        if pst_exempt and code == PST:
            continue
        base = subtotal + gst_amount if record.base == "price_plus_gst" else subtotal
        amount = round_cents(base * record.rate)
        if code == GST:
            gst_amount = amount
        total += amount
        components.append(TaxComponent(code, record.rate, amount))
    return TaxQuote(tuple(components), total, subtotal, subtotal + total)


def _check_where_and_when(table: RateTable, province: str, on: dt.date) -> None:
    if province not in table.periods:
        raise tax_error(
            TaxErrorCode.UNKNOWN_PROVINCE,
            field="province",
            value=_shown(province),
            choices=", ".join(table.provinces),
        )
    if isinstance(on, dt.datetime) or not isinstance(on, dt.date):
        raise TypeError("`on` must be a datetime.date (the order's date), not a datetime")
    if on < table.data_starts:
        raise tax_error(
            TaxErrorCode.DATE_BEFORE_RATE_DATA,
            field="date",
            value=on.isoformat(),
            first=table.data_starts.isoformat(),
        )


def _shown(value: object, limit: int = 30) -> str:
    """``value`` quoted for an error message, cut short so a huge input is not echoed back."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _amount(value: Decimal, field: str) -> Decimal:
    """``value`` if it is a finite Decimal >= 0 with at most two places, else a DomainError."""
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise tax_error(TaxErrorCode.INVALID_AMOUNT, field=field)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise tax_error(TaxErrorCode.INVALID_AMOUNT, field=field)
    if value >= MAX_AMOUNT:
        raise tax_error(TaxErrorCode.AMOUNT_TOO_LARGE, field=field)
    return value
