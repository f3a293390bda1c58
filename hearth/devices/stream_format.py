"""What one telemetry batch looks like on the JetStream stream (issue #17 item 4).

The HTTP edge validates a batch exactly as the direct path does (same per-event rules, same
consent gate: the tier in force when it arrived) and appends only the accepted events, already
in the form the repository stores them: the consumer decides nothing, it writes. A message is
msgspec JSON::

    {"v": 1, "household_id": 123456789012, "tier": "registered_opt_in",
     "received_at": "2026-03-02T15:00:00Z",
     "events": [[client_event_id, type, device_ts, day, service, payload], ...]}

``payload`` is the event's JSON object as the repository writes it (kept raw, never re-encoded).
The dedupe key of a message (its ``Nats-Msg-Id``) is the household and a digest of the
(day, client event ID) pairs it carries: the same batch sent again (a device retrying after a
timeout) is the same message, which JetStream drops inside its duplicate window and the
database's unique index absorbs after it.

Pure: no Django, no clock, no network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec

VERSION = 1
TIERS = frozenset({"decline", "registered_opt_out", "registered_opt_in"})
# The raw table's column widths (hearth/devices/models.py TelemetryEvent): a message that would
# overflow one is malformed, not a database error that would stall the consumer.
MAX_CLIENT_EVENT_ID = 64
MAX_TYPE = 32
MAX_SERVICE = 40


class StreamEvent(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    client_event_id: str
    type: str
    device_ts: dt.datetime
    day: dt.date
    service: str | None
    payload: msgspec.Raw


class StreamBatch(msgspec.Struct, forbid_unknown_fields=True):
    v: int
    household_id: int
    tier: str
    received_at: dt.datetime
    events: list[StreamEvent]


class MalformedMessage(ValueError):
    """A stream message the consumer cannot store: it goes to the dead-letter subject."""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(StreamBatch)


def message_id(household_id: int, keys: Sequence[tuple[dt.date, str]]) -> str:
    """The ``Nats-Msg-Id`` of a batch: household and a digest of its (day, client event ID)
    pairs, in the order sent (a resent batch is byte-for-byte the same list)."""
    digest = hashlib.sha256()
    for day, cid in keys:
        digest.update(f"{day.isoformat()}\x1f{cid}\x1e".encode())
    return f"{household_id}-{digest.hexdigest()[:40]}"


def encode_batch(
    *,
    household_id: int,
    tier: str,
    received_at: dt.datetime,
    events: Sequence[tuple[str, str, dt.datetime, dt.date, str | None, str]],
) -> tuple[bytes, str]:
    """The message and its dedupe key. ``events``: (client_event_id, type, device_ts, day,
    service, payload JSON text) of each accepted event."""
    batch = StreamBatch(
        v=VERSION,
        household_id=household_id,
        tier=tier,
        received_at=received_at,
        events=[
            StreamEvent(cid, etype, ts, day, service, msgspec.Raw(payload.encode()))
            for cid, etype, ts, day, service, payload in events
        ],
    )
    return _encoder.encode(batch), message_id(household_id, [(e[3], e[0]) for e in events])


def decode_batch(data: bytes, *, known_types: frozenset[str] | set[str]) -> StreamBatch:
    """The message, checked so that storing it cannot fail; MalformedMessage otherwise."""
    try:
        batch = _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise MalformedMessage(f"not a telemetry batch: {exc}") from exc
    if batch.v != VERSION:
        raise MalformedMessage(f"unknown message version {batch.v}")
    if batch.tier not in TIERS:
        raise MalformedMessage(f"unknown tier {batch.tier!r}")
    if not 0 < batch.household_id < 2**63:
        raise MalformedMessage("household_id out of range")
    if batch.received_at.tzinfo is None:
        raise MalformedMessage("received_at has no UTC offset")
    for n, e in enumerate(batch.events):
        where = f"events[{n}]"
        if not 0 < len(e.client_event_id) <= MAX_CLIENT_EVENT_ID:
            raise MalformedMessage(f"{where}: client_event_id length")
        if "\x00" in e.client_event_id or (e.service is not None and "\x00" in e.service):
            raise MalformedMessage(f"{where}: a NUL character")
        if e.type not in known_types or len(e.type) > MAX_TYPE:
            raise MalformedMessage(f"{where}: unknown type {e.type!r}")
        if e.service is not None and len(e.service) > MAX_SERVICE:
            raise MalformedMessage(f"{where}: service too long")
        if e.device_ts.tzinfo is None:
            raise MalformedMessage(f"{where}: device_ts has no UTC offset")
        try:
            utc_day = e.device_ts.astimezone(dt.UTC).date()
        except OverflowError as exc:  # e.g. year 1 with a positive offset
            raise MalformedMessage(f"{where}: device_ts out of range") from exc
        if utc_day != e.day:
            raise MalformedMessage(f"{where}: day is not the device time's UTC date")
        if not bytes(e.payload).startswith(b"{"):
            raise MalformedMessage(f"{where}: payload is not a JSON object")
        if b"\\u0000" in bytes(e.payload):
            raise MalformedMessage(f"{where}: payload holds a NUL character")
    return batch


def rows_of(
    batch: StreamBatch, *, written_at: dt.datetime
) -> list[tuple[int, str, str, str, dt.datetime, dt.datetime, dt.date, str | None, str]]:
    """The repository's rows for a batch. ``received_at`` is ``written_at`` (when the consumer
    writes it), so the rollups' settle time (rollups.SETTLE) counts from the write, as it does
    on the direct path; the tier is the one in force when the edge received the batch."""
    hid, tier = batch.household_id, batch.tier
    return [
        (
            hid,
            e.client_event_id,
            e.type,
            tier,
            e.device_ts.astimezone(dt.UTC),
            written_at,
            e.day,
            e.service,
            bytes(e.payload).decode(),
        )
        for e in batch.events
    ]


def payload_of(event: StreamEvent) -> dict[str, Any]:
    value = msgspec.json.decode(bytes(event.payload))
    return value if isinstance(value, dict) else {}
