from decimal import Decimal

import pytest

from hearth.core.money import Money, parse_amount, round_cents


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("2.675", "2.68"),
        ("51.735", "51.74"),
        ("-0.005", "-0.01"),
    ],
)
def test_rounding_is_half_up_to_the_cent(raw, expected):
    assert round_cents(Decimal(raw)) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "expected"), [("199", "199.00"), ("199.5", "199.50"), ("0.00", "0.00")]
)
def test_amounts_parse_from_decimal_strings(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("abc", "decimal string"),
        ("-1.00", "negative"),
        ("1.005", "two decimal places"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        (1.5, "decimal string"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(raw, reason):
    with pytest.raises(ValueError, match=reason):
        parse_amount(raw)


def test_money_never_takes_a_float_and_keeps_currency():
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]
    assert Money(Decimal("1.005")) + Money(Decimal("2")) == Money(Decimal("3.01"))
    assert str(Money(Decimal("199")) * 2) == "398.00"
    with pytest.raises(ValueError):
        Money(Decimal("1"), "CAD") + Money(Decimal("1"), "USD")
