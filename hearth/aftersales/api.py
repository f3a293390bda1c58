"""The aftersales contract endpoint: POST /api/v1/aftersales/eligibility (DESIGN.md).

Thin: parse and check the shape of the input (schema), call :func:`rules.eligibility`,
translate its messages, shape the answer. Every rule lives in :mod:`hearth.aftersales.rules`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import BeforeValidator, ConfigDict, StrictBool, StrictInt, WithJsonSchema

from hearth.aftersales import rules
from hearth.aftersales.rules import Channel, ClaimKind, Condition, Exclusion
from hearth.core.errors import DomainError

router = Router(tags=["aftersales"])

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> dt.date | None:
    """Accept exactly ``YYYY-MM-DD`` (or null); anything else is a 400 naming the field."""
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(_("must be a date written as YYYY-MM-DD, such as 2026-03-01"))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("is not a calendar date (check the month and the day)")) from None


def _required_date(value: Any) -> dt.date:
    parsed = _iso_date(value)
    if parsed is None:
        raise ValueError(_("is required: a date written as YYYY-MM-DD"))
    return parsed


_DATE_SCHEMA = {"type": "string", "format": "date"}
IsoDate = Annotated[dt.date, BeforeValidator(_required_date), WithJsonSchema(_DATE_SCHEMA)]
OptionalIsoDate = Annotated[
    dt.date | None,
    BeforeValidator(_iso_date),
    WithJsonSchema({"anyOf": [_DATE_SCHEMA, {"type": "null"}]}),
]


class EligibilityIn(Schema):
    """A return or warranty claim, described by its dates and the facts care has recorded."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "return",
                    "shipped_on": "2026-03-02",
                    "retail_purchased_on": None,
                    "requested_on": "2026-04-16",
                    "channel": "web",
                }
            ]
        }
    )

    kind: ClaimKind = Field(
        description='"return": the 45-day return (TOS-22); "warranty": the one-year '
        "warranty (TOS-23).",
        examples=["return"],
    )
    shipped_on: OptionalIsoDate = Field(
        None,
        description="The original shipment date (YYYY-MM-DD). Required for web and phone "
        "purchases; null (or left out) for a dealer purchase, which we did not ship to its "
        "owner: its warranty runs from retail_purchased_on.",
        examples=["2026-03-02"],
    )
    retail_purchased_on: OptionalIsoDate = Field(
        None,
        description="Dealer purchases only: the retail purchase date from the authorised "
        "dealer, from which the warranty runs. Must be null for web and phone purchases.",
        examples=[None],
    )
    requested_on: IsoDate = Field(
        description="The day the return or claim was begun (RMA requested).",
        examples=["2026-04-16"],
    )
    channel: Channel = Field(
        description='Where it was bought: "web" or "phone" (direct) or "dealer".',
        examples=["web"],
    )
    condition: Condition | None = Field(
        None,
        description="Returns: the product's condition; a return must be new or as-new.",
        examples=["as_new"],
    )
    original_packaging: StrictBool | None = Field(
        None,
        description="Returns: true when it is in its original packaging with all materials.",
        examples=[True],
    )
    exclusions: list[Exclusion] = Field(
        default_factory=list,
        description="Warranty claims: the TOS-23 exclusions found; each is a reason.",
        examples=[["housing_opened"]],
    )
    owner_changed: StrictBool = Field(
        False,
        description="Whether the product changed owner. No effect: the warranty follows the "
        "product to a new owner.",
    )
    repairs: StrictInt = Field(
        0,
        ge=0,
        description="Repairs or replacements so far. No effect: they do not extend the warranty.",
    )
    rma_issued_on: OptionalIsoDate = Field(
        None, description="The RMA's issue date, for the arrival deadline.", examples=[None]
    )
    received_on: OptionalIsoDate = Field(
        None,
        description="The day the returned product was received, for the refund window.",
        examples=[None],
    )


class ReasonOut(Schema):
    code: str = Field(description="A stable machine code.", examples=["window_closed"])
    message: str = Field(description="The reason in the request's language.")
    promises: list[str] = Field(description="The promise IDs behind it.", examples=[["TOS-22"]])


