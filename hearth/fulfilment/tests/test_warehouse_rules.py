"""Pure warehouse rules: where a scanned serial goes, a shipment's progress, webhook signatures,
pick urgency, promises kept per week, and the serial formats table."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.catalog.rules import parse_serial_formats, skus_of_serial
from hearth.catalog.selectors import serial_formats
from hearth.fulfilment import rules
from hearth.fulfilment.rules import PickUrgency, SerialVerdict, ShipmentStatus

FORMATS = parse_serial_formats(
    {
        "format": [
            {"sku": "A-1", "pattern": "AAA[0-9]{4}", "example": "AAA0001", "source": "t"},
            {"sku": "B-1", "pattern": "BBB[0-9]{4}", "example": "BBB0001", "source": "t"},
            {"sku": "C-1", "serialised": False, "source": "t"},
        ]
    }
)


@pytest.mark.parametrize(
    ("serial", "wanted", "verdict", "sku"),
    [
        ("AAA1234", {"A-1": 1}, SerialVerdict.OK, "A-1"),
        ("AAA1234", {"A-1": 1, "B-1": 2}, SerialVerdict.OK, "A-1"),
        ("BBB1234", {"A-1": 1}, SerialVerdict.OTHER_SKU, "B-1"),
        ("AAA1234", {"A-1": 0}, SerialVerdict.NOT_NEEDED, "A-1"),
        ("AAA123", {"A-1": 1}, SerialVerdict.FORMAT, None),
        ("XAAA1234", {"A-1": 1}, SerialVerdict.FORMAT, None),
        ("", {"A-1": 1}, SerialVerdict.FORMAT, None),
    ],
)
def test_a_scanned_serial_goes_to_the_order_sku_whose_format_it_matches(
    serial: str, wanted: dict[str, int], verdict: SerialVerdict, sku: str | None
) -> None:
    assert rules.check_serial(serial, wanted=wanted, formats_by_sku=FORMATS) == rules.SerialCheck(
        verdict, sku
    )


def test_the_shipped_serial_formats_table_is_valid_and_each_example_names_one_sku() -> None:
    formats = serial_formats()
    assert formats["EO-ONE-CHR"].example == "EO1C26000123"
    assert not formats["ACC-CABLE-3M"].serialised
    for fmt in formats.values():
        if fmt.serialised:
            assert skus_of_serial(fmt.example, formats.values()) == [fmt.sku]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"sku": "A", "pattern": "A[0-9]", "example": "B1", "source": "t"}, "does not match"),
        ({"sku": "A", "pattern": "A[", "example": "A1", "source": "t"}, "invalid"),
        ({"sku": "A", "pattern": "A[0-9]", "example": "A1"}, "source is required"),
        ({"pattern": "A[0-9]", "example": "A1", "source": "t"}, "sku is required"),
    ],
)
def test_a_bad_serial_format_entry_is_refused_when_loaded(entry: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_serial_formats({"format": [entry]})


def test_two_formats_that_match_the_same_serial_are_refused() -> None:
    with pytest.raises(ValueError, match="also matches"):
        parse_serial_formats(
            {
                "format": [
                    {"sku": "A", "pattern": "A[0-9]+", "example": "A12", "source": "t"},
                    {"sku": "B", "pattern": "A1[0-9]", "example": "A13", "source": "t"},
                ]
            }
        )


@pytest.mark.parametrize(
    ("current", "event", "after"),
    [
        (ShipmentStatus.LABEL_CREATED, ShipmentStatus.SHIPPED, ShipmentStatus.SHIPPED),
        (ShipmentStatus.LABEL_CREATED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.IN_TRANSIT),
        (
            ShipmentStatus.OUT_FOR_DELIVERY,
            ShipmentStatus.IN_TRANSIT,
            ShipmentStatus.OUT_FOR_DELIVERY,
        ),
        (ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.DELIVERED),
        (ShipmentStatus.DELIVERED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED),
        (ShipmentStatus.DELIVERED, ShipmentStatus.LOST, ShipmentStatus.DELIVERED),
        (
            ShipmentStatus.IN_TRANSIT,
            ShipmentStatus.RETURNED_TO_SENDER,
            ShipmentStatus.RETURNED_TO_SENDER,
        ),
        (ShipmentStatus.LOST, ShipmentStatus.DELIVERED, ShipmentStatus.LOST),
    ],
)
def test_a_shipment_never_moves_back_and_an_ended_journey_stays_ended(
    current: ShipmentStatus, event: ShipmentStatus, after: ShipmentStatus
) -> None:
    assert rules.next_shipment_status(current, event) is after


BODY = b'{"events":[]}'
NOW = 1_790_000_000


@pytest.mark.parametrize(
    ("header", "secret", "now", "valid"),
    [
        (rules.signature_header("s3cret", NOW, BODY), "s3cret", NOW, True),
        (rules.signature_header("s3cret", NOW - 300, BODY), "s3cret", NOW, True),
        (rules.signature_header("s3cret", NOW - 301, BODY), "s3cret", NOW, False),
        (rules.signature_header("s3cret", NOW + 301, BODY), "s3cret", NOW, False),
        (rules.signature_header("other", NOW, BODY), "s3cret", NOW, False),
        (rules.signature_header("s3cret", NOW, BODY + b" "), "s3cret", NOW, False),
        (f"t={NOW}", "s3cret", NOW, False),
        ("v1=abc", "s3cret", NOW, False),
        ("", "s3cret", NOW, False),
        (rules.signature_header("", NOW, BODY), "", NOW, False),
    ],
)
def test_a_webhook_signature_is_valid_only_for_this_body_secret_and_a_recent_time(
    header: str, secret: str, now: int, valid: bool
) -> None:
    assert rules.signature_valid(secret=secret, header=header, body=BODY, now_unix=now) is valid


TODAY = dt.date(2026, 11, 4)


@pytest.mark.parametrize(
    ("ship_date", "urgency"),
    [
        (dt.date(2026, 11, 3), PickUrgency.LATE),
        (TODAY, PickUrgency.TODAY),
        (dt.date(2026, 11, 5), PickUrgency.UPCOMING),
        (None, PickUrgency.UNDATED),
    ],
)
def test_pick_urgency_puts_late_before_today(
    ship_date: dt.date | None, urgency: PickUrgency
) -> None:
    assert rules.pick_urgency(ship_date, TODAY) is urgency


def test_todays_cutoff_is_noon_in_toronto() -> None:
    assert rules.todays_cutoff(TODAY).astimezone(dt.UTC) == dt.datetime(
        2026, 11, 4, 17, 0, tzinfo=dt.UTC
    )


def test_promises_kept_counts_shipped_on_or_before_the_promised_day_per_week() -> None:
    mon1, mon2 = dt.date(2026, 10, 26), dt.date(2026, 11, 2)
    rows = [
        (dt.date(2026, 10, 27), dt.date(2026, 10, 27)),  # kept
        (dt.date(2026, 10, 28), dt.date(2026, 10, 26)),  # early: kept
        (dt.date(2026, 10, 29), dt.date(2026, 10, 30)),  # late
        (dt.date(2026, 10, 30), None),  # day passed, not shipped: not kept
        (dt.date(2026, 11, 3), dt.date(2026, 11, 3)),  # kept
        (dt.date(2026, 11, 6), None),  # not due yet: not counted
        (dt.date(2026, 9, 1), dt.date(2026, 9, 1)),  # outside the weeks
    ]
    weeks = rules.promises_kept_by_week(rows, weeks=[mon1, mon2], today=TODAY)
    assert [(w.week_start, w.promised, w.kept) for w in weeks] == [(mon1, 4, 2), (mon2, 1, 1)]
    assert [w.share for w in weeks] == [0.5, 1.0]
    assert rules.promises_kept_by_week([], weeks=[mon1], today=TODAY)[0].share is None
