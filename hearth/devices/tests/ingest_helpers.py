"""Helpers for the ingestion tests (households, tokens, posting batches)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from typing import Any

from django.test import Client

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
TS = "2026-03-02T14:00:00Z"

EVENTS: dict[str, dict[str, Any]] = {
    "product_added": {"serial": "EO-ONE-0042"},
    "system_report": {
        "controller_os": ["iOS 17.4"],
        "products": [{"serial": "EO-ONE-0001", "model": "One", "software_version": "15.2"}],
        "music_services": ["tunewave"],
        "account_id": "acct-77",
        "software_version": "15.2",
        "hardware_models": ["One"],
    },
    "usage": {
        "service": "tunewave",
        "service_minutes": 42,
        "local_library_minutes": 5,
        "queue_actions": 3,
        "eq_changes": 1,
        "stereo_pairs_created": 0,
        "line_in_minutes": 7,
        "dock_minutes": 2,
    },
    "playback_error": {"service": "radiolia", "kind": "dropout", "count": 2},
}
LOWEST = {
    "product_added": "decline",
    "system_report": "registered_opt_out",
    "usage": "registered_opt_in",
    "playback_error": "registered_opt_in",
}
TIERS = ["decline", "registered_opt_out", "registered_opt_in"]


def event(etype: str, cid: str, ts: str = TS, **extra: Any) -> dict[str, Any]:
    return {"client_event_id": cid, "device_ts": ts, "type": etype, **EVENTS[etype], **extra}


def post_json(client: Client, url: str, body: Any, token: str | None = None, **headers: str):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **headers)


def post_batch(client: Client, token: str | None, events: list[Any], *, gz: bool = False):
    raw = json.dumps({"events": events}).encode()
    headers: dict[str, str] = {}
    if gz:
        raw = gzip.compress(raw)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    return post_json(client, "/api/v1/telemetry/batches", raw, token, **headers)


def new_household(client: Client, serials: list[str] | None = None) -> tuple[int, str]:
    response = post_json(client, "/api/v1/households", {"serials": serials or ["EO-ONE-0001"]})
    assert response.status_code == 201, response.content
    body = response.json()
    return body["household_id"], body["token"]


def set_tier(household_id: int, tier: str, at: dt.datetime = NOW) -> None:
    """Put a household at ``tier`` directly, with the consent-ledger entry the tier stands on
    (ingestion asks the ledger whether usage statistics are granted, not the row)."""
    from hearth.devices.models import Household
    from hearth.privacy.models import ConsentKind, Purpose
    from hearth.privacy.services import record_consent

    Household.objects.filter(pk=household_id).update(
        tier=tier, email="owner@example.com" if tier != "decline" else None
    )
    if tier != "decline":
        record_consent(
            purpose=Purpose.PRODUCT_USAGE_ANALYTICS,
            granted=tier == "registered_opt_in",
            kind=ConsentKind.EXPRESS,
            source="test",
            at=at - dt.timedelta(days=400),
            household_id=household_id,
        )
