"""Discount codes through the database: redeem's limits, preview, throttling and flags (TOS-9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation

from hearth.core.errors import DomainError
from hearth.discounts import services as discounts
from hearth.discounts.models import DiscountAttempt, DiscountMisuseFlag, DiscountRedemption
from hearth.discounts.tests.factories import make_code
from hearth.privacy.crypto import keyed_hash

D = Decimal
AT = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
SHOPPER = discounts.shopper_key("session:abc")
pytestmark = pytest.mark.django_db


def redeem(code: str = "SPRING10", *, email: str = "ada@example.com", **kw: Any) -> Decimal:
    return discounts.redeem(
        code=code, subtotal=kw.pop("subtotal", D("200.00")), email=email, at=AT, **kw
    )


def refusal(fn: Any) -> tuple[str, str, dict[str, str], int]:
    with pytest.raises(DomainError) as caught:
        fn()
    e = caught.value
    return e.code, str(e.message), e.fields, e.status


def test_redeem_returns_the_amount_and_records_the_use_by_email_hash() -> None:
    make_code()
    assert redeem(" spring10 ", order_number="EO-12345678") == D("20.00")
    row = DiscountRedemption.objects.get()
    assert (row.code.code, row.order_number, row.amount, row.at) == (
        "SPRING10",
        "EO-12345678",
        D("20.00"),
        AT,
    )
    assert row.email_hash == keyed_hash("ada@example.com")
    assert "ada" not in row.email_hash


def test_the_amount_off_is_what_redeem_takes_and_redeems_nothing() -> None:
    make_code()
    amount = discounts.amount_off(
        code="spring10", subtotal=D("200.00"), email="a@example.com", at=AT
    )
    assert amount == D("20.00")
    assert DiscountRedemption.objects.count() == 0
    assert redeem(expected=amount) == D("20.00")


def test_a_code_changed_since_the_order_was_priced_is_refused_and_not_redeemed() -> None:
    make_code()
    assert refusal(lambda: redeem(expected=D("10.00")))[:2] == (
        "discount_changed",
        "This discount code changed while you were paying: check your order again.",
    )
    assert DiscountRedemption.objects.count() == 0


def test_redeem_without_a_code_takes_nothing_off() -> None:
    assert redeem("") == D("0.00")
    assert redeem(None) == D("0.00")  # type: ignore[arg-type]
    assert DiscountRedemption.objects.count() == 0


@pytest.mark.promise("TOS-9")
def test_a_used_up_code_is_refused_with_a_clear_message() -> None:
    make_code(max_uses=1)
    redeem(email="ada@example.com")
    assert refusal(lambda: redeem(email="grace@example.com")) == (
        "discount_used_up",
        "This discount code has been used the most times it may be used.",
        {"discount_code": "This discount code has been used the most times it may be used."},
        400,
    )


@pytest.mark.promise("TOS-9")
def test_a_customer_over_the_per_customer_limit_is_refused_whatever_the_email_case() -> None:
    make_code(max_uses_per_customer=1)
    redeem(email="ada@example.com")
    code, message, _fields, _status = refusal(lambda: redeem(email="ADA@Example.com"))
    assert (code, message) == (
        "discount_over_limit",
        "You have already used this discount code the most times one customer may (1).",
    )
    assert redeem(email="grace@example.com") == D("20.00")


@pytest.mark.promise("TOS-9")
def test_expired_and_below_minimum_codes_are_refused_with_the_dates_and_amounts() -> None:
    make_code("OLD", valid_until=dt.datetime(2026, 10, 31, tzinfo=dt.UTC))
    make_code("BIG", kind="fixed", value=D("50.00"), min_spend=D("500.00"))
    assert refusal(lambda: redeem("OLD"))[:2] == (
        "discount_expired",
        "This discount code expired on 2026-10-31.",
    )
    assert refusal(lambda: redeem("BIG", subtotal=D("499.99")))[:2] == (
        "discount_below_minimum",
        "This discount code needs a subtotal of at least $500.00 before tax; your basket comes "
        "to $499.99.",
    )
    assert refusal(lambda: redeem("NOPE"))[:2] == (
        "discount_unknown",
        "We do not know this discount code. Check its spelling.",
    )


def test_a_redemption_rolls_back_with_the_order_that_failed() -> None:
    make_code(max_uses=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        redeem()
        raise RuntimeError("payment declined")
    assert DiscountRedemption.objects.count() == 0
    assert redeem() == D("20.00")


def test_preview_shows_the_amount_without_redeeming() -> None:
    make_code(kind="fixed", value=D("25.00"))
    shown = discounts.preview(code="spring10", subtotal=D("19.99"), at=AT, shopper=SHOPPER)
    assert shown is not None
    assert (shown.code, shown.amount, shown.description) == ("SPRING10", D("19.99"), "$25.00 off")
    with translation.override("fr-ca"):
        assert shown.description == "25,00\u00a0$ de rabais"
    assert DiscountRedemption.objects.count() == 0


def test_a_percentage_discount_reads_as_each_language_writes_it() -> None:
    make_code(kind="percent", value=D("12.5"))
    shown = discounts.preview(code="spring10", subtotal=D("100.00"), at=AT, shopper=SHOPPER)
    assert shown is not None
    assert shown.description == "12.5% off"
    with translation.override("fr-ca"):
        assert shown.description == "12,5\u00a0% de rabais"


@pytest.mark.promise("TOS-9")
def test_repeated_invalid_codes_are_throttled_and_flagged_for_review_once() -> None:
    make_code()
    for guess in ["AAAA", "BBBB", "CCCC", "DDDD"]:
        code = refusal(
            lambda g=guess: discounts.preview(code=g, subtotal=D("100"), at=AT, shopper=SHOPPER)
        )[0]
        assert code == "discount_unknown"
    assert DiscountMisuseFlag.objects.count() == 0
    assert refusal(
        lambda: discounts.preview(code="EEEE", subtotal=D("100"), at=AT, shopper=SHOPPER)
    )[0] == ("discount_unknown")
    flag = DiscountMisuseFlag.objects.get()
    assert (flag.attempts, flag.codes_tried, flag.reviewed) == (
        5,
        "AAAA, BBBB, CCCC, DDDD, EEEE",
        False,
    )
    # Now even a valid code is refused until the window has passed, and no second flag is raised.
    assert refusal(
        lambda: discounts.preview(code="SPRING10", subtotal=D("100"), at=AT, shopper=SHOPPER)
    ) == (
        "discount_throttled",
        "Too many invalid discount codes were tried. Please wait 15 minutes, or place the order "
        "without a code.",
        {
            "discount_code": "Too many invalid discount codes were tried. Please wait 15 "
            "minutes, or place the order without a code."
        },
        429,
    )
    assert DiscountMisuseFlag.objects.count() == 1
    later = AT + dt.timedelta(minutes=15)
    shown = discounts.preview(code="SPRING10", subtotal=D("100"), at=later, shopper=SHOPPER)
    assert shown is not None and shown.amount == D("10.00")
    other = discounts.shopper_key("session:other")
    assert discounts.preview(code="SPRING10", subtotal=D("100"), at=AT, shopper=other) is not None


def test_a_code_below_its_minimum_is_not_counted_as_misuse() -> None:
    make_code(min_spend=D("500.00"))
    for _ in range(6):
        assert (
            refusal(
                lambda: discounts.preview(
                    code="SPRING10", subtotal=D("100"), at=AT, shopper=SHOPPER
                )
            )[0]
            == "discount_below_minimum"
        )
    assert DiscountAttempt.objects.count() == 0
    assert DiscountMisuseFlag.objects.count() == 0
