"""Ship date and delivery window (TOS-13, TOS-14, TOS-18) against PROMISES.md's binding reading."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.core.calendar import business_days_between, is_business_day
from hearth.core.errors import DomainError
from hearth.fulfilment.rules import (
    Estimate,
    delivery_window,
    estimate,
    load_shipping_methods,
    ship_date,
    shipping_method,
    shipping_methods,
)

TORONTO = ZoneInfo("America/Toronto")


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# (placed_at, payment_confirmed_at or None, expected ship date)
SHIP_DATE_CASES = [
    # 11:59:59 vs 12:00:00 Eastern, in EST (Friday 2026-03-06) ...
    ("2026-03-06T11:59:59-05:00", None, "2026-03-06"),
    ("2026-03-06T12:00:00-05:00", None, "2026-03-09"),
    ("2026-03-06T11:59:59.999999-05:00", None, "2026-03-06"),
    ("2026-03-06T00:00:00-05:00", None, "2026-03-06"),
    # ... the same instants in UTC and in -08:00
    ("2026-03-06T16:59:59+00:00", None, "2026-03-06"),
    ("2026-03-06T17:00:00Z", None, "2026-03-09"),
    ("2026-03-06T08:59:59-08:00", None, "2026-03-06"),
    ("2026-03-06T09:00:00-08:00", None, "2026-03-09"),
    # ... and in EDT (Tuesday 2026-03-10), where noon Eastern is 16:00 UTC
    ("2026-03-10T11:59:59-04:00", None, "2026-03-10"),
    ("2026-03-10T12:00:00-04:00", None, "2026-03-11"),
    ("2026-03-10T15:59:59Z", None, "2026-03-10"),
    ("2026-03-10T16:00:00Z", None, "2026-03-11"),
    ("2026-03-10T07:59:59-08:00", None, "2026-03-10"),
    ("2026-03-10T08:00:00-08:00", None, "2026-03-11"),
    # the same UTC wall time lands either side of the cut-off depending on DST
    ("2026-03-06T16:30:00Z", None, "2026-03-06"),
    ("2026-03-09T16:30:00Z", None, "2026-03-10"),
    ("2026-10-30T16:30:00Z", None, "2026-11-02"),
    ("2026-11-02T16:30:00Z", None, "2026-11-02"),
    # DST spring-forward day (Sunday 2026-03-08) and fall-back day (Sunday 2026-11-01)
    ("2026-03-08T03:30:00-04:00", None, "2026-03-09"),
    ("2026-03-08T23:30:00-08:00", None, "2026-03-09"),
    ("2026-11-01T01:30:00-04:00", None, "2026-11-02"),
    ("2026-11-01T01:30:00-05:00", None, "2026-11-02"),
    ("2026-11-02T16:59:59Z", None, "2026-11-02"),
    ("2026-11-02T17:00:00Z", None, "2026-11-03"),
    # crossing midnight between UTC and Toronto
    ("2026-03-07T03:00:00Z", None, "2026-03-09"),
    ("2026-03-06T04:59:59Z", None, "2026-03-06"),
    # weekends
    ("2026-03-07T09:00:00-05:00", None, "2026-03-09"),
    ("2026-03-08T11:00:00-04:00", None, "2026-03-09"),
    # long weekends: Family Day, Victoria Day, Labour Day, Thanksgiving
    ("2026-02-13T12:00:00-05:00", None, "2026-02-17"),
    ("2026-05-15T13:00:00-04:00", None, "2026-05-19"),
    ("2026-05-16T10:00:00-04:00", None, "2026-05-19"),
    ("2026-05-18T09:00:00-04:00", None, "2026-05-19"),
    ("2026-09-04T15:00:00-04:00", None, "2026-09-08"),
    ("2026-10-09T12:30:00-04:00", None, "2026-10-13"),
    # Canada Day on a Wednesday
    ("2026-06-30T12:00:00-04:00", None, "2026-07-02"),
    ("2026-07-01T09:00:00-04:00", None, "2026-07-02"),
    # Good Friday is not a business day, Easter Monday is
    ("2026-04-02T14:00:00-04:00", None, "2026-04-06"),
    ("2026-04-03T10:00:00-04:00", None, "2026-04-06"),
    ("2026-04-06T10:00:00-04:00", None, "2026-04-06"),
    # Civic Holiday is a business day
    ("2026-08-03T10:00:00-04:00", None, "2026-08-03"),
    # federal days: Truth and Reconciliation, Remembrance Day
    ("2026-09-29T12:00:00-04:00", None, "2026-10-01"),
    ("2026-09-30T10:00:00-04:00", None, "2026-10-01"),
    ("2026-11-10T13:00:00-05:00", None, "2026-11-12"),
    ("2026-11-11T09:00:00-05:00", None, "2026-11-12"),
    # Christmas, Boxing Day (Saturday, observed Monday 2026-12-28), New Year's Day
    ("2026-12-24T11:59:59-05:00", None, "2026-12-24"),
    ("2026-12-24T12:00:00-05:00", None, "2026-12-29"),
    ("2026-12-25T10:00:00-05:00", None, "2026-12-29"),
    ("2026-12-28T10:00:00-05:00", None, "2026-12-29"),
    ("2026-12-31T13:00:00-05:00", None, "2027-01-04"),
    ("2027-12-24T13:00:00-05:00", None, "2027-12-29"),
    # payment confirmed after placement: T is the confirmation
    ("2026-03-05T10:00:00-05:00", "2026-03-05T13:00:00-05:00", "2026-03-06"),
    ("2026-03-05T10:00:00-05:00", "2026-03-06T09:00:00-05:00", "2026-03-06"),
    ("2026-03-06T09:00:00-05:00", "2026-03-06T12:00:00-05:00", "2026-03-09"),
    ("2026-03-06T11:00:00-05:00", "2026-03-07T10:00:00-05:00", "2026-03-09"),
    ("2026-03-09T11:00:00-04:00", "2026-03-11T12:30:00-04:00", "2026-03-12"),
    ("2026-03-06T11:00:00-05:00", "2026-03-06T16:59:59Z", "2026-03-06"),
    ("2026-03-06T11:00:00-05:00", "2026-03-06T11:00:00-05:00", "2026-03-06"),
    ("2026-12-23T11:00:00-05:00", "2026-12-24T12:00:01-05:00", "2026-12-29"),
]


@pytest.mark.promise("TOS-13", "TOS-18")
@pytest.mark.parametrize(("placed", "confirmed", "expected"), SHIP_DATE_CASES)
def test_ship_date_follows_noon_eastern_cutoff_and_business_days(
    placed: str, confirmed: str | None, expected: str
) -> None:
    result = ship_date(
        placed_at=ts(placed), payment_confirmed_at=ts(confirmed) if confirmed else None
    )
    assert result == d(expected)


def test_there_are_at_least_35_ship_date_cases() -> None:
    assert len(SHIP_DATE_CASES) >= 35


# (ship date, method, earliest, latest)
DELIVERY_WINDOW_CASES = [
    ("2026-03-06", "standard", "2026-03-10", "2026-03-11"),
    ("2026-03-09", "standard", "2026-03-11", "2026-03-12"),
    ("2026-03-12", "standard", "2026-03-16", "2026-03-17"),
    ("2026-05-14", "standard", "2026-05-19", "2026-05-20"),
    ("2026-04-02", "standard", "2026-04-07", "2026-04-08"),
    ("2026-06-30", "standard", "2026-07-03", "2026-07-06"),
    ("2026-09-29", "standard", "2026-10-02", "2026-10-05"),
    ("2026-11-10", "standard", "2026-11-13", "2026-11-16"),
    ("2026-12-23", "standard", "2026-12-29", "2026-12-30"),
    ("2026-12-24", "standard", "2026-12-30", "2026-12-31"),
    ("2026-12-30", "standard", "2027-01-04", "2027-01-05"),
    ("2026-03-06", "express", "2026-03-09", "2026-03-09"),
    ("2026-12-24", "express", "2026-12-29", "2026-12-29"),
]


@pytest.mark.promise("TOS-14", "TOS-18")
@pytest.mark.parametrize(("shipped", "method", "earliest", "latest"), DELIVERY_WINDOW_CASES)
def test_delivery_window_counts_business_days_after_ship_date(
    shipped: str, method: str, earliest: str, latest: str
) -> None:
    assert delivery_window(d(shipped), method) == (d(earliest), d(latest))


@pytest.mark.promise("TOS-14")
def test_standard_delivery_is_two_to_three_business_days_and_free() -> None:
    standard = shipping_method("standard")
    assert (standard.min_business_days, standard.max_business_days) == (2, 3)
    assert standard.fee == Decimal("0.00")
    assert [m.code for m in shipping_methods()] == ["standard", "express"]


def test_express_has_a_fee_as_a_decimal() -> None:
    express = shipping_method("express")
    assert (express.min_business_days, express.max_business_days) == (1, 1)
    assert express.fee == Decimal("24.95")


@pytest.mark.promise("TOS-13", "TOS-14")
def test_estimate_combines_ship_date_window_fee_and_cutoff() -> None:
    result = estimate(
        placed_at=ts("2026-03-06T11:59:59-05:00"),
        payment_confirmed_at=ts("2026-03-06T11:59:59-05:00"),
        method="standard",
    )
    assert result == Estimate(
        ship_date=d("2026-03-06"),
        delivery_earliest=d("2026-03-10"),
        delivery_latest=d("2026-03-11"),
        method="standard",
        shipping_fee=Decimal("0.00"),
        cutoff=dt.datetime(2026, 3, 6, 12, tzinfo=TORONTO),
        confirmation_assumed=False,
    )


def test_estimate_without_payment_confirmation_assumes_confirmation_at_placement() -> None:
    result = estimate(placed_at=ts("2026-03-09T15:00:00Z"), payment_confirmed_at=None)
    assert (result.ship_date, result.confirmation_assumed) == (d("2026-03-09"), True)
    assert result.cutoff.isoformat() == "2026-03-09T12:00:00-04:00"


def test_estimate_cutoff_is_on_the_day_payment_was_confirmed() -> None:
    result = estimate(
        placed_at=ts("2026-03-06T11:00:00-05:00"),
        payment_confirmed_at=ts("2026-03-10T09:00:00-04:00"),
        method="express",
    )
    assert result.cutoff.isoformat() == "2026-03-10T12:00:00-04:00"
    assert (result.ship_date, result.delivery_earliest, result.delivery_latest) == (
        d("2026-03-10"),
        d("2026-03-11"),
        d("2026-03-11"),
    )
    assert result.shipping_fee == Decimal("24.95")


# (placed_at, payment_confirmed_at, method, expected code, expected field)
REFUSED = [
    ("2026-03-06T11:59:59", None, "standard", "naive_timestamp", "placed_at"),
    ("2026-03-06T11:59:59-05:00", "2026-03-06T12:30:00", "standard", "naive_timestamp",
     "payment_confirmed_at"),
    ("2026-03-06T11:59:59-05:00", "2026-03-06T11:59:58-05:00", "standard",
     "payment_before_placement", "payment_confirmed_at"),
    ("2026-03-06T12:00:00-05:00", "2026-03-06T16:59:59Z", "standard",
     "payment_before_placement", "payment_confirmed_at"),
    ("1999-12-31T12:00:00-05:00", None, "standard", "timestamp_out_of_range", "placed_at"),
    ("2100-01-01T12:00:00-05:00", None, "standard", "timestamp_out_of_range", "placed_at"),
    ("9999-12-31T23:59:59-05:00", None, "standard", "timestamp_out_of_range", "placed_at"),
    ("2026-03-06T11:59:59-05:00", "9999-12-31T23:59:59+14:00", "standard",
     "timestamp_out_of_range", "payment_confirmed_at"),
    ("2026-03-06T11:59:59-05:00", None, "pigeon", "unknown_method", "method"),
    ("2026-03-06T11:59:59-05:00", None, "Standard", "unknown_method", "method"),
]  # fmt: skip


@pytest.mark.parametrize(("placed", "confirmed", "method", "code", "field"), REFUSED)
def test_estimate_refuses_bad_input_naming_the_field(
    placed: str, confirmed: str | None, method: str, code: str, field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        estimate(
            placed_at=ts(placed),
            payment_confirmed_at=ts(confirmed) if confirmed else None,
            method=method,
        )
    assert caught.value.code == code
    assert list(caught.value.fields) == [field]


def test_delivery_window_refuses_unknown_method() -> None:
    with pytest.raises(DomainError) as caught:
        delivery_window(d("2026-03-06"), "teleport")
    assert (caught.value.code, list(caught.value.fields)) == ("unknown_method", ["method"])


# --- properties ---------------------------------------------------------------------------

OFFSETS = st.sampled_from(
    [
        dt.UTC,
        TORONTO,
        ZoneInfo("America/Vancouver"),
        dt.timezone(dt.timedelta(hours=-8)),
        dt.timezone(dt.timedelta(hours=5, minutes=30)),
        dt.timezone(dt.timedelta(hours=14)),
        dt.timezone(dt.timedelta(hours=-12)),
    ]
)
AWARE = st.datetimes(
    min_value=dt.datetime(2000, 1, 5), max_value=dt.datetime(2099, 12, 1), timezones=OFFSETS
)


@pytest.mark.promise("TOS-18")
@given(placed=AWARE, delay=st.none() | st.timedeltas(dt.timedelta(0), dt.timedelta(days=20)))
def test_ship_date_is_a_business_day_on_or_after_the_ready_date(
    placed: dt.datetime, delay: dt.timedelta | None
) -> None:
    confirmed = None if delay is None else placed + delay
    shipped = ship_date(placed_at=placed, payment_confirmed_at=confirmed)
    ready = (confirmed or placed).astimezone(TORONTO)
    assert is_business_day(shipped)
    assert shipped >= placed.astimezone(TORONTO).date()
    assert shipped >= ready.date()
    if is_business_day(ready.date()) and ready.hour < 12:
        assert shipped == ready.date()
    else:
        assert business_days_between(ready.date(), shipped) == 1


@pytest.mark.promise("TOS-14", "TOS-18")
@given(placed=AWARE, method=st.sampled_from(["standard", "express"]))
def test_earliest_delivery_is_never_after_latest(placed: dt.datetime, method: str) -> None:
    result = estimate(placed_at=placed, payment_confirmed_at=None, method=method)
    chosen = shipping_method(method)
    assert result.ship_date < result.delivery_earliest <= result.delivery_latest
    assert is_business_day(result.delivery_earliest)
    assert is_business_day(result.delivery_latest)
    assert business_days_between(result.ship_date, result.delivery_earliest) == (
        chosen.min_business_days
    )
    assert business_days_between(result.ship_date, result.delivery_latest) == (
        chosen.max_business_days
    )


@given(placed=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 1, 1)))
def test_naive_timestamps_are_always_refused(placed: dt.datetime) -> None:
    with pytest.raises(DomainError) as caught:
        ship_date(placed_at=placed, payment_confirmed_at=None)
    assert caught.value.code == "naive_timestamp"


@given(placed=AWARE, early=st.timedeltas(dt.timedelta(microseconds=1), dt.timedelta(days=3)))
def test_confirmation_before_placement_is_always_refused(
    placed: dt.datetime, early: dt.timedelta
) -> None:
    with pytest.raises(DomainError) as caught:
        ship_date(placed_at=placed, payment_confirmed_at=placed - early)
    assert caught.value.code == "payment_before_placement"


# --- table validation ---------------------------------------------------------------------

GOOD_METHOD = {
    "code": "standard",
    "name": "Standard",
    "min_business_days": 2,
    "max_business_days": 3,
    "fee": "0.00",
    "source": "s",
}


@pytest.mark.parametrize(
    "methods",
    [
        [],
        [{**GOOD_METHOD, "fee": 0.0}],
        [{**GOOD_METHOD, "fee": "1.999"}],
        [{**GOOD_METHOD, "min_business_days": 4}],
        [{**GOOD_METHOD, "min_business_days": 0}],
        [{**GOOD_METHOD, "code": "Standard"}],
        [GOOD_METHOD, GOOD_METHOD],
        [{**GOOD_METHOD, "source": ""}],
    ],
)
def test_bad_shipping_method_table_is_refused_when_loaded(
    tmp_path: Path, methods: list[object]
) -> None:
    path = tmp_path / "methods.json"
    path.write_text(json.dumps({"methods": methods}), encoding="utf-8")
    with pytest.raises(ValueError):
        load_shipping_methods(path)
