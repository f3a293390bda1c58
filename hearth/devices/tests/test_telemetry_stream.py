"""Telemetry through NATS JetStream (issue #17 item 4), against real NATS servers.

The edge validates a batch as the direct path does and answers after the stream's PubAck; the
consumer drains the stream into the database exactly once by the dedupe key; a malformed
message goes to the dead-letter subject; a stream that does not answer is a 503 with
Retry-After. (The consumer killed mid-batch and the NATS restart: test_telemetry_stream_faults.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from django.test import Client

from hearth.core import clock
from hearth.devices import stream, stream_format
from hearth.devices.consumer import Consumer, RoundResult
from hearth.devices.models import HouseholdProduct, TelemetryEvent
from hearth.devices.tests.ingest_helpers import (
    NOW,
    event,
    new_household,
    post_batch,
    post_json,
    set_tier,
)
from hearth.devices.tests.stream_helpers import free_port, messages_in, run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def drain(cfg: stream.StreamConfig, *, batch: int = 50) -> RoundResult:
    """Run the consumer until a round finds nothing; the rounds' sums."""
    consumer = Consumer(cfg=cfg, batch=batch, fetch_timeout=0.5, clock=clock.now)
    total = RoundResult()
    try:
        for _ in range(100):
            result = consumer.drain_once()
            if not result.messages:
                break
            total.messages += result.messages
            total.events += result.events
            total.stored += result.stored
            total.dead += result.dead
            total.withheld += result.withheld
            total.reasons += result.reasons
    finally:
        consumer.close()
    return total


def tiers_at_receipt(household_id: int) -> list[tuple[str, str]]:
    """(client event ID, tier at receipt) of the stored events, wherever the tier is kept (on
    the event row, or on its batch row once the per-batch table lands: ADR 0004)."""
    names = {f.name for f in TelemetryEvent._meta.get_fields()}
    tier = "tier_at_receipt" if "tier_at_receipt" in names else "batch__tier_at_receipt"
    rows = TelemetryEvent.objects.filter(household_id=household_id)
    return sorted(rows.values_list("client_event_id", tier))


def opted_in(client: Client, serials: list[str] | None = None) -> tuple[int, str]:
    hid, token = new_household(client, serials)
    set_tier(hid, "registered_opt_in")
    return hid, token


def stream_message(url: str, name: str, seq: int) -> tuple[dict[str, str], bytes]:
    async def go(js: Any) -> tuple[dict[str, str], bytes]:
        msg = await js.get_msg(name, seq)
        return dict(msg.headers or {}), bytes(msg.data)

    return run(go, url)  # type: ignore[no-any-return]


def consumer_state(url: str, name: str) -> tuple[int, int]:
    async def go(js: Any) -> tuple[int, int]:
        info = await js.consumer_info(name, "hearth-db")
        return int(info.num_pending), int(info.num_ack_pending)

    return run(go, url)  # type: ignore[no-any-return]


def test_the_edge_answers_after_the_streams_ack_and_writes_nothing_itself(
    client: Client, stream_on: stream.StreamConfig
) -> None:
    hid, token = opted_in(client)
    batch = [
        event("usage", "u1"),
        event("usage", "u2"),
        event("playback_error", "p1"),
        {"client_event_id": "x1", "device_ts": "2026-03-02T14:00:00Z", "type": "nonsense"},
    ]
    response = post_batch(client, token, batch)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["queued"], body["stored"]) == (3, 3, 0)
    assert [r["client_event_id"] for r in body["rejected"]] == ["x1"]  # same rules as direct
    assert TelemetryEvent.objects.count() == 0  # the edge appended; it stored nothing
    assert messages_in(stream_on.url, stream_on.name) == 1

    headers, data = stream_message(stream_on.url, stream_on.name, 1)
    assert headers["Nats-Msg-Id"].startswith(f"{hid}-")
    message = stream_format.decode_batch(data, known_types={"usage", "playback_error"})
    assert (message.household_id, message.tier) == (hid, "registered_opt_in")
    assert [e.client_event_id for e in message.events] == ["u1", "u2", "p1"]

    again = post_batch(client, token, batch)  # a device retrying: same dedupe key
    assert again.status_code == 200 and again.json()["queued"] == 3
    assert messages_in(stream_on.url, stream_on.name) == 1  # dropped by JetStream's dedupe


def test_the_consent_gate_holds_at_the_edge(client: Client, stream_on: stream.StreamConfig) -> None:
    hid, token = new_household(client)  # decline: usage is above its tier
    response = post_batch(client, token, [event("usage", "u1"), event("product_added", "a1")])
    body = response.json()
    assert (body["accepted"], body["queued"]) == (1, 1)
    assert body["rejected"][0]["client_event_id"] == "u1"
    drain(stream_on)
    assert tiers_at_receipt(hid) == [("a1", "decline")]


