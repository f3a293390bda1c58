from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.accounts import rules

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("minutes_ago", "blocked", "retry_in_minutes"),
    [
        ([], False, None),
        ([1, 2, 3, 4], False, None),
        ([1, 2, 3, 4, 5], True, 10),  # oldest counted failure 5 min ago -> free in 10
        ([1, 2, 3, 4, 14], True, 1),
        ([1, 2, 3, 4, 15], False, None),  # exactly 15 minutes ago has left the window
        ([1, 2, 3, 4, 5, 6], True, 10),  # 6 failures: one more must age out: 5 min ago -> 10
        ([20, 30, 40, 50, 60], False, None),
    ],
)
def test_throttle_blocks_five_failures_in_fifteen_minutes(minutes_ago, blocked, retry_in_minutes):
    verdict = rules.throttle_verdict([NOW - m * MIN for m in minutes_ago], now=NOW)
    assert verdict.blocked is blocked
    expected = None if retry_in_minutes is None else NOW + retry_in_minutes * MIN
    assert verdict.retry_at == expected


@given(st.lists(st.integers(min_value=0, max_value=60 * 30), max_size=12))
def test_throttle_retry_time_unblocks(seconds_ago):
    failures = [NOW - dt.timedelta(seconds=s) for s in seconds_ago]
    verdict = rules.throttle_verdict(failures, now=NOW)
    if verdict.blocked:
        assert verdict.retry_at is not None and verdict.retry_at > NOW
        assert not rules.throttle_verdict(failures, now=verdict.retry_at).blocked


@pytest.mark.parametrize(
    ("reauthed_minutes_ago", "fresh"),
    [(None, False), (0, True), (4, True), (5, False), (60, False), (-1, False)],
)
def test_reauth_covers_five_minutes(reauthed_minutes_ago, fresh):
    at = None if reauthed_minutes_ago is None else NOW - reauthed_minutes_ago * MIN
    assert rules.reauth_fresh(at, now=NOW) is fresh


@pytest.mark.parametrize(
    ("raw", "normalised", "valid"),
    [
        ("k1a0b1", "K1A 0B1", True),
        ("K1A 0B1", "K1A 0B1", True),
        (" h2x  1y4 ", "H2X 1Y4", True),
        ("D1A 0B1", "D1A 0B1", False),  # D is never a first letter
        ("12345", "12345", False),
        ("", "", False),
    ],
)
def test_canadian_postal_codes(raw, normalised, valid):
    assert rules.normalise_postal_code(raw) == normalised
    assert rules.postal_code_valid(raw, "CA") is valid
