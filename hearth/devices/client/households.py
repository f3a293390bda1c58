"""Household set-up calls a controller app makes before it reports telemetry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hearth.devices.client.transport import HttpTransport, Transport

HOUSEHOLDS_PATH = "/api/v1/households"


class ApiError(Exception):
    """The server answered with an error body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class HouseholdCredentials:
    household_id: int
    token: str


def _call(
    transport: Transport, method: str, url: str, payload: dict[str, Any], token: str | None
) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = transport(method, url, json.dumps(payload).encode("utf-8"), headers)
    body = response.json() if response.body else None
    if not 200 <= response.status < 300:
        raise ApiError(response.status, body)
    return body


def create_household(
    *,
    base_url: str,
    serials: list[str],
    claim_codes: dict[str, str] | None = None,
    transport: Transport | None = None,
) -> HouseholdCredentials:
    """Create a household with the serial numbers of its products (nothing else, PP-16); the
    secret device token comes back once. A unit still in another household needs the claim code
    from its box (``claim_codes``: {serial: code}); without it the server answers 409."""
    payload: dict[str, Any] = {"serials": serials}
    if claim_codes:
        payload["claim_codes"] = claim_codes
    body = _call(
        transport or HttpTransport(),
        "POST",
        base_url.rstrip("/") + HOUSEHOLDS_PATH,
        payload,
        None,
    )
    return HouseholdCredentials(household_id=int(body["household_id"]), token=str(body["token"]))


def release_product(
    *,
    base_url: str,
    credentials: HouseholdCredentials,
    serial: str,
    transport: Transport | None = None,
) -> dict[str, Any]:
    """Let a unit go (sold or given away), so that its next household adds it without a code."""
    url = (
        f"{base_url.rstrip('/')}{HOUSEHOLDS_PATH}/{credentials.household_id}"
        f"/products/{serial}/release"
    )
    return dict(_call(transport or HttpTransport(), "POST", url, {}, credentials.token))


def register_household(
    *,
    base_url: str,
    credentials: HouseholdCredentials,
    email: str,
    postal_code: str,
    country: str,
    tier: str,
    transport: Transport | None = None,
) -> dict[str, Any]:
    """Register the household (registered_opt_out or registered_opt_in)."""
    url = f"{base_url.rstrip('/')}{HOUSEHOLDS_PATH}/{credentials.household_id}/registration"
    payload = {"email": email, "postal_code": postal_code, "country": country, "tier": tier}
    return dict(_call(transport or HttpTransport(), "POST", url, payload, credentials.token))
