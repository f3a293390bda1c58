"""The incremental rollup equals a recomputation from raw events (property)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.devices import repository, rollups, rules
from hearth.devices.models import (
    DailyRollup,
    DailyRollupHousehold,
    RollupWatermark,
    TelemetryBatch,
    TelemetryEvent,
    WeeklyServiceHouseholds,
)

AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
SCHEMA = rules.event_schema()

usage = st.fixed_dictionaries(
    {"service": st.sampled_from(["tunewave", "radiolia", "local"])},
    optional={m: st.integers(0, 500) for m in SCHEMA.events["usage"].metrics},
).map(lambda p: ("usage", p))
errors = st.fixed_dictionaries(
    {
        "service": st.sampled_from(["tunewave", "radiolia"]),
        "kind": st.sampled_from(["dropout", "unavailable"]),
        "count": st.integers(0, 20),
    }
).map(lambda p: ("playback_error", p))
one_event = st.tuples(
    st.integers(0, 4),  # household
    st.integers(0, 9),  # day offset
    st.sampled_from(["registered_opt_in", "registered_opt_out"]),
    st.one_of(usage, errors),
)


def recompute() -> tuple[dict, set]:
    expected: dict[tuple, list] = defaultdict(lambda: [0, set()])
    weekly: set = set()
    for e in TelemetryEvent.objects.select_related("batch"):
        spec = SCHEMA.events[e.type]
        service = e.payload.get(spec.service_field) if spec.service_field else None
        for metric, value in rules.contributions(spec, e.payload):
            cell = expected[(e.day, service or "", metric, e.batch.tier_at_receipt)]
            cell[0] += value
            cell[1].add(e.household_id)
        if service:
            weekly.add((rules.week_start(e.day), service, e.household_id))
    return {k: (v[0], len(v[1])) for k, v in expected.items()}, weekly


@pytest.mark.promise("PP-18")
@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(st.lists(one_event, max_size=15), min_size=1, max_size=4))
def test_incremental_rollup_equals_recomputation(batches: list[list[tuple]]) -> None:
    for model in (
        TelemetryEvent,
        TelemetryBatch,
        DailyRollup,
        DailyRollupHousehold,
        WeeklyServiceHouseholds,
        RollupWatermark,
    ):
        model.objects.all().delete()
    n = 0
    import msgspec

    for batch in batches:
        rows: list[repository.Row] = []
        for hh, day_offset, tier, (etype, payload) in batch:
            ts = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC) + dt.timedelta(days=day_offset)
            rows.append(
                (
                    100000000000 + hh,
                    f"e{n}",
                    etype,
                    tier,
                    ts,
                    AT - dt.timedelta(hours=1),
                    ts.date(),
                    payload["service"],
                    msgspec.json.encode(payload).decode(),
                )
            )
            n += 1
        repository.insert_events(rows)
        rollups.roll_up_events(at=AT)  # incremental: one run per batch
    expected, weekly = recompute()
    actual = {
        (r.day, r.service, r.metric, r.tier): (r.value, r.households)
        for r in DailyRollup.objects.all()
    }
    assert actual == expected
    assert (
        set(WeeklyServiceHouseholds.objects.values_list("week_start", "service", "household_id"))
        == weekly
    )
    assert rollups.roll_up_events(at=AT) == 0  # caught up: nothing folded twice


@pytest.mark.django_db
def test_events_younger_than_the_settle_time_wait_for_the_next_run() -> None:
    row = (
        1,
        "x",
        "usage",
        "registered_opt_in",
        AT,
        AT,
        AT.date(),
        "tunewave",
        '{"service": "tunewave", "service_minutes": 3}',
    )
    repository.insert_events([row])
    assert rollups.roll_up_events(at=AT + dt.timedelta(seconds=30)) == 0
    assert rollups.roll_up_events(at=AT + dt.timedelta(seconds=61)) == 1
    assert DailyRollup.objects.get().value == 3
