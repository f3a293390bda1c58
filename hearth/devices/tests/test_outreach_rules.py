"""The dropout episode rule (PP-19), as a table of cases."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.devices.outreach import (
    Dropouts,
    Episode,
    episode_start,
    episodes_by_service,
    next_episode_not_before,
)

T0 = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def drops(*spec: tuple[float, int], service: str = "tunewave") -> list[Dropouts]:
    return [Dropouts(service=service, count=c, device_ts=at(h)) for h, c in spec]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([], None, id="no-dropouts"),
        pytest.param(drops((0, 1), (1, 1), (2, 1), (3, 1)), None, id="four-is-below-five"),
        pytest.param(
            drops((0, 1), (1, 1), (2, 1), (3, 1), (4, 1)),
            Episode("tunewave", at(0), 5),
            id="five-singles-in-a-day",
        ),
        pytest.param(drops((5, 5)), Episode("tunewave", at(5), 5), id="one-event-counting-five"),
        pytest.param(
            drops((0, 3), (24, 2)), Episode("tunewave", at(0), 5), id="exactly-24h-apart-counts"
        ),
        pytest.param(drops((0, 3), (24.01, 2)), None, id="just-over-24h-apart-does-not"),
        pytest.param(
            drops((0, 3), (20, 1), (30, 1), (40, 3)),
            Episode("tunewave", at(20), 5),
            id="sliding-window-finds-later-cluster",
        ),
        pytest.param(drops((0, 0), (1, 0), (2, 4)), None, id="zero-counts-do-not-count"),
        pytest.param(
            drops((3, 2), (1, 2), (2, 1)), Episode("tunewave", at(1), 5), id="order-does-not-matter"
        ),
    ],
)
def test_episode_opens_at_five_dropouts_within_24_hours(events, expected):
    assert episode_start(events, threshold=5, window=DAY) == expected


def test_dropouts_before_not_before_do_not_count():
    events = drops((0, 4), (10, 1), (11, 4))
    assert episode_start(events, threshold=5, window=DAY, not_before=at(5)) == Episode(
        "tunewave", at(10), 5
    )
    assert episode_start(events, threshold=5, window=DAY, not_before=at(10.5)) is None


def test_services_are_counted_separately():
    events = drops((0, 3), service="tunewave") + drops((1, 3), service="radiolia")
    assert episodes_by_service(events, threshold=5, window=DAY) == []
    events += drops((2, 2), service="radiolia")
    assert episodes_by_service(events, threshold=5, window=DAY) == [Episode("radiolia", at(1), 5)]
    assert episodes_by_service(events, threshold=5, window=DAY, skip={"radiolia"}) == []


def test_threshold_and_window_are_parameters():
    events = drops((0, 1), (1, 1))
    assert episode_start(events, threshold=2, window=dt.timedelta(hours=1)) == Episode(
        "tunewave", at(0), 2
    )
    assert episode_start(events, threshold=2, window=dt.timedelta(minutes=59)) is None


def test_a_new_episode_waits_for_closing_and_the_window():
    start = at(0)
    assert next_episode_not_before(closed_at=at(2), episode_start=start, window=DAY) == at(24)
    assert next_episode_not_before(closed_at=at(30), episode_start=start, window=DAY) == at(30)


@pytest.mark.parametrize(("threshold", "window"), [(0, DAY), (5, dt.timedelta(0))])
def test_nonsense_parameters_are_refused(threshold, window):
    with pytest.raises(ValueError):
        episode_start([], threshold=threshold, window=window)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=72 * 60), st.integers(0, 6)), max_size=30
    ),
    st.integers(min_value=1, max_value=12),
)
def test_episode_matches_brute_force(spec, threshold):
    events = [Dropouts("s", c, T0 + dt.timedelta(minutes=m)) for m, c in spec]
    found = episode_start(events, threshold=threshold, window=DAY)
    # brute force: for each event as the window's end, sum what lies within a day before it
    best = None
    for end in sorted(events, key=lambda e: e.device_ts):
        inside = [e for e in events if end.device_ts - DAY <= e.device_ts <= end.device_ts]
        total = sum(e.count for e in inside if e.count > 0)
        if end.count > 0 and total >= threshold:
            best = end.device_ts
            break
    assert (found is None) == (best is None)
    if found is not None:
        assert found.dropouts >= threshold
        assert found.start <= best <= found.start + DAY
