"""The off-ORM insert path: one statement per batch, each row once."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.devices import repository
from hearth.devices.models import TelemetryBatch, TelemetryEvent

pytestmark = pytest.mark.django_db(transaction=True)

AT = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def rows(n: int, household: int = 123456789012, prefix: str = "c") -> list[repository.Row]:
    return [
        (
            household,
            f"{prefix}{i}",
            "usage",
            "registered_opt_in",
            AT - dt.timedelta(minutes=i),
            AT,
            (AT - dt.timedelta(minutes=i)).date(),
            "tunewave",
            f'{{"service": "tunewave", "service_minutes": {i}}}',
        )
        for i in range(n)
    ]


def test_rows_are_inserted_once_and_read_back_exactly() -> None:
    assert repository.insert_events(rows(500)) == 500
    assert repository.insert_events(rows(500)) == 0
    assert repository.insert_events(rows(10, prefix="d") + rows(5)) == 10
    assert TelemetryEvent.objects.count() == 510
    assert TelemetryBatch.objects.count() == 2  # the replay left none
    event = TelemetryEvent.objects.get(client_event_id="c7")
    assert event.household_id == 123456789012
    assert event.device_ts == AT - dt.timedelta(minutes=7)
    assert (event.batch.received_at, event.batch.tier_at_receipt) == (AT, "registered_opt_in")
    assert event.day == dt.date(2026, 3, 2)
    assert event.payload == {"service": "tunewave", "service_minutes": 7}


def test_the_same_id_for_another_household_is_another_event() -> None:
    assert repository.insert_events(rows(3) + rows(3, household=210987654321)) == 6


def test_an_empty_batch_is_a_no_op() -> None:
    assert repository.insert_events([]) == 0
