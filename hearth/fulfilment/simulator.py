"""The sandbox carrier's simulator: builds a parcel's journey as the carrier would report it and
posts each event, signed with the carrier's webhook secret, to Hearth's real webhook over HTTP."""

from __future__ import annotations

import datetime as dt
import http.client
import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from hearth.fulfilment import carriers, rules
from hearth.fulfilment.rules import ShipmentStatus

#: The steps of each ending, in the order the carrier reports them.
JOURNEYS: dict[str, tuple[ShipmentStatus, ...]] = {
    "delivered": (
        ShipmentStatus.SHIPPED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERED,
    ),
    "returned_to_sender": (
        ShipmentStatus.SHIPPED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.RETURNED_TO_SENDER,
    ),
    "lost": (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.LOST),
}
LOCATIONS = ("Mississauga ON", "Toronto ON", "Ottawa ON", "Ottawa ON")


@dataclass(frozen=True)
class Posted:
    code: str
    status: int
    body: str


def journey_events(
    *, tracking_code: str, ending: str, start: dt.datetime, step: dt.timedelta
) -> list[dict[str, str]]:
    """The sandbox's event bodies for a journey ending in ``ending`` (see JOURNEYS)."""
    events = []
    for i, kind in enumerate(JOURNEYS[ending]):
        code = carriers.SANDBOX_CODE_OF[kind]
        events.append(
            {
                "event_id": f"{tracking_code}-{code}-{i}",
                "pin": tracking_code,
                "code": code,
                "occurred_at": (start + step * i).isoformat(),
                "location": LOCATIONS[min(i, len(LOCATIONS) - 1)],
            }
        )
    return events


def post_events(
    *,
    base_url: str,
    carrier_key: str,
    secret: str,
    events: Sequence[dict[str, str]],
    now: dt.datetime,
) -> list[Posted]:
    """Post each event in its own signed request, like a carrier does; the answers."""
    parts = urlsplit(base_url)
    answers = []
    for event in events:
        body = carriers.SandboxCarrier.event_body([event])
        header = rules.signature_header(secret, int(now.timestamp()), body)
        conn_cls = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        conn = conn_cls(parts.netloc, timeout=30)
        try:
            conn.request(
                "POST",
                f"{parts.path.rstrip('/')}/carriers/{carrier_key}/events/",
                body=body,
                headers={"Content-Type": "application/json", "X-Carrier-Signature": header},
            )
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        answers.append(Posted(event["code"], response.status, text))
        if response.status != 200:
            break
    return answers


def summary(answers: Sequence[Posted]) -> str:
    return "\n".join(
        f"{a.code}: {a.status} {json.loads(a.body) if a.body else ''}" for a in answers
    )
