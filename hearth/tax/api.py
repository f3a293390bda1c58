"""The tax contract endpoint of DESIGN.md: ``POST /api/v1/tax/quote``.

Thin: the schema parses and checks the shape (amounts are decimal strings, quantities JSON
integers), :func:`hearth.tax.rules.quote` does the tax. Errors answer DESIGN.md's error body.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from hearth.tax import rules

router = Router(tags=["tax"])

_AMOUNT = re.compile(r"\d+(?:\.\d{1,2})?", re.ASCII)
_NEGATIVE = re.compile(r"\s*-\s*\d*\.?\d+\s*", re.ASCII)
_TOO_PRECISE = re.compile(r"\d*\.\d{3,}", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
MAX_LINES = 500
MAX_QUANTITY = 100_000


def _amount(value: Any) -> Decimal:
    """A decimal string with at most two places and no sign, e.g. "199.00" (never a number)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(_('must be a decimal string such as "199.00", not a JSON number'))
    if not isinstance(value, str):
        raise ValueError(_('must be a decimal string such as "199.00"'))
    if _NEGATIVE.fullmatch(value):
        raise ValueError(_("must not be negative"))
    if _TOO_PRECISE.fullmatch(value):
        raise ValueError(_("must have at most two decimal places"))
    if not _AMOUNT.fullmatch(value):
        raise ValueError(_('must be a decimal string such as "199.00"'))
    parsed = Decimal(value)
    if parsed >= rules.MAX_AMOUNT:
        raise ValueError(_("is too large"))
    return parsed


def _iso_date(value: Any) -> dt.date:
    """An ISO 8601 calendar date string, YYYY-MM-DD."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(_('must be a date string such as "2026-03-01"'))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("is not a real calendar date")) from None


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}),
]
IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "example": "2026-03-01"}),
]


class LineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit_price: Amount = Field(
        description="Price of one unit before tax, a decimal string with at most two places.",
        examples=["199.00"],
    )
    quantity: int = Field(
        strict=True,
        gt=0,
        le=MAX_QUANTITY,
        description='Number of units: a JSON integer, 1 or more (not 1.5, not "2", not true).',
        examples=[2],
    )


class QuoteIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "date": "2026-03-01",
                "province": "ON",
                "lines": [{"unit_price": "199.00", "quantity": 2}],
                "shipping": "0.00",
                "bc_pst_number": None,
            }
        },
    )

    date: IsoDate = Field(
        description="The order's placement date (ISO 8601, 2006-01-01 or later): it picks the "
        "rates and the base."
    )
    province: str = Field(
        description="Shipping destination: AB, BC, MB, NB, NL, NS, NT, NU, ON, PE, QC, SK or YT.",
        examples=["ON"],
    )
    lines: list[LineIn] = Field(
        min_length=1, max_length=MAX_LINES, description="The order lines, at least one."
    )
    shipping: Amount = Field(
        default=Decimal("0.00"),
        description='Shipping fee before tax; it is taxed. Optional, "0.00" when absent.',
        examples=["0.00"],
    )
    discount: Amount = Field(
        default=Decimal("0.00"),
        description='Discount off the lines before tax, at most their total. Optional, "0.00".',
        examples=["0.00"],
    )
    bc_pst_number: str | None = Field(
        default=None,
        description='The buyer\'s BC PST number, "PST-1234-5678" or "12345678". On a BC order '
        "no PST is charged (GST still is); on another province's order it is checked and has "
        "no effect.",
        examples=[None, "PST-1234-5678"],
    )


class ComponentOut(Schema):
    code: str = Field(description="GST, HST, PST (Manitoba's and Ontario's RST too) or QST.")
    rate: str = Field(description='The rate as a decimal string ("0.13", "0.09975").')
    amount: str = Field(description="The tax, rounded half-up to the cent once.")


class QuoteOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "components": [{"code": "HST", "rate": "0.13", "amount": "51.74"}],
                "total_tax": "51.74",
                "subtotal": "398.00",
                "grand_total": "449.74",
            }
        }
    )

    components: list[ComponentOut]
    total_tax: str = Field(description="Sum of the components' amounts.")
    subtotal: str = Field(description="Lines less discount, plus shipping, before tax.")
    grand_total: str = Field(description="subtotal + total_tax.")


@router.post("/quote", response=QuoteOut, summary="Quote Canadian sales tax for an order")
def quote(request: HttpRequest, payload: QuoteIn) -> dict[str, Any]:
    """Compute GST/HST/PST/QST for an order shipped to `province` and placed on `date`.

    The taxable subtotal is the lines (unit price x quantity) less `discount`, plus `shipping`
    (shipping is taxed). Each component is its rate times its base, **rounded half-up to the
    cent once**. The base is the subtotal, except where the rule in force on `date` charged the
    provincial tax on the price plus GST (Quebec's QST until 2012-12-31, Prince Edward Island's PST
    until 2013-03-31): then it is the subtotal plus the rounded GST amount. HST replaces GST in
    harmonised provinces. With a valid BC PST number, a BC order pays no PST (GST still).

    Amounts are decimal strings (JSON numbers are refused so that no amount passes through a
    float); any problem answers 400 with `{"error": {"code", "message", "fields"}}`, the field
    named by its dotted path (`lines.0.quantity`).
    """
    result = rules.quote(
        lines=[rules.TaxLine(line.unit_price, line.quantity) for line in payload.lines],
        shipping=payload.shipping,
        discount=payload.discount,
        province=payload.province,
        on=payload.date,
        bc_pst_number=payload.bc_pst_number,
    )
    return {
        "components": [
            {"code": c.code, "rate": str(c.rate), "amount": f"{c.amount:.2f}"}
            for c in result.components
        ],
        "total_tax": f"{result.total_tax:.2f}",
        "subtotal": f"{result.subtotal:.2f}",
        "grand_total": f"{result.grand_total:.2f}",
    }
