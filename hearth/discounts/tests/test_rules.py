"""Discount code rules, as tables of cases (TOS-9: misuse of a code)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hearth.discounts import rules
from hearth.discounts.rules import DiscountKind, DiscountTerms, Refusal

UTC = dt.UTC
AT = dt.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
D = Decimal


def terms(**overrides: object) -> DiscountTerms:
    base: dict[str, object] = {
        "code": "SPRING10",
        "kind": DiscountKind.PERCENT,
        "value": D("10"),
        "min_spend": D("0.00"),
        "valid_from": dt.datetime(2026, 6, 1, tzinfo=UTC),
        "valid_until": dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC),
        "max_uses": None,
        "max_uses_per_customer": None,
        "is_active": True,
    }
    base.update(overrides)
    return DiscountTerms(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "value", "subtotal", "expected"),
    [
        (DiscountKind.PERCENT, D("10"), D("199.00"), D("19.90")),
        (DiscountKind.PERCENT, D("15"), D("33.33"), D("5.00")),  # 4.9995 rounds half-up
        (DiscountKind.PERCENT, D("12.5"), D("0.04"), D("0.01")),  # 0.005 rounds half-up
        (DiscountKind.PERCENT, D("100"), D("349.99"), D("349.99")),
        (DiscountKind.PERCENT, D("10"), D("0.00"), D("0.00")),
        (DiscountKind.FIXED, D("25.00"), D("199.00"), D("25.00")),
        (DiscountKind.FIXED, D("25.00"), D("19.99"), D("19.99")),  # never more than the lines
        (DiscountKind.FIXED, D("25.00"), D("0.00"), D("0.00")),
        ("percent", D("20"), D("1000.00"), D("200.00")),  # the stored string kind works too
    ],
)
def test_discount_amount_is_rounded_half_up_and_never_exceeds_the_lines(
    kind: DiscountKind, value: Decimal, subtotal: Decimal, expected: Decimal
) -> None:
    assert rules.discount_amount(kind=kind, value=value, subtotal=subtotal) == expected


CASES = [
    # (id, terms or None, subtotal, at, uses, uses_by_customer, expected refusal or None)
    ("unknown code", None, D("100"), AT, 0, 0, Refusal("discount_unknown")),
    ("valid percent code", terms(), D("100"), AT, 0, 0, None),
    ("inactive code", terms(is_active=False), D("100"), AT, 0, 0, Refusal("discount_inactive")),
    (
        "before the window",
        terms(),
        D("100"),
        dt.datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC),
        0,
        0,
        Refusal("discount_not_started", {"valid_from": "2026-06-01"}),
    ),
    (
        "first instant of the window",
        terms(),
        D("100"),
        dt.datetime(2026, 6, 1, tzinfo=UTC),
        0,
        0,
        None,
    ),
    (
        "last instant of the window (inclusive)",
        terms(),
        D("100"),
        dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC),
        0,
        0,
        None,
    ),
    (
        "one second after the window",
        terms(),
        D("100"),
        dt.datetime(2026, 7, 1, tzinfo=UTC),
        0,
        0,
        Refusal("discount_expired", {"valid_until": "2026-06-30"}),
    ),
    (
        "open-ended window",
        terms(valid_until=None),
        D("100"),
        dt.datetime(2030, 1, 1, tzinfo=UTC),
        0,
        0,
        None,
    ),
    (
        "below the minimum spend",
        terms(min_spend=D("200.00")),
        D("199.99"),
        AT,
        0,
        0,
        Refusal("discount_below_minimum", {"min_spend": "200.00", "subtotal": "199.99"}),
    ),
    ("exactly the minimum spend", terms(min_spend=D("200.00")), D("200.00"), AT, 0, 0, None),
    ("uses left", terms(max_uses=100), D("100"), AT, 99, 0, None),
    ("used up", terms(max_uses=100), D("100"), AT, 100, 0, Refusal("discount_used_up")),
    ("single-use code used", terms(max_uses=1), D("100"), AT, 1, 1, Refusal("discount_used_up")),
    (
        "customer at the limit",
        terms(max_uses_per_customer=1),
        D("100"),
        AT,
        5,
        1,
        Refusal("discount_over_limit", {"max_uses_per_customer": "1"}),
    ),
    ("customer under the limit", terms(max_uses_per_customer=2), D("100"), AT, 5, 1, None),
    (
        "expired wins over used up",
        terms(max_uses=1),
        D("100"),
        dt.datetime(2026, 8, 1, tzinfo=UTC),
        1,
        1,
        Refusal("discount_expired", {"valid_until": "2026-06-30"}),
    ),
    (
        "inactive wins over expired",
        terms(is_active=False),
        D("100"),
        dt.datetime(2026, 8, 1, tzinfo=UTC),
        0,
        0,
        Refusal("discount_inactive"),
    ),
    (
        "below minimum wins over used up",
        terms(min_spend=D("50"), max_uses=1),
        D("10"),
        AT,
        1,
        0,
        Refusal("discount_below_minimum", {"min_spend": "50.00", "subtotal": "10.00"}),
    ),
    ("fixed code valid", terms(kind=DiscountKind.FIXED, value=D("25")), D("30"), AT, 0, 0, None),
    (
        "window compared as instants, not wall-clock dates",
        terms(
            valid_until=dt.datetime(
                2026, 6, 30, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-4))
            )
        ),
        D("100"),
        dt.datetime(2026, 7, 1, 3, 0, tzinfo=UTC),  # 23:00 in Toronto on 30 June
        0,
        0,
        None,
    ),
]


@pytest.mark.promise("TOS-9")
@pytest.mark.parametrize(
    ("terms_", "subtotal", "at", "uses", "by_customer", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_discount_refusal_names_each_misuse(
    terms_: DiscountTerms | None,
    subtotal: Decimal,
    at: dt.datetime,
    uses: int,
    by_customer: int,
    expected: Refusal | None,
) -> None:
    assert (
        rules.discount_refusal(
            terms_, subtotal=subtotal, at=at, uses=uses, uses_by_customer=by_customer
        )
        == expected
    )


def test_discount_refusal_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.discount_refusal(
            terms(), subtotal=D("1"), at=dt.datetime(2026, 6, 15), uses=0, uses_by_customer=0
        )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" spring10 ", "SPRING10"), ("Spring 10", "SPRING10"), ("", ""), (None, ""), ("a\tb", "AB")],
)
def test_codes_compare_without_case_or_spaces(raw: str | None, expected: str) -> None:
    assert rules.normalise_code(raw) == expected


MINUTE = dt.timedelta(minutes=1)


@pytest.mark.promise("TOS-9")
@pytest.mark.parametrize(
    ("minutes_ago", "throttled"),
    [
        ([], False),
        ([1, 2, 3, 4], False),
        ([0, 1, 2, 3, 4], True),
        ([1, 2, 3, 4, 15], False),  # the fifth is exactly 15 minutes old: outside the window
        ([1, 2, 3, 4, 14], True),
        ([20, 30, 40, 50, 60, 70], False),
    ],
)
def test_repeated_invalid_codes_are_throttled_inside_the_window(
    minutes_ago: list[int], throttled: bool
) -> None:
    failures = [AT - m * MINUTE for m in minutes_ago]
    assert rules.attempts_throttled(failures, at=AT) is throttled
