"""Fulfilment's contract endpoints (DESIGN.md), mounted at /api/v1/fulfilment/.

- ``POST /estimate``: ship date and delivery window for a placement (and payment) time.
- ``POST /address-check``: whether the warehouse may ship to an address, with every reason if not.

Thin: parse and validate the body, call a selector, shape the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import BeforeValidator, ConfigDict, Field

from hearth.core.schemas import ErrorOut
from hearth.fulfilment import selectors

router = Router(tags=["fulfilment"])


def _iso_timestamp(value: Any) -> Any:
    """Only ISO 8601 strings (no Unix numbers). The UTC offset is checked by the rule."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(str(_("must be an ISO 8601 timestamp string")))
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            str(_("must be an ISO 8601 timestamp such as 2026-03-06T11:59:59-05:00"))
        ) from None


Timestamp = Annotated[dt.datetime, BeforeValidator(_iso_timestamp)]
Line = Annotated[str, Field(max_length=100)]


class EstimateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    placed_at: Timestamp = Field(
        description="When the order was placed: ISO 8601 with a UTC offset (naive is refused).",
        examples=["2026-03-06T11:59:59-05:00"],
    )
    payment_confirmed_at: Timestamp | None = Field(
        default=None,
        description=(
            "When payment was confirmed (ISO 8601 with a UTC offset), not before placed_at. "
            "Null or absent: not confirmed yet; the estimate then assumes payment is confirmed "
            "at placement, as for an estimate shown before paying."
        ),
        examples=["2026-03-06T11:59:59-05:00", None],
    )
    method: str = Field(
        max_length=32,
        description="Shipping method code: standard (2-3 business days, free) or express.",
        examples=["standard"],
    )


class EstimateOut(Schema):
    ship_date: dt.date = Field(description="Business day the order ships (America/Toronto).")
    delivery_earliest: dt.date = Field(description="Earliest delivery day (business day).")
    delivery_latest: dt.date = Field(description="Latest delivery day (business day).")
    method: str = Field(description="The shipping method the window is for.")
    shipping_fee: str = Field(description="Fee in CAD before tax, two places.", examples=["0.00"])
    cutoff: dt.datetime = Field(
        description="The 12:00 America/Toronto cut-off on the day the order became ready."
    )
    payment_confirmation_assumed: bool = Field(
        description=(
            "True when payment_confirmed_at was null and confirmation at placement was assumed."
        )
    )


class AddressCheckIn(Schema):
    model_config = ConfigDict(extra="forbid")

    lines: list[Line] = Field(
        max_length=5,
        description="Street address lines (at most 5, each at most 100 characters).",
        examples=[["PO Box 123"]],
    )
    city: str = Field(max_length=100, examples=["Ottawa"])
    province: str = Field(
        max_length=40, description="Province or territory code, e.g. ON.", examples=["ON"]
    )
    postal_code: str = Field(
        max_length=16,
        description="Canadian postal code, any case and spacing.",
        examples=["K1A 0B1"],
    )
    country: str = Field(
        max_length=60,
        description="ISO 3166-1 alpha-2 country code; only CA is served online.",
        examples=["CA"],
    )


class ProblemOut(Schema):
    code: str = Field(
        description=(
            "missing_field, outside_service_region, invalid_province, invalid_postal_code, "
            "postal_code_province_mismatch, po_box, general_delivery, armed_services, hotel, "
            "freight_forwarder"
        ),
        examples=["po_box"],
    )
    field: str = Field(examples=["lines"])
    message: str


class NormalisedOut(Schema):
    lines: list[str]
    city: str
    province: str | None
    postal_code: str | None = Field(examples=["K1A 0B1"])
    country: str | None


class AddressCheckOut(Schema):
    accepted: bool
    problems: list[ProblemOut]
    normalised: NormalisedOut


@router.post(
    "/estimate",
    response={200: EstimateOut, 400: ErrorOut},
    summary="Ship date and delivery window",
    description=(
        "T is the later of placed_at and payment_confirmed_at on the America/Toronto clock. On a "
        "business day before 12:00:00 the order ships that day, otherwise the next business day "
        "(weekends and Ontario and federal statutory holidays are not business days). Standard "
        "delivery: ship date + 2 to + 3 business days. A null payment_confirmed_at assumes "
        "confirmation at placement. Naive timestamps, a confirmation before placement and "
        "unknown methods are 400s naming the field."
    ),
)
def estimate(request: HttpRequest, payload: EstimateIn) -> dict[str, Any]:
    result = selectors.delivery_estimate(
        placed_at=payload.placed_at,
        payment_confirmed_at=payload.payment_confirmed_at,
        method=payload.method,
    )
    return {
        "ship_date": result.ship_date,
        "delivery_earliest": result.delivery_earliest,
        "delivery_latest": result.delivery_latest,
        "method": result.method,
        "shipping_fee": str(result.shipping_fee),
        "cutoff": result.cutoff,
        "payment_confirmation_assumed": result.confirmation_assumed,
    }


@router.post(
    "/address-check",
    response={200: AddressCheckOut, 400: ErrorOut},
    summary="May we ship to this address?",
    description=(
        "Always 200 for a well-formed body: accepted is false with one problem per reason "
        "(code, field, message). Outside Canada: outside_service_region, with customer care's "
        "contact. Refused: PO boxes (PO Box, Case postale, C.P.), General Delivery / Poste "
        "restante, armed-services addresses (CFPO, CFB, BFC), hotels, freight forwarders. "
        "Malformed bodies (missing fields, wrong types, over-long strings) are 400s."
    ),
)
def address_check(request: HttpRequest, payload: AddressCheckIn) -> dict[str, Any]:
    result = selectors.check_delivery_address(
        lines=payload.lines,
        city=payload.city,
        province=payload.province,
        postal_code=payload.postal_code,
        country=payload.country,
    )
    return {
        "accepted": result.accepted,
        "problems": [
            {"code": p.code, "field": p.field, "message": p.message} for p in result.problems
        ],
        "normalised": {
            "lines": list(result.lines),
            "city": " ".join(payload.city.split()),
            "province": result.province,
            "postal_code": result.postal_code,
            "country": result.country,
        },
    }
