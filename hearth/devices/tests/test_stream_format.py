"""The telemetry stream's message format (pure): what the edge appends, what the consumer can
store, and what it must send to the dead-letter subject instead."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from hearth.devices import stream_format
from hearth.devices.stream_format import MalformedMessage, decode_batch, encode_batch

AT = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
TS = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)
TYPES = {"usage"}


def encoded() -> bytes:
    data, _key = encode_batch(
        household_id=123456789012,
        tier="registered_opt_in",
        received_at=AT,
        events=[("c1", "usage", TS, TS.date(), "tunewave", '{"service":"tunewave"}')],
    )
    return data


def message(**changes: Any) -> dict[str, Any]:
    body = json.loads(encoded())
    body.update(changes)
    return body


def test_a_batch_round_trips_into_the_repositorys_rows_written_at_the_consumers_time() -> None:
    batch = decode_batch(encoded(), known_types=TYPES)
    written = AT + dt.timedelta(seconds=3)
    assert stream_format.rows_of(batch, written_at=written) == [
        (
            123456789012,
            "c1",
            "usage",
            "registered_opt_in",
            TS,
            written,
            TS.date(),
            "tunewave",
            '{"service":"tunewave"}',
        )
    ]


def test_the_dedupe_key_is_the_household_and_its_events_keys() -> None:
    key = stream_format.message_id(1, [(TS.date(), "a"), (TS.date(), "b")])
    assert key == stream_format.message_id(1, [(TS.date(), "a"), (TS.date(), "b")])
    assert key.startswith("1-")
    assert key != stream_format.message_id(2, [(TS.date(), "a"), (TS.date(), "b")])
    assert key != stream_format.message_id(1, [(TS.date(), "a")])


def event_with(**changes: Any) -> list[Any]:
    row = message()["events"][0]
    names = ["client_event_id", "type", "device_ts", "day", "service", "payload"]
    return [changes.get(n, v) for n, v in zip(names, row, strict=True)]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not a telemetry batch"),
        (json.dumps(message(v=2)).encode(), "version"),
        (json.dumps(message(tier="vip")).encode(), "unknown tier"),
        (json.dumps(message(household_id=0)).encode(), "household_id"),
        (json.dumps(message(extra=1)).encode(), "not a telemetry batch"),
        (json.dumps(message(events=[event_with(type="other")])).encode(), "unknown type"),
        (json.dumps(message(events=[event_with(client_event_id="x" * 65)])).encode(), "length"),
        (json.dumps(message(events=[event_with(client_event_id="a\x00")])).encode(), "NUL"),
        (json.dumps(message(events=[event_with(service="s" * 41)])).encode(), "too long"),
        (json.dumps(message(events=[event_with(day="2026-11-30")])).encode(), "UTC date"),
        (
            json.dumps(
                message(
                    events=[event_with(device_ts="0001-01-01T00:00:00+05:00", day="0001-01-01")]
                )
            ).encode(),
            "out of range",
        ),
        (json.dumps(message(events=[event_with(payload=[1])])).encode(), "JSON object"),
        (json.dumps(message(events=[event_with(payload={"a": "\x00"})])).encode(), "NUL"),
    ],
)
def test_a_message_the_consumer_cannot_store_is_malformed_with_its_reason(
    body: bytes, reason: str
) -> None:
    with pytest.raises(MalformedMessage, match=reason):
        decode_batch(body, known_types=TYPES)
