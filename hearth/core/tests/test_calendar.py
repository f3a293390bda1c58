"""The business calendar of PROMISES.md: Ontario + federal statutory holidays, weekends closed."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.core.calendar import (
    add_business_days,
    business_days_between,
    holiday_name,
    is_business_day,
    next_business_day,
)

D = dt.date


@pytest.mark.promise("TOS-18")
@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (D(2026, 1, 1), False),  # New Year's Day
        (D(2026, 1, 2), True),
        (D(2026, 2, 16), False),  # Family Day (Ontario)
        (D(2026, 4, 3), False),  # Good Friday
        (D(2026, 4, 6), True),  # Easter Monday is a business day
        (D(2026, 5, 18), False),  # Victoria Day
        (D(2026, 7, 1), False),  # Canada Day
        (D(2026, 8, 3), True),  # Civic Holiday is a business day
        (D(2026, 9, 7), False),  # Labour Day
        (D(2026, 9, 30), False),  # National Day for Truth and Reconciliation (federal)
        (D(2026, 10, 12), False),  # Thanksgiving
        (D(2026, 11, 11), False),  # Remembrance Day (federal)
        (D(2026, 12, 24), True),
        (D(2026, 12, 25), False),  # Christmas (Friday)
        (D(2026, 12, 26), False),  # Boxing Day (Saturday)
        (D(2026, 12, 28), False),  # Boxing Day observed (Monday)
        (D(2026, 12, 29), True),
        (D(2026, 3, 7), False),  # Saturday
        (D(2026, 3, 8), False),  # Sunday
        (D(2026, 3, 9), True),
        (D(2027, 7, 1), False),
        (D(2022, 9, 19), True),  # Queen's funeral: provincial/federal one-off not in both tables
    ],
)
def test_business_days_follow_ontario_and_federal_statutory_holidays(day, open_):
    assert is_business_day(day) is open_


def test_holiday_names_come_from_the_holidays_package():
    assert holiday_name(D(2026, 12, 28)) == "Boxing Day (observed)"
    assert holiday_name(D(2026, 9, 30)) == "National Day for Truth and Reconciliation"
    assert holiday_name(D(2026, 4, 6)) is None


@pytest.mark.promise("TOS-18")
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 3, 6), D(2026, 3, 9)),  # Friday -> Monday
        (D(2026, 12, 24), D(2026, 12, 29)),  # over Christmas, Boxing Day observed
        (D(2026, 5, 15), D(2026, 5, 19)),  # over the Victoria Day long weekend
        (D(2026, 4, 2), D(2026, 4, 6)),  # over Good Friday
    ],
)
def test_next_business_day_skips_weekends_and_holidays(day, expected):
    assert next_business_day(day) == expected


def test_adding_business_days_counts_only_business_days_after_the_start():
    assert add_business_days(D(2026, 3, 6), 0) == D(2026, 3, 6)
    assert add_business_days(D(2026, 3, 6), 2) == D(2026, 3, 10)
    assert add_business_days(D(2026, 12, 23), 3) == D(2026, 12, 30)
    with pytest.raises(ValueError):
        add_business_days(D(2026, 3, 6), -1)


@given(st.dates(min_value=D(2006, 1, 1), max_value=D(2040, 12, 31)), st.integers(0, 30))
def test_adding_n_business_days_lands_on_a_business_day_n_days_later(start, n):
    end = add_business_days(start, n)
    assert business_days_between(start, end) == n
    if n:
        assert is_business_day(end)