def test_the_consumer_stores_each_queued_event_once_and_applies_its_effects(
    client: Client, stream_on: stream.StreamConfig
) -> None:
    hid, token = opted_in(client, ["EO-ONE-0001"])
    first = [event("usage", f"u{n}") for n in range(30)] + [event("product_added", "a1")]
    second = [event("system_report", "s1"), event("usage", "u0")]  # u0 again: stored once
    assert post_batch(client, token, first).json()["queued"] == 31
    assert post_batch(client, token, second).json()["queued"] == 2

    result = drain(stream_on, batch=10)
    assert (result.messages, result.events, result.stored, result.dead) == (2, 33, 32, 0)
    rows = TelemetryEvent.objects.filter(household_id=hid)
    assert rows.count() == 32
    assert {tier for _cid, tier in tiers_at_receipt(hid)} == {"registered_opt_in"}
    assert rows.get(client_event_id="u7").payload["service_minutes"] == 42
    products = dict(
        HouseholdProduct.objects.filter(household_id=hid).values_list("serial", "model")
    )
    assert set(products) == {"EO-ONE-0001", "EO-ONE-0042"}  # product_added, after the commit
    assert products["EO-ONE-0001"] == "One"  # the system_report's model
    assert consumer_state(stream_on.url, stream_on.name) == (0, 0)  # all acked


def test_a_batch_appended_twice_past_the_dedupe_window_is_stored_once(
    client: Client, stream_on: stream.StreamConfig
) -> None:
    hid, token = opted_in(client)
    post_batch(client, token, [event("usage", "u1"), event("usage", "u2")])
    _headers, data = stream_message(stream_on.url, stream_on.name, 1)
    link = stream.link(stream_on)
    link.publish(data, msg_id="another-key")  # as if JetStream had forgotten the first key

    result = drain(stream_on)
    assert (result.messages, result.events, result.stored) == (2, 4, 2)
    assert TelemetryEvent.objects.filter(household_id=hid).count() == 2


def test_a_malformed_message_goes_to_the_dead_letter_subject_and_the_stream_goes_on(
    client: Client, stream_on: stream.StreamConfig
) -> None:
    hid, token = opted_in(client)
    link = stream.link(stream_on)
    post_batch(client, token, [event("usage", "u1")])
    link.publish(b"not json at all", msg_id="bad-1")
    good_data = stream_message(stream_on.url, stream_on.name, 1)[1]
    wrong = msgspec.json.decode(good_data)
    wrong["events"][0][1] = "no_such_type"
    link.publish(json.dumps(wrong).encode(), msg_id="bad-2")
    post_batch(client, token, [event("usage", "u2")])
    before = stream.DEAD_LETTERS._value.get()

    result = drain(stream_on, batch=2)
    assert (result.events, result.stored, result.dead) == (2, 2, 2)
    assert stream.DEAD_LETTERS._value.get() - before == 2  # the metric
    assert sorted(
        TelemetryEvent.objects.filter(household_id=hid).values_list("client_event_id", flat=True)
    ) == ["u1", "u2"]
    assert consumer_state(stream_on.url, stream_on.name) == (0, 0)  # nothing blocks the stream

    assert messages_in(stream_on.url, stream_on.dead_stream) == 2
    dead = [stream_message(stream_on.url, stream_on.dead_stream, n) for n in (1, 2)]
    assert dead[0][1] == b"not json at all"
    assert "not a telemetry batch" in dead[0][0]["Hearth-Reason"]
    assert "no_such_type" in dead[1][0]["Hearth-Reason"]
    assert dead[1][0]["Hearth-Subject"] == stream_on.subject


def test_a_stream_that_does_not_answer_is_a_503_with_retry_after_and_nothing_stored(
    client: Client, settings: Any
) -> None:
    settings.HEARTH_TELEMETRY_STREAM = f"nats://127.0.0.1:{free_port()}"  # nothing listens
    settings.HEARTH_TELEMETRY_STREAM_TIMEOUT = 1
    settings.HEARTH_TELEMETRY_STREAM_RETRY_AFTER = 7
    stream.close_links()
    try:
        _hid, token = opted_in(client)
        response = post_json(
            client,
            "/api/v1/telemetry/batches",
            {"events": [event("usage", "u1")]},
            token,
            HTTP_ACCEPT_LANGUAGE="fr-ca",
        )
    finally:
        stream.close_links()
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    error = response.json()["error"]
    assert error["code"] == "stream_unavailable"
    assert "plus tard" in error["message"]  # in the device's language, like every error
    assert TelemetryEvent.objects.count() == 0


def test_a_batch_with_nothing_valid_needs_no_stream(client: Client, settings: Any) -> None:
    settings.HEARTH_TELEMETRY_STREAM = f"nats://127.0.0.1:{free_port()}"  # would be a 503
    stream.close_links()
    try:
        _hid, token = new_household(client)
        response = post_batch(client, token, [event("usage", "u1")])  # above the decline tier
    finally:
        stream.close_links()
    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["queued"]) == (0, 0)