class EligibilityOut(Schema):
    eligible: bool
    deadline: dt.date | None = Field(
        description="The last day of the window that applies (inclusive): the return deadline "
        "or the warranty's last day. Null only when no window applies (a 45-day return asked "
        "for a dealer purchase; a dealer warranty claim without its retail purchase date).",
    )
    reasons: list[ReasonOut] = Field(description="Empty when eligible.")
    return_deadline: dt.date | None = Field(
        None, description="Direct purchases: shipment + 45 calendar days."
    )
    warranty_end: dt.date | None = Field(
        None, description="The warranty's last day: the start + one year (29 Feb -> 28 Feb)."
    )
    rma_arrival_deadline: dt.date | None = Field(
        None, description="With rma_issued_on: the RMA's issue date + 14 calendar days."
    )
    arrived_in_time: bool | None = Field(
        None, description="With rma_issued_on and received_on: arrival on or before the deadline."
    )
    refund_due_from: dt.date | None = Field(
        None, description="Eligible return with received_on: 10th business day after receipt."
    )
    refund_due_by: dt.date | None = Field(
        None, description="Eligible return with received_on: 15th business day after receipt."
    )
    advance_replacement_ship_by: dt.date | None = Field(
        None, description="Eligible warranty claim: 2nd business day after the request."
    )


def _translated(exc: DomainError) -> DomainError:
    """The rules raise English msgids; answer in the request's language."""
    return DomainError(
        exc.code,
        _(str(exc.message)),
        fields={field: _(message) for field, message in exc.fields.items()},
        status=exc.status,
    )


@router.post("/eligibility", response=EligibilityOut, summary="Return and warranty eligibility")
def eligibility(request: HttpRequest, payload: EligibilityIn) -> dict[str, Any]:
    """Decide a 45-day return (TOS-22) or a warranty claim (TOS-23), with its deadlines (TOS-24).

    **Day counting.** All dates are calendar dates (YYYY-MM-DD) and every deadline is inclusive.
    "Within N days of D" ends on D + N calendar days: a return must be begun (RMA requested) on
    or before shipment + 45 days; the product must arrive on or before the RMA's issue + 14 days.
    "Within N working days of D" ends on the N-th business day after D, D never counting: a
    business day is Monday to Friday except Ontario and federal statutory holidays, observed
    days included (so Christmas 2026 on Friday 25 December and Boxing Day observed on Monday
    28 December are skipped). A refund is due from the 10th to the 15th business day after
    receipt; an advance warranty replacement ships by the 2nd business day after the request.

    **Leap day.** The warranty runs one year from shipment (web and phone purchases) or from the
    dealer's retail purchase date, ending on the same month and day a year later, inclusive.
    From 29 February it ends on 28 February of the next year: shipped 2024-02-29, covered up to
    and including 2025-02-28. A leap day inside the year changes nothing: 2023-03-01 runs to
    2024-03-01.

    **Not extended.** `repairs` and `owner_changed` are accepted and change nothing: repair or
    replacement does not extend the warranty, and it follows the product to a new owner.

    **Reasons.** An ineligible claim lists every reason that applies, each with a stable code:
    `window_closed`, `not_direct_purchase` (a dealer purchase is returned through the dealer),
    `not_as_new`, `missing_packaging` (returns, when `condition` / `original_packaging` are
    given), `retail_purchase_date_required` (dealer warranty without its date), and the TOS-23
    exclusions `accident`, `abuse_or_misuse`, `against_instructions`,
    `serial_missing_or_altered`, `housing_opened`, `third_party_accessory` (warranty claims).

    **Dealer purchases.** `shipped_on` may be null (or left out) when `channel` is `dealer`:
    the warranty runs from `retail_purchased_on`. For web and phone purchases it is required.

    **Errors.** A non-JSON body, a missing field (`shipped_on` on a web or phone purchase
    among them), a wrong type or a date not written as YYYY-MM-DD answers 400 `invalid` (or
    `malformed_json`) with the field in `fields`. Dates that
    cannot belong to one claim answer 400 naming the field: `date_out_of_range` (outside
    2006-01-01..2099-12-31), `dates_out_of_order` (for example a request before the shipment),
    `retail_date_not_dealer` (a retail purchase date on a web or phone purchase).
    """
    try:
        result = rules.eligibility(
            kind=payload.kind,
            channel=payload.channel,
            shipped_on=payload.shipped_on,
            requested_on=payload.requested_on,
            retail_purchased_on=payload.retail_purchased_on,
            condition=payload.condition,
            original_packaging=payload.original_packaging,
            exclusions=payload.exclusions,
            owner_changed=payload.owner_changed,
            repairs=payload.repairs,
            rma_issued_on=payload.rma_issued_on,
            received_on=payload.received_on,
        )
    except DomainError as exc:
        raise _translated(exc) from exc
    return {
        "eligible": result.eligible,
        "deadline": result.deadline,
        "reasons": [
            {"code": r.code.value, "message": _(r.message), "promises": list(r.promises)}
            for r in result.reasons
        ],
        "return_deadline": result.return_deadline,
        "warranty_end": result.warranty_end,
        "rma_arrival_deadline": result.rma_arrival_deadline,
        "arrived_in_time": result.arrived_in_time,
        "refund_due_from": result.refund_due_from,
        "refund_due_by": result.refund_due_by,
        "advance_replacement_ship_by": result.advance_replacement_ship_by,
    }
