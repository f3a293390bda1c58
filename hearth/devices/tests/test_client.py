"""The device client's own logic: tier filter, batching, retry with backoff and full jitter,
nothing dropped on a failed send, the file buffer. A fake transport stands in for the network
here only; test_client_live.py drives a real running Hearth."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hearth.devices.client import (
    Response,
    TelemetryClient,
    TransportError,
    load_tier_table,
    parse_tier_table,
)
from hearth.devices.client.tiers import EventsDataError

T0 = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
USAGE = {"service": "tunewave", "service_minutes": 30}


class FakeServer:
    """Answers from a script of statuses (or TransportError), accepting every event on 200."""

    def __init__(self, script: list[int | type[Exception]]) -> None:
        self.script = list(script)
        self.calls: list[dict] = []

    def __call__(self, method, url, body, headers):
        self.calls.append({"method": method, "url": url, "body": json.loads(body), **headers})
        outcome = self.script.pop(0) if self.script else 200
        if outcome is TransportError:
            raise TransportError("connection refused")
        if outcome == 200:
            events = json.loads(body)["events"]
            return Response(200, json.dumps({"accepted": len(events), "rejected": []}).encode())
        return Response(int(outcome), b'{"error": {"code": "x", "message": "no", "fields": {}}}')


def client(server, *, tier="registered_opt_in", **kwargs) -> tuple[TelemetryClient, list]:
    sleeps: list[float] = []
    counter = iter(range(10**6))
    c = TelemetryClient(
        base_url="http://hearth.example.com/",
        token="tok",
        tier=tier,
        transport=server,
        sleep=sleeps.append,
        random=lambda: 0.5,
        clock=lambda: T0,
        new_id=lambda: f"c{next(counter)}",
        **kwargs,
    )
    return c, sleeps


@pytest.mark.promise("PP-16")
@pytest.mark.parametrize(
    ("tier", "allowed"),
    [
        ("decline", {"product_added"}),
        ("registered_opt_out", {"product_added", "system_report"}),
        ("registered_opt_in", {"product_added", "system_report", "usage", "playback_error"}),
    ],
)
def test_the_client_never_sends_what_its_tier_forbids(tier, allowed):
    server = FakeServer([])
    c, _ = client(server, tier=tier)
    recorded = {
        etype: c.record(etype, {})
        for etype in ("product_added", "system_report", "usage", "playback_error")
    }
    assert {t for t, cid in recorded.items() if cid is not None} == allowed
    assert c.refused == 4 - len(allowed)
    c.flush()
    sent = [e["type"] for call in server.calls for e in call["body"]["events"]]
    assert set(sent) == allowed


def test_the_tier_table_comes_from_the_servers_events_data():
    table = load_tier_table()
    assert table.tiers == ("decline", "registered_opt_out", "registered_opt_in")
    assert table.allowed_types("registered_opt_out") == {"product_added", "system_report"}
    with pytest.raises(EventsDataError):
        parse_tier_table({"tiers": ["a"], "event": [{"type": "x", "tier": "b"}]})
    with pytest.raises(EventsDataError):
        table.allowed_types("gold")


def test_lowering_the_tier_drops_buffered_events_it_forbids():
    server = FakeServer([])
    c, _ = client(server)
    c.record("usage", USAGE)
    c.record("system_report", {"software_version": "15.2"})
    assert c.set_tier("registered_opt_out") == 1
    c.flush()
    assert [e["type"] for e in server.calls[0]["body"]["events"]] == ["system_report"]


def test_events_carry_ids_timestamps_and_go_in_batches_of_500():
    server = FakeServer([])
    c, _ = client(server)
    for _ in range(1203):
        c.record("usage", USAGE)
    result = c.flush()
    assert [len(call["body"]["events"]) for call in server.calls] == [500, 500, 203]
    first = server.calls[0]["body"]["events"][0]
    assert first == {
        "client_event_id": "c0",
        "device_ts": "2026-11-18T12:00:00+00:00",
        "type": "usage",
        **USAGE,
    }
    assert server.calls[0]["Authorization"] == "Bearer tok"
    assert server.calls[0]["url"] == "http://hearth.example.com/api/v1/telemetry/batches"
    assert (result.batches, result.accepted, c.pending) == (3, 1203, 0)


def test_a_batch_over_the_byte_limit_is_split():
    server = FakeServer([])
    c, _ = client(server, max_batch_bytes=2_000)
    for _ in range(40):
        c.record("usage", USAGE)
    c.flush()
    sizes = [len(call["body"]["events"]) for call in server.calls]
    assert sum(sizes) == 40 and max(sizes) < 40


def test_transient_failures_are_retried_with_exponential_backoff_and_full_jitter():
    server = FakeServer([TransportError, 503, 429, 200])
    c, sleeps = client(server, backoff_base=1.0, backoff_cap=3.0)
    c.record("usage", USAGE)
    result = c.flush()
    assert result.ok and result.accepted == 1 and result.attempts == 4
    # random() = 0.5 times min(cap, base * 2**n) for n = 0, 1, 2
    assert sleeps == [0.5, 1.0, 1.5]
    # the same batch each time: the server stores each client_event_id once
    assert len({json.dumps(call["body"]) for call in server.calls}) == 1


def test_backoff_draws_uniformly_up_to_the_bound():
    c, _ = client(FakeServer([]), backoff_base=0.5, backoff_cap=30.0)
    c._random = lambda: 1.0
    assert [c.backoff(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    c._random = lambda: 0.0
    assert c.backoff(5) == 0.0


def test_a_failed_send_drops_nothing():
    server = FakeServer([503] * 3)
    c, sleeps = client(server, max_attempts=3)
    ids = [c.record("usage", USAGE) for _ in range(3)]
    result = c.flush()
    assert not result.ok and result.status == 503 and result.attempts == 3
    assert len(sleeps) == 2
    assert [e["client_event_id"] for e in c.buffered()] == ids
    result = c.flush()  # the network is back
    assert result.ok and result.accepted == 3 and c.pending == 0


def test_a_refused_token_is_not_retried_and_drops_nothing():
    server = FakeServer([401])
    c, sleeps = client(server)
    c.record("usage", USAGE)
    result = c.flush()
    assert (result.ok, result.status, result.attempts, sleeps, c.pending) == (
        False,
        401,
        1,
        [],
        1,
    )


def test_rejected_events_are_reported_and_leave_the_buffer():
    def server(method, url, body, headers):
        events = json.loads(body)["events"]
        rejected = [
            {
                "index": 1,
                "client_event_id": events[1]["client_event_id"],
                "code": "x",
                "reason": "y",
            }
        ]
        return Response(200, json.dumps({"accepted": 1, "rejected": rejected}).encode())

    c, _ = client(server)
    c.record("usage", USAGE)
    c.record("usage", USAGE)
    result = c.flush()
    assert (result.accepted, [r["client_event_id"] for r in result.rejected], c.pending) == (
        1,
        ["c1"],
        0,
    )


def test_the_file_buffer_survives_a_restart(tmp_path: Path):
    path = tmp_path / "buffer.jsonl"
    down = FakeServer([TransportError] * 2)
    c, _ = client(down, buffer_path=path, max_attempts=2)
    ids = [c.record("usage", USAGE) for _ in range(3)]
    assert not c.flush().ok
    with path.open("a") as fh:
        fh.write('{"torn": ')  # a crash mid-append
    up = FakeServer([])
    restarted, _ = client(up, buffer_path=path)
    assert [e["client_event_id"] for e in restarted.buffered()] == ids
    assert restarted.flush().accepted == 3
    assert path.read_text() == ""


def test_the_client_package_imports_no_django():
    code = (
        "import sys; import hearth.devices.client; "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"


def test_timestamps_must_be_aware_and_the_envelope_is_the_clients():
    c, _ = client(FakeServer([]))
    with pytest.raises(ValueError):
        c.record("usage", USAGE, device_ts=dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        c.record("usage", {**USAGE, "client_event_id": "mine"})


def test_a_503_with_retry_after_is_waited_out_before_the_resend() -> None:
    answers = iter(
        [
            Response(503, b'{"error": {}}', {"retry-after": "7"}),
            Response(503, b'{"error": {}}', {"retry-after": "not a number"}),
        ]
    )

    def server(method, url, body, headers):
        try:
            return next(answers)
        except StopIteration:
            events = json.loads(body)["events"]
            return Response(200, json.dumps({"accepted": len(events), "rejected": []}).encode())

    c, sleeps = client(server, backoff_base=0.5)
    c.record("usage", USAGE)
    result = c.flush()
    assert (result.ok, result.accepted, c.pending) == (True, 1, 0)
    # Retry-After 7 s outweighs the jittered backoff (0.25 s); an unreadable one leaves it.
    assert sleeps == [7.0, 0.5]


def test_retry_after_is_read_as_seconds_and_held_to_a_bound() -> None:
    from hearth.devices.client.telemetry import MAX_RETRY_AFTER, retry_after_seconds

    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds(None) == 0.0
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT") == 0.0
    assert retry_after_seconds("86400") == MAX_RETRY_AFTER
