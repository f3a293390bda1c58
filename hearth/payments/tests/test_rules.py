"""Card checks (Luhn, brand, length, expiry, CVC), sandbox outcomes and refund limits: tables of
cases over the pure rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.payments import cardtables
from hearth.payments.errors import CardProblemCode, DeclineCode
from hearth.payments.rules import (
    BEHAVIOURS,
    AuthorisationStatus,
    Behaviour,
    PaymentState,
    brand_of,
    check_card,
    full_year,
    luhn_valid,
    normalise_number,
    outcome_message,
    refundable_balance,
    status_after_refund,
)

TODAY = dt.date(2026, 3, 2)
OK = None

# (typed number, cvc, expected brand key or None, expected problem code or OK)
CARD_CASES = [
    # Accepted brands (TOS-10)
    ("4242424242424242", "123", "visa", OK),
    ("4242 4242 4242 4242", "123", "visa", OK),
    ("4242-4242-4242-4242", "123", "visa", OK),
    (" 4242 4242-4242 4242 ", "123", "visa", OK),
    ("4222222222222", "123", "visa", OK),  # 13-digit Visa
    ("4000000000000000006", "123", "visa", OK),  # 19-digit Visa
    ("4000 0000 0000 0000 006", "123", "visa", OK),
    ("5555555555554444", "123", "mastercard", OK),
    ("5105105105105100", "123", "mastercard", OK),
    ("2221000000000009", "123", "mastercard", OK),  # 2-series
    ("2720990000000007", "123", "mastercard", OK),
    ("378282246310005", "1234", "amex", OK),
    ("3782 822463 10005", "1234", "amex", OK),
    ("371449635398431", "1234", "amex", OK),
    ("4000000000009995", "123", "visa", OK),
    ("4000000000009979", "123", "visa", OK),
    ("4000000000000259", "123", "visa", OK),
    # Luhn failures
    ("4242424242424241", "123", "visa", CardProblemCode.LUHN),
    ("5555555555554445", "123", "mastercard", CardProblemCode.LUHN),
    ("378282246310006", "1234", "amex", CardProblemCode.LUHN),
    # Wrong lengths
    ("424242424242424", "123", "visa", CardProblemCode.WRONG_LENGTH),  # 15-digit Visa
    ("42424242424242424", "123", "visa", CardProblemCode.WRONG_LENGTH),  # 17-digit Visa
    ("55555555555544", "123", "mastercard", CardProblemCode.WRONG_LENGTH),
    ("3782822463100", "1234", "amex", CardProblemCode.WRONG_LENGTH),
    ("42424242424", "123", None, CardProblemCode.WRONG_LENGTH),  # 11 digits
    ("42424242424242424242", "123", None, CardProblemCode.WRONG_LENGTH),  # 20 digits
    # Brands we do not take: refused by name
    ("6011111111111117", "123", "discover", CardProblemCode.BRAND_NOT_ACCEPTED),
    ("6011 0009 9013 9424", "123", "discover", CardProblemCode.BRAND_NOT_ACCEPTED),
    ("6445644564456445", "123", "discover", CardProblemCode.BRAND_NOT_ACCEPTED),
    ("3530111333300000", "123", "jcb", CardProblemCode.BRAND_NOT_ACCEPTED),
    ("30569309025904", "123", "diners", CardProblemCode.BRAND_NOT_ACCEPTED),
    ("6200000000000005", "123", "unionpay", CardProblemCode.BRAND_NOT_ACCEPTED),
    ("9999999999999995", "123", None, CardProblemCode.UNKNOWN_BRAND),
    # Not a number at all
    ("4242 4242 4242 424x", "123", None, CardProblemCode.MALFORMED_NUMBER),
    ("4242.4242.4242.4242", "123", None, CardProblemCode.MALFORMED_NUMBER),
    ("", "123", None, CardProblemCode.MALFORMED_NUMBER),
    ("４２４２４２４２４２４２４２４２", "123", None, CardProblemCode.MALFORMED_NUMBER),
    # CVC length by brand
    ("378282246310005", "123", "amex", CardProblemCode.INVALID_CVC),
    ("4242424242424242", "1234", "visa", CardProblemCode.INVALID_CVC),
    ("5555555555554444", "12", "mastercard", CardProblemCode.INVALID_CVC),
    ("4242424242424242", "12a", "visa", CardProblemCode.INVALID_CVC),
]


@pytest.mark.promise("TOS-10")
@pytest.mark.parametrize(("number", "cvc", "brand", "problem"), CARD_CASES)
def test_card_checks_accept_visa_mastercard_amex_and_refuse_others(number, cvc, brand, problem):
    check = check_card(
        number=number,
        exp_month=12,
        exp_year=2030,
        cvc=cvc,
        today=TODAY,
        brands=cardtables.brands(),
    )
    assert (check.brand.key if check.brand else None) == brand
    assert [p.code for p in check.problems] == ([] if problem is OK else [problem])
    if problem is OK:
        assert check.last4 == number.replace(" ", "").replace("-", "").strip()[-4:]


@pytest.mark.promise("TOS-10")
def test_discover_is_refused_with_a_message_naming_the_brand_and_what_we_take():
    check = check_card(
        number="6011111111111117",
        exp_month=12,
        exp_year=2030,
        cvc="123",
        today=TODAY,
        brands=cardtables.brands(),
    )
    (problem,) = check.problems
    assert problem.field == "card_number"
    assert problem.message % dict(problem.params) == (
        "We do not accept Discover cards. Please pay with Visa, MasterCard, American Express "
        "or PayPal."
    )


def test_only_visa_mastercard_and_amex_are_accepted_brands():
    assert [b.name for b in cardtables.accepted_brands()] == [
        "Visa",
        "MasterCard",
        "American Express",
    ]


@pytest.mark.parametrize(
    ("month", "year", "problem"),
    [
        (3, 2026, OK),  # valid through the end of its month
        (12, 2026, OK),
        (1, 2027, OK),
        (2, 2026, CardProblemCode.EXPIRED),
        (12, 2025, CardProblemCode.EXPIRED),
        (0, 2027, CardProblemCode.INVALID_EXPIRY),
        (13, 2027, CardProblemCode.INVALID_EXPIRY),
    ],
)
def test_a_card_is_good_through_its_expiry_month(month, year, problem):
    check = check_card(
        number="4242424242424242",
        exp_month=month,
        exp_year=year,
        cvc="123",
        today=TODAY,
        brands=cardtables.brands(),
    )
    assert [p.code for p in check.problems] == ([] if problem is OK else [problem])


@pytest.mark.parametrize(("typed", "year"), [(26, 2026), (0, 2000), (99, 2099), (2031, 2031)])
def test_two_digit_expiry_years_mean_this_century(typed, year):
    assert full_year(typed) == year


def test_normalise_number_keeps_digits_and_refuses_anything_else():
    assert normalise_number("4242 4242-4242 4242") == "4242424242424242"
    assert normalise_number("4242/4242") is None


@given(st.lists(st.integers(min_value=0, max_value=9), min_size=11, max_size=18))
def test_exactly_one_check_digit_makes_a_number_luhn_valid(body):
    digits = "".join(map(str, body))
    valid = [d for d in "0123456789" if luhn_valid(digits + d)]
    assert len(valid) == 1


@given(st.sampled_from(["4242424242424242", "5555555555554444", "378282246310005"]))
def test_separators_never_change_the_brand(number):
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    assert normalise_number(spaced) == number
    assert brand_of(number, cardtables.brands()) == brand_of(
        normalise_number(spaced.replace(" ", "-")) or "", cardtables.brands()
    )


def test_the_sandbox_test_cards():
    assert cardtables.sandbox_cards() == {
        "4242424242424242": Behaviour.APPROVE,
        "5555555555554444": Behaviour.APPROVE,
        "378282246310005": Behaviour.APPROVE,
        "4000000000009995": Behaviour.DECLINE_INSUFFICIENT_FUNDS,
        "4000000000009979": Behaviour.DECLINE_STOLEN,
        "4000000000000259": Behaviour.REVIEW,
        "4000000000000002": Behaviour.DECLINE_GENERIC,
    }
    assert cardtables.behaviour_of("4111111111111111") == Behaviour.APPROVE


@pytest.mark.promise("TOS-9")
@pytest.mark.parametrize(
    ("behaviour", "status", "code", "fraud", "message"),
    [
        (Behaviour.APPROVE, AuthorisationStatus.APPROVED, None, False, "Payment authorised."),
        (
            Behaviour.DECLINE_INSUFFICIENT_FUNDS,
            AuthorisationStatus.DECLINED,
            DeclineCode.INSUFFICIENT_FUNDS,
            False,
            "Your card was declined for insufficient funds. Please use another card or PayPal.",
        ),
        (
            Behaviour.DECLINE_STOLEN,
            AuthorisationStatus.DECLINED,
            DeclineCode.STOLEN_CARD,
            True,
            "Your card was declined by its issuer. Please contact your bank or use another "
            "payment method.",
        ),
        (
            Behaviour.DECLINE_GENERIC,
            AuthorisationStatus.DECLINED,
            DeclineCode.CARD_DECLINED,
            False,
            "Your card was declined by its issuer. Please use another card or PayPal.",
        ),
        (
            Behaviour.REVIEW,
            AuthorisationStatus.REVIEW,
            None,
            True,
            "Payment authorised. Your order will be checked by our team before it ships.",
        ),
    ],
)
def test_each_behaviour_has_an_outcome_and_a_reason(behaviour, status, code, fraud, message):
    outcome = BEHAVIOURS[behaviour]
    assert (outcome.status, outcome.decline_code, outcome.fraud_suspected) == (status, code, fraud)
    assert outcome_message(outcome.status, outcome.decline_code) == message


@pytest.mark.parametrize(
    ("authorised", "captured", "refunded", "balance"),
    [
        ("100.00", None, "0", "100.00"),
        ("100.00", "100.00", "0", "100.00"),
        ("100.00", "100.00", "30.00", "70.00"),
        ("100.00", "100.00", "100.00", "0.00"),
        ("100.00", "80.00", "0", "80.00"),  # a smaller capture limits refunds
        ("100.00", "100.00", "120.00", "0.00"),  # never negative
    ],
)
def test_refundable_balance(authorised, captured, refunded, balance):
    assert refundable_balance(
        authorised=Decimal(authorised),
        captured=None if captured is None else Decimal(captured),
        refunded=Decimal(refunded),
    ) == Decimal(balance)


def test_a_refund_of_the_whole_balance_is_a_full_refund():
    assert (
        status_after_refund(balance_before=Decimal("70.00"), amount=Decimal("70.00"))
        == PaymentState.REFUNDED
    )
    assert (
        status_after_refund(balance_before=Decimal("70.00"), amount=Decimal("0.01"))
        == PaymentState.PARTIALLY_REFUNDED
    )
