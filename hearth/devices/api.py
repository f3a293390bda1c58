"""Device API: households (PP-16), registration and tiers (PP-17/18), telemetry batches.

Every call but household creation authenticates with ``Authorization: Bearer <device token>``.
A token reaches only its own household: any other household ID answers 404, exactly as an
unknown one does.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import ConfigDict, Field

from hearth.core import clock, collector, metrics
from hearth.core.client_address import client_of
from hearth.core.errors import DomainError, error_body
from hearth.core.schemas import ErrorOut
from hearth.devices import selectors, services, stream
from hearth.devices.errors import DevicesErrorCode
from hearth.devices.models import Household

router = Router(tags=["devices"])


class DeviceToken(HttpBearer):
    """``Authorization: Bearer <token>``: the token returned when the household was created."""

    def authenticate(self, request: HttpRequest, token: str) -> Household | None:
        return selectors.household_for_token(token)


device_auth = DeviceToken()


class CachedDeviceToken(HttpBearer):
    """The telemetry path's bearer auth: the same answer through a short in-process cache
    (``selectors.household_for_device_token``; HEARTH_DEVICE_AUTH_TTL, README)."""

    def authenticate(self, request: HttpRequest, token: str) -> Household | None:
        return selectors.household_for_device_token(token)


telemetry_auth = CachedDeviceToken()


def _own(request: HttpRequest, household_id: int) -> Household:
    household: Household = request.auth  # type: ignore[attr-defined]
    if household.id != household_id:
        raise DomainError(DevicesErrorCode.UNKNOWN_HOUSEHOLD, _("No such household."), status=404)
    return household


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


_CLAIM_DOC = (
    "Only for a serial already in another household: the claim code printed on its box "
    "(XXXX-XXXX-XXXX), which proves possession and moves the unit here. Without it such a "
    "serial answers 409 `serial_claimed` (a wrong code: 409 `bad_claim_code`) and nothing is "
    "added; the household it is in can instead release it (POST .../products/{serial}/release)."
)


_CLAIM_EXAMPLES = [{"EO-ONE-0001": "7KQ2-M9XD-4RTB"}]


class HouseholdIn(Strict):
    serials: list[str] = Field(
        ...,
        description="Serial numbers of the household's products; nothing else is accepted.",
        examples=[["EO-ONE-0001", "EO-SUB-0002"]],
    )
    claim_codes: dict[str, str] | None = Field(
        None, description=_CLAIM_DOC, examples=_CLAIM_EXAMPLES
    )


class HouseholdCreated(Schema):
    household_id: int
    token: str = Field(..., description="The device token; shown once, never stored.")
    tier: str


class HouseholdOut(Schema):
    household_id: int
    tier: str
    serials: list[str]
    registered: bool
    confirmed: bool


class ProductsIn(Strict):
    serials: list[str]
    claim_codes: dict[str, str] | None = Field(
        None, description=_CLAIM_DOC, examples=_CLAIM_EXAMPLES
    )


class ReleasedOut(Schema):
    household_id: int
    released: str = Field(..., description="The serial number released")


class RegistrationIn(Strict):
    email: str
    postal_code: str
    country: str = Field(..., description="ISO 3166 two-letter code, e.g. CA")
    tier: Literal["registered_opt_out", "registered_opt_in"]


class TierIn(Strict):
    tier: Literal["decline", "registered_opt_out", "registered_opt_in"]


class RejectedEvent(Schema):
    index: int
    client_event_id: str | None
    code: str
    reason: str


class BatchOut(Schema):
    accepted: int = Field(..., description="Valid events (stored now or already stored before)")
    stored: int = Field(
        ...,
        description="Events stored by this call (0 for a replayed batch, and with a stream)",
    )
    rejected: list[RejectedEvent]
    queued: int = Field(
        0,
        description=(
            "Events appended to the telemetry stream by this call (when the server runs with "
            "one): acknowledged by the stream, stored shortly after, each once"
        ),
    )


def _out(household: Household) -> dict:
    return {
        "household_id": household.id,
        "tier": household.tier,
        "serials": sorted(p.serial for p in household.products.all()),
        "registered": bool(household.email),
        "confirmed": household.confirmed_at is not None,
    }


def _client(request: HttpRequest) -> str:
    """The client address the claim-code throttle keys on (as the sign-in throttle does)."""
    return client_of(request)


@router.post(
    "/households",
    response={201: HouseholdCreated, 400: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    summary="Create a household (PP-16: only serial numbers)",
    description=(
        "Unauthenticated: anyone may create a household with serials no household holds. A "
        "serial already in a household moves only when that household releases it, or with "
        "the claim code from its box (`claim_codes`); otherwise 409 and nothing is created. "
        "After 5 wrong claim codes in 15 minutes for a serial, or from a client, claiming "
        "answers 429 `claim_throttled` (even with the right code) until the window passes."
    ),
)
def create_household(request: HttpRequest, payload: HouseholdIn) -> Status:
    household, token = services.create_household(
        serials=payload.serials,
        claim_codes=payload.claim_codes,
        at=clock.now(),
        client=_client(request),
    )
    return Status(201, {"household_id": household.id, "token": token, "tier": household.tier})


@router.get(
    "/households/{household_id}",
    auth=device_auth,
    response={200: HouseholdOut, 401: ErrorOut, 404: ErrorOut},
    summary="Read your household",
)
def read_household(request: HttpRequest, household_id: int) -> dict:
    return _out(_own(request, household_id))


@router.post(
    "/households/{household_id}/products",
    auth=device_auth,
    response={
        200: HouseholdOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        429: ErrorOut,
    },
    summary="Add products (serial numbers only; 429 after repeated wrong claim codes)",
)
def add_products(request: HttpRequest, household_id: int, payload: ProductsIn) -> dict:
    household = _own(request, household_id)
    services.add_products(
        household=household,
        serials=payload.serials,
        claim_codes=payload.claim_codes,
        at=clock.now(),
        client=_client(request),
    )
    return _out(household)


@router.post(
    "/households/{household_id}/products/{serial}/release",
    auth=device_auth,
    response={200: ReleasedOut, 401: ErrorOut, 404: ErrorOut},
    summary="Release a product (sold or given away): the next household adds it freely",
)
def release_product(request: HttpRequest, household_id: int, serial: str) -> dict:
    household = _own(request, household_id)
    released = services.release_product(household=household, serial=serial, at=clock.now())
    return {"household_id": household.id, "released": released}


@router.post(
    "/households/{household_id}/registration",
    auth=device_auth,
    response={200: HouseholdOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    summary="Register a household (PP-17): email, postal code, country and tier",
)
def register(request: HttpRequest, household_id: int, payload: RegistrationIn) -> dict:
    household = _own(request, household_id)
    household = services.register_household(
        household=household,
        email=payload.email,
        postal_code=payload.postal_code,
        country=payload.country,
        tier=payload.tier,
        at=clock.now(),
    )
    return _out(household)


@router.delete(
    "/households/{household_id}/registration",
    auth=device_auth,
    response={200: HouseholdOut, 401: ErrorOut, 404: ErrorOut},
    summary="Unregister: back to the decline tier; email, postal code and country erased",
)
def unregister(request: HttpRequest, household_id: int) -> dict:
    household = _own(request, household_id)
    return _out(services.unregister(household=household, at=clock.now(), source="api"))


@router.put(
    "/households/{household_id}/tier",
    auth=device_auth,
    response={200: HouseholdOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    summary="Change the tier (a lower tier applies from the next batch)",
)
def change_tier(request: HttpRequest, household_id: int, payload: TierIn) -> dict:
    household = _own(request, household_id)
    household = services.change_tier(
        household=household, tier=payload.tier, at=clock.now(), source="api"
    )
    return _out(household)


_BATCH_DOC = {
    "requestBody": {
        "required": True,
        "description": (
            'JSON `{"events": [...]}`, at most 1,000 events and 1 MB (also once decompressed); '
            "`Content-Encoding: gzip` accepted. Each event is a flat object: `client_event_id`, "
            "`device_ts` (ISO 8601 with offset, at most a day ahead), `type`, and the fields its "
            "type declares in hearth/devices/data/events.toml. An event with an undeclared field "
            "or a type above the household's tier is rejected alone, with a reason."
        ),
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["events"],
                    "properties": {"events": {"type": "array", "maxItems": 1000}},
                }
            }
        },
    }
}
_encode = msgspec.json.Encoder().encode


@router.post(
    "/telemetry/batches",
    auth=telemetry_auth,
    response={
        200: BatchOut,
        400: ErrorOut,
        401: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        503: ErrorOut,
    },
    summary="Send a batch of telemetry events",
    openapi_extra=_BATCH_DOC,
)
def telemetry_batch(request: HttpRequest) -> HttpResponse:
    # A batch's thousands of short-lived objects set off no cyclic collection (core.collector).
    with collector.paused():
        return _telemetry_batch(request)


def _telemetry_batch(request: HttpRequest) -> HttpResponse:
    household: Household = request.auth  # type: ignore[attr-defined]
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE never gets here: hearth/core/middleware.py answers
    # 413 too_large; decode_batch holds a batch to 1 MB, also once decompressed.
    try:
        events = services.decode_batch(
            request.body, content_encoding=request.headers.get("Content-Encoding", "")
        )
    except DomainError:
        metrics.count_refused_batch()
        raise
    if not stream.stream_url():
        result = services.ingest_batch(
            household=household, events=events, at=clock.now(), from_json=True
        )
        metrics.count_telemetry(
            accepted=result.accepted, rejected_codes=(r["code"] for r in result.rejected)
        )
        body = _encode(
            {"accepted": result.accepted, "stored": result.stored, "rejected": result.rejected}
        )
        return HttpResponse(body, content_type="application/json")
    try:
        result = services.queue_batch(
            household=household, events=events, at=clock.now(), from_json=True
        )
    except stream.StreamUnavailable:
        retry_after = stream.config().retry_after
        error = error_body(
            DevicesErrorCode.STREAM_UNAVAILABLE,
            _(
                "Telemetry cannot be accepted right now; nothing was stored. "
                "Send the batch again later."
            ),
        )
        response = HttpResponse(_encode(error), content_type="application/json", status=503)
        response["Retry-After"] = str(retry_after)
        return response
    metrics.count_telemetry(
        accepted=result.accepted, rejected_codes=(r["code"] for r in result.rejected)
    )
    body = _encode(
        {
            "accepted": result.accepted,
            "stored": result.stored,
            "rejected": result.rejected,
            "queued": result.queued,
        }
    )
    return HttpResponse(body, content_type="application/json")