@pytest.mark.promise("PP-18")
def test_a_tier_lowered_while_a_batch_waits_in_the_stream_keeps_its_usage_out(
    client: Client, stream_on: stream.StreamConfig
) -> None:
    from hearth.devices import services
    from hearth.devices.models import Household

    hid, token = opted_in(client)
    gone, gone_token = opted_in(client, ["EO-ONE-0777"])
    batch = [event("usage", "u1"), event("system_report", "s1")]
    assert post_batch(client, token, batch).json()["queued"] == 2
    assert post_batch(client, gone_token, [event("usage", "g1")]).json()["queued"] == 1
    # Accepted under the opt-in tier; before the consumer writes, the household opts out
    # (which purges its usage data) and the other household is deleted.
    services.change_tier(household=Household.objects.get(pk=hid), tier="registered_opt_out", at=NOW)
    Household.objects.filter(pk=gone).delete()

    result = drain(stream_on)
    assert (result.messages, result.events, result.withheld, result.dead) == (2, 1, 2, 0)
    assert tiers_at_receipt(hid) == [("s1", "registered_opt_out")]
    assert TelemetryEvent.objects.filter(household_id=gone).count() == 0
    assert consumer_state(stream_on.url, stream_on.name) == (0, 0)


def test_a_message_the_database_refuses_is_dead_lettered_and_its_round_mates_are_stored(
    client: Client, stream_on: stream.StreamConfig
) -> None:
    from django.db import connection

    # A rule of the database the edge does not know (as a newer constraint would be): it
    # refuses the event "poison". Dropped with the test's transaction.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE devices_telemetryevent ADD CONSTRAINT test_no_poison "
                "CHECK (client_event_id <> 'poison')"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_no_poison BEFORE INSERT ON devices_telemetryevent "
                "WHEN NEW.client_event_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poison'); END"
            )
    hid, token = opted_in(client)
    for cid in ("u1", "poison", "u2"):
        assert post_batch(client, token, [event("usage", cid)]).json()["queued"] == 1

    result = drain(stream_on)  # one round: the combined insert fails, then message by message
    assert (result.messages, result.stored, result.dead) == (3, 2, 1)
    assert "database refused it" in result.reasons[0]
    assert [cid for cid, _tier in tiers_at_receipt(hid)] == ["u1", "u2"]
    assert consumer_state(stream_on.url, stream_on.name) == (0, 0)
    assert messages_in(stream_on.url, stream_on.dead_stream) == 1


def test_a_stream_lost_by_the_server_is_set_up_again_by_the_next_publish(
    client: Client, stream_on: stream.StreamConfig
) -> None:
    from hearth.devices.tests.stream_helpers import delete_streams

    _hid, token = opted_in(client)
    assert post_batch(client, token, [event("usage", "u1")]).status_code == 200
    delete_streams(stream_on.url, stream_on.name)  # as a server restarted without its store
    first = post_batch(client, token, [event("usage", "u2")])
    assert first.status_code == 503  # no PubAck: the device will send it again
    again = post_batch(client, token, [event("usage", "u2")])
    assert again.status_code == 200 and again.json()["queued"] == 1
    assert messages_in(stream_on.url, stream_on.name) == 1


@pytest.fixture
def stream_probes() -> Iterator[None]:
    """/readyz and /metrics as a process started with HEARTH_TELEMETRY_STREAM set has them."""
    from hearth.devices import stream_health

    stream_health.register()
    try:
        yield
    finally:
        stream_health.unregister()


def test_readiness_fails_naming_the_stream_when_its_server_does_not_answer(
    client: Client, settings: Any, stream_probes: None
) -> None:
    settings.HEARTH_TELEMETRY_STREAM = f"nats://127.0.0.1:{free_port()}"
    settings.HEARTH_TELEMETRY_STREAM_TIMEOUT = 1
    stream.close_links()
    try:
        response = client.get("/readyz")
    finally:
        stream.close_links()
    assert response.status_code == 503
    assert response.json()["failing"] == ["telemetry_stream"]
    assert response.json()["checks"]["database"] == "ok"


def test_readiness_and_metrics_show_the_stream_its_lag_and_its_dead_letters(
    client: Client, stream_on: stream.StreamConfig, stream_probes: None
) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["telemetry_stream"] == "ok"

    _hid, token = opted_in(client)
    for cid in ("u1", "u2"):
        post_batch(client, token, [event("usage", cid)])
    stream.link(stream_on).publish(b"{}", msg_id="bad-1")

    def gauges() -> dict[str, float]:
        text = client.get("/metrics").content.decode()
        return {
            line.split()[0]: float(line.split()[1])
            for line in text.splitlines()
            if line.startswith("hearth_telemetry_stream_") and "{" not in line
        }

    before = gauges()
    assert before["hearth_telemetry_stream_up"] == 1
    assert before["hearth_telemetry_stream_pending_batches"] == 3  # no consumer yet: the lag
    assert before["hearth_telemetry_stream_dead_letters"] == 0
    drain(stream_on)
    after = gauges()
    assert after["hearth_telemetry_stream_pending_batches"] == 0
    assert after["hearth_telemetry_stream_unacked_batches"] == 0
    assert after["hearth_telemetry_stream_dead_letters"] == 1
    assert after["hearth_telemetry_stream_dead_letters_total"] >= 1  # this process's counter
    assert after["hearth_telemetry_stream_published_events_total"] >= 2
