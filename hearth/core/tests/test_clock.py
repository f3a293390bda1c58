import datetime as dt

import pytest

from hearth.core import clock


def test_frozen_clock_returns_the_frozen_instant_and_restores_after():
    at = dt.datetime(2026, 3, 6, 16, 59, 59, tzinfo=dt.UTC)
    with clock.frozen(at):
        assert clock.now() == at
        assert clock.today_eastern() == dt.date(2026, 3, 6)
    assert clock.now() != at


def test_frozen_clock_refuses_naive_datetimes():
    with pytest.raises(ValueError), clock.frozen(dt.datetime(2026, 1, 1)):
        pass
