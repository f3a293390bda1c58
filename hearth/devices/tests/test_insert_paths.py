"""Every insert path stores exactly what the precise per-event rules accept (issue #12 item 5).

``auto`` is multi-row VALUES on SQLite and COPY (temporary table, then one ``INSERT .. SELECT ..
ON CONFLICT DO NOTHING``) on PostgreSQL; ``executemany`` is the former path. Run this file on
both databases (DATABASE_URL=postgres://...) to cover COPY. Each stored event's tier and receipt
time are its batch row's, its service the payload's service field (ADR 0004); a batch that
stores nothing new leaves no batch row.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.core import clock
from hearth.devices import repository, rules, services
from hearth.devices.models import Household, HouseholdProduct, TelemetryBatch, TelemetryEvent
from hearth.devices.selectors import tier_in_force
from hearth.devices.tests.ingest_helpers import NOW, TIERS, new_household, set_tier
from hearth.devices.tests.test_ingest_api import _raw_event

pytestmark = pytest.mark.django_db(transaction=True)

# auto: multi-row VALUES on SQLite; on PostgreSQL COPY straight into the table, falling back to
# the staging table when an event is already stored. staging: PostgreSQL's staging path always.
METHODS = ["auto", "staging", "executemany"]


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def households(client: Client) -> dict[str, Household]:
    made = {}
    for i, tier in enumerate(TIERS):
        hid, _token = new_household(client, [f"EO-ONE-09{i:02d}"])
        set_tier(hid, tier)
        made[tier] = Household.objects.select_related("customer").get(pk=hid)
    return made


def _expected(events: list[Any], household: Household) -> dict[tuple[str, dt.date], tuple]:
    """What the precise validator (one event at a time, no fast path) accepts, first copy of
    each (day, client event ID) kept: the rows that must be stored, and nothing else."""
    schema = rules.event_schema()
    tier = tier_in_force(household, NOW)
    oldest = NOW - dt.timedelta(days=90)
    rows: dict[tuple[str, dt.date], tuple] = {}
    for i, raw in enumerate(events):
        result = rules.validate_event(raw, i, schema=schema, tier=tier, now=NOW, oldest=oldest)
        if isinstance(result, rules.ValidEvent):
            rows.setdefault(
                (result.client_event_id, result.day),
                (result.type, tier, result.device_ts, result.service, result.payload),
            )
    return rows


def _stored(household: Household) -> dict[tuple[str, dt.date], tuple]:
    schema = rules.event_schema()
    stored = {}
    for cid, day, etype, tier, ts, payload in TelemetryEvent.objects.filter(
        household_id=household.id
    ).values_list(
        "client_event_id", "day", "type", "batch__tier_at_receipt", "device_ts", "payload"
    ):
        field = schema.events[etype].service_field
        service = payload.get(field) if field else None
        stored[(cid, day)] = (etype, tier, ts, service, payload)
    return stored


def _batches() -> list[tuple[int, dt.datetime, str]]:
    return list(
        TelemetryBatch.objects.order_by("id").values_list(
            "household_id", "received_at", "tier_at_receipt"
        )
    )


@pytest.mark.promise("PP-16")
@pytest.mark.promise("PP-18")
@pytest.mark.parametrize("method", METHODS)
@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(_raw_event(), max_size=25), tier=st.sampled_from(TIERS))
def test_each_insert_path_stores_exactly_what_the_per_event_rules_accept(
    households: dict[str, Household], method: str, events: list[Any], tier: str
) -> None:
    events = json.loads(json.dumps(events))  # JSON values only, as decode_batch gives
    household = households[tier]
    TelemetryEvent.objects.all().delete()
    TelemetryBatch.objects.all().delete()
    HouseholdProduct.objects.all().delete()  # a product_added serial would be claimed elsewhere
    expected = _expected(events, household)
    tier_now = tier_in_force(household, NOW)
    with override_settings(HEARTH_TELEMETRY_INSERT=method):
        first = services.ingest_batch(household=household, events=events, at=NOW, from_json=True)
        assert first.stored == len(expected)
        assert _stored(household) == expected
        # One batch row when anything was stored, none for nothing.
        assert _batches() == ([(household.id, NOW, tier_now)] if expected else [])
        again = services.ingest_batch(household=household, events=events, at=NOW, from_json=True)
    assert again.stored == 0  # a replayed batch stores nothing new
    assert again.accepted == first.accepted
    assert _stored(household) == expected
    assert _batches() == ([(household.id, NOW, tier_now)] if expected else [])  # none for a replay
    assert TelemetryEvent.objects.exclude(household_id=household.id).count() == 0


@pytest.mark.promise("PP-16")
@pytest.mark.promise("PP-18")
@pytest.mark.parametrize("method", METHODS)
@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.lists(_raw_event(), max_size=20),
    fresh=st.lists(_raw_event(), max_size=20),
    replayed=st.lists(st.integers(0, 19), max_size=10),
    tier=st.sampled_from(TIERS),
)
def test_a_batch_overlapping_a_stored_one_adds_exactly_its_new_accepted_events(
    households: dict[str, Household],
    method: str,
    first: list[Any],
    fresh: list[Any],
    replayed: list[int],
    tier: str,
) -> None:
    """The second batch repeats some of the first batch's events among new ones: on PostgreSQL
    the direct COPY is refused by the unique index and the staging path stores the rest."""
    first = json.loads(json.dumps(first))
    second = json.loads(json.dumps([first[i] for i in replayed if i < len(first)] + fresh))
    household = households[tier]
    TelemetryEvent.objects.all().delete()
    TelemetryBatch.objects.all().delete()
    HouseholdProduct.objects.all().delete()
    after_first = _expected(first, household)
    after_both = _expected(first + second, household)  # first copy of each key kept
    with override_settings(HEARTH_TELEMETRY_INSERT=method):
        stored_first = services.ingest_batch(
            household=household, events=first, at=NOW, from_json=True
        ).stored
        stored_second = services.ingest_batch(
            household=household, events=second, at=NOW, from_json=True
        ).stored
    assert stored_first == len(after_first)
    assert stored_second == len(after_both) - len(after_first)
    assert _stored(household) == after_both
    # A batch row for each batch that stored something; every event points at one of them.
    assert TelemetryBatch.objects.count() == bool(stored_first) + bool(stored_second)
    assert set(TelemetryEvent.objects.values_list("batch_id", flat=True)) == set(
        TelemetryBatch.objects.values_list("id", flat=True)
    )


@pytest.mark.parametrize("method", METHODS)
def test_a_batch_longer_than_one_values_statement_is_stored_whole_and_once(method: str) -> None:
    at = NOW
    rows: list[repository.Row] = [
        (
            123456789012,
            f"c{i % 1200}",  # 1,200 distinct IDs in 1,300 rows: repeats across the statements
            "usage",
            "registered_opt_in",
            at - dt.timedelta(seconds=i % 1200),
            at,
            (at - dt.timedelta(seconds=i % 1200)).date(),
            "tunewave",
            json.dumps({"service": "tunewave", "service_minutes": i}),
        )
        for i in range(1300)
    ]
    assert len(rows) > repository.VALUES_ROWS * 2
    assert repository.insert_events(rows, method=method) == 1200  # type: ignore[arg-type]
    assert repository.insert_events(rows[:700], method=method) == 0  # type: ignore[arg-type]
    assert TelemetryEvent.objects.count() == 1200
    # The first copy of a repeated ID is the one kept, on every path.
    assert TelemetryEvent.objects.get(client_event_id="c5").payload == {
        "service": "tunewave",
        "service_minutes": 5,
    }
    assert TelemetryEvent.objects.filter(client_event_id="c1300").exists() is False


@pytest.mark.parametrize("method", METHODS)
def test_a_batch_inside_a_callers_transaction_stores_only_its_own_rows(method: str) -> None:
    def batch(prefix: str) -> list[repository.Row]:
        return [
            (
                123456789012,
                f"{prefix}{i}",
                "usage",
                "registered_opt_in",
                NOW,
                NOW,
                NOW.date(),
                "tunewave",
                "{}",
            )
            for i in range(3)
        ]

    with transaction.atomic():
        assert repository.insert_events(batch("a"), method=method) == 3  # type: ignore[arg-type]
        TelemetryEvent.objects.all().delete()  # purged in the same transaction
        assert repository.insert_events(batch("b"), method=method) == 3  # type: ignore[arg-type]
    # The purged rows do not come back with the next batch (COPY's staging table is emptied).
    assert sorted(TelemetryEvent.objects.values_list("client_event_id", flat=True)) == [
        "b0",
        "b1",
        "b2",
    ]


@pytest.mark.parametrize("method", METHODS)
def test_values_holding_copys_special_characters_are_stored_exactly(method: str) -> None:
    """COPY's text format gives backslash, tab, newline and carriage return a meaning: values
    holding them (a JSON payload with escapes, a key with a tab) come back exactly as sent."""
    payload = json.dumps({"note": 'a "quoted" \\ back\tslash\r\n', "n": 1})
    rows: list[repository.Row] = [
        (123456789012, cid, "usage", "registered_opt_in", NOW, NOW, NOW.date(), None, payload)
        for cid in ("tab\there", "back\\slash\\N", "new\nline", "plain")
    ]
    assert repository.insert_events(rows, method=method) == 4  # type: ignore[arg-type]
    stored = dict(TelemetryEvent.objects.values_list("client_event_id", "payload"))
    assert stored == {
        "tab\there": json.loads(payload),
        "back\\slash\\N": json.loads(payload),
        "new\nline": json.loads(payload),
        "plain": json.loads(payload),
    }


@pytest.mark.parametrize("method", METHODS)
def test_rows_of_another_tier_or_receipt_time_make_their_own_batch_row_and_a_replay_none(
    method: str,
) -> None:
    later = NOW + dt.timedelta(minutes=5)

    def row(cid: str, tier: str, at: dt.datetime) -> repository.Row:
        return (123456789012, cid, "usage", tier, NOW, at, NOW.date(), "local", "{}")

    rows = [
        row("a", "registered_opt_in", NOW),
        row("b", "registered_opt_out", NOW),
        row("c", "registered_opt_in", later),
        row("d", "registered_opt_in", NOW),
    ]
    assert repository.insert_events(rows, method=method) == 4  # type: ignore[arg-type]
    tiers = dict(TelemetryEvent.objects.values_list("client_event_id", "batch__tier_at_receipt"))
    times = dict(TelemetryEvent.objects.values_list("client_event_id", "batch__received_at"))
    assert tiers == {
        "a": "registered_opt_in",
        "b": "registered_opt_out",
        "c": "registered_opt_in",
        "d": "registered_opt_in",
    }
    assert times == {"a": NOW, "b": NOW, "c": later, "d": NOW}
    assert TelemetryBatch.objects.count() == 3
    # The replay (and a batch whose only event is a replay) adds no batch row.
    assert repository.insert_events(rows, method=method) == 0  # type: ignore[arg-type]
    assert (
        repository.insert_batch(
            household_id=123456789012,
            tier="registered_opt_in",
            received_at=later,
            events=[("a", "usage", NOW, NOW.date(), "{}")],
            method=method,  # type: ignore[arg-type]
        )
        == 0
    )
    assert TelemetryBatch.objects.count() == 3


def test_sqlite_ingest_commits_without_the_automatic_checkpoint_and_checkpoints_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ADR 0004, fifth pass: SQLite's automatic WAL checkpoint (a copy and a disk sync) would run
    inside the ingest's COMMIT, under the writer lock every worker waits on; the ingest commits
    without it and runs a PASSIVE checkpoint of its own after the commit, every
    SQLITE_CHECKPOINT_EVERY batches, and leaves the connection's setting as it found it."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log only")
    monkeypatch.setattr(repository, "SQLITE_CHECKPOINT_EVERY", 2)
    monkeypatch.setattr(repository, "_commits_since_checkpoint", 0)
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("PRAGMA wal_autocheckpoint=777")
    statements: list[str] = []
    raw.set_trace_callback(statements.append)
    try:
        for n in range(4):
            rows: list[repository.Row] = [
                (4242, f"k{n}-{i}", "usage", "registered_opt_in", NOW, NOW, NOW.date(),
                 "tunewave", json.dumps({"service": "tunewave", "service_minutes": i}))
                for i in range(3)
            ]  # fmt: skip
            assert repository.insert_events(rows) == 3
    finally:
        raw.set_trace_callback(None)
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 777
    assert TelemetryEvent.objects.filter(household_id=4242).count() == 12
    text = [s.strip().upper() for s in statements]
    commits = [i for i, s in enumerate(text) if s == "COMMIT"]
    checkpoints = [i for i, s in enumerate(text) if s.startswith("PRAGMA WAL_CHECKPOINT")]
    off = [i for i, s in enumerate(text) if s == "PRAGMA WAL_AUTOCHECKPOINT=0"]
    assert len(commits) == 4 and len(off) == 4
    # Every commit ran with the automatic checkpoint off, and the own checkpoint came after
    # the second and the fourth commit (every 2 batches), never inside a transaction.
    assert all(any(o < c for o in off) for c in commits)
    assert len(checkpoints) == 2
    assert commits[1] < checkpoints[0] < commits[2] and commits[3] < checkpoints[1]
