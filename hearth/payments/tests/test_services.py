"""Authorise, capture, refund and void through the database: each test card's outcome, replays
with the same idempotency key, and refund limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hearth.core.errors import DomainError
from hearth.payments import selectors, services
from hearth.payments.models import HostedSession, Payment, PaymentOperation, PaymentToken
from hearth.payments.tests.conftest import (
    CANCEL,
    RETURN,
    make_token,
    session_id_of,
    token_from,
)
from hearth.privacy.crypto import keyed_hash

pytestmark = pytest.mark.django_db

CARD_OUTCOMES = [
    ("4242424242424242", "visa", "approved", None, False, "authorised"),
    ("5555555555554444", "mastercard", "approved", None, False, "authorised"),
    ("378282246310005", "amex", "approved", None, False, "authorised"),
    ("4000000000009995", "visa", "declined", "insufficient_funds", False, "declined"),
    ("4000000000009979", "visa", "declined", "stolen_card", True, "declined"),
    ("4000000000000259", "visa", "review", None, True, "review"),
    ("4000000000000002", "visa", "declined", "card_declined", False, "declined"),
]


def _authorise(token: str, key: str = "order-1:authorise", amount: str = "226.87"):
    return services.authorise(
        token=token, amount=Decimal(amount), reference="EO-12345678", idempotency_key=key
    )


@pytest.mark.promise("TOS-9")
@pytest.mark.parametrize(("number", "brand", "status", "code", "fraud", "state"), CARD_OUTCOMES)
def test_each_test_card_authorises_as_documented(
    frozen_now, number, brand, status, code, fraud, state
):
    result = _authorise(make_token(number))
    assert (result.status, result.decline_code, result.fraud_suspected) == (status, code, fraud)
    assert (result.brand, result.last4, result.method) == (brand, number[-4:], "card")
    assert result.amount == Decimal("226.87")
    assert result.payment_id.startswith("pay_")
    assert result.message
    row = Payment.objects.get(payment_id=result.payment_id)
    assert (row.status, row.decline_code, row.fraud_suspected) == (state, code or "", fraud)
    assert selectors.payment(result.payment_id).status == state


@pytest.mark.promise("TOS-9")
def test_a_declined_card_gives_the_customer_the_reason(frozen_now):
    result = _authorise(make_token("4000000000009995"))
    assert result.approved is False
    assert result.message == (
        "Your card was declined for insufficient funds. Please use another card or PayPal."
    )


@pytest.mark.promise("TOS-10")
def test_paypal_approval_authorises_as_paypal(frozen_now):
    url = services.start_paypal(
        amount=Decimal("50.00"), reference="EO-1", return_url=RETURN, cancel_url=CANCEL
    )
    token = token_from(services.approve_paypal(session_id=session_id_of(url), at=frozen_now))
    assert token.startswith("pp_")
    result = _authorise(token, amount="50.00")
    assert (result.status, result.method, result.brand, result.last4) == (
        "approved",
        "paypal",
        "paypal",
        "",
    )


def test_authorise_replay_returns_the_first_result_and_keeps_one_operation(frozen_now):
    token = make_token()
    first = _authorise(token)
    again = _authorise(token)
    assert again == first
    assert Payment.objects.count() == 1
    assert PaymentOperation.objects.filter(kind="authorise").count() == 1


def test_a_declined_authorisation_replays_as_declined(frozen_now):
    token = make_token("4000000000009979")
    assert _authorise(token) == _authorise(token)
    assert PaymentOperation.objects.count() == 1


def test_a_token_pays_once(frozen_now):
    token = make_token()
    _authorise(token, key="a")
    with pytest.raises(DomainError) as exc:
        _authorise(token, key="b")
    assert (exc.value.code, exc.value.fields.keys()) == ("token_used", {"payment_token"})


def test_an_unknown_token_is_refused(frozen_now):
    with pytest.raises(DomainError) as exc:
        _authorise("tok_nope")
    assert exc.value.code == "unknown_token"
    assert Payment.objects.count() == 0


def test_the_same_key_for_another_amount_is_refused(frozen_now):
    token = make_token()
    _authorise(token, amount="10.00")
    with pytest.raises(DomainError) as exc:
        _authorise(token, amount="11.00")
    assert exc.value.code == "idempotency_key_reused"


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "NaN"])
def test_authorise_refuses_a_bad_amount(frozen_now, amount):
    with pytest.raises(DomainError) as exc:
        _authorise(make_token(), amount=amount)
    assert exc.value.code == "invalid_amount"


def test_payer_email_is_kept_only_as_a_keyed_hash(frozen_now):
    result = services.authorise(
        token=make_token(),
        amount=Decimal("5.00"),
        reference="EO-1",
        idempotency_key="k",
        payer_email="Ada@Example.com",
    )
    row = Payment.objects.get(payment_id=result.payment_id)
    assert row.payer_email_hash == keyed_hash("ada@example.com")
    assert "example.com" not in row.payer_email_hash


def _captured(amount: str = "100.00") -> str:
    pid = _authorise(make_token(), key=f"auth-{amount}", amount=amount).payment_id
    services.capture(payment_id=pid, idempotency_key=f"cap-{pid}")
    return pid


def test_capture_takes_the_authorised_amount_and_replays(frozen_now):
    pid = _authorise(make_token(), amount="100.00").payment_id
    first = services.capture(payment_id=pid, idempotency_key="cap-1")
    assert (first.status, first.captured_amount, first.refundable) == (
        "captured",
        Decimal("100.00"),
        Decimal("100.00"),
    )
    assert services.capture(payment_id=pid, idempotency_key="cap-1") == first
    assert PaymentOperation.objects.filter(kind="capture").count() == 1
    with pytest.raises(DomainError) as exc:
        services.capture(payment_id=pid, idempotency_key="cap-2")
    assert exc.value.code == "not_capturable"


def test_a_payment_held_for_review_can_be_captured_once_cleared(frozen_now):
    pid = _authorise(make_token("4000000000000259")).payment_id
    assert services.capture(payment_id=pid, idempotency_key="c").status == "captured"


def test_a_declined_payment_cannot_be_captured(frozen_now):
    pid = _authorise(make_token("4000000000009995")).payment_id
    with pytest.raises(DomainError) as exc:
        services.capture(payment_id=pid, idempotency_key="c")
    assert exc.value.code == "not_capturable"
    assert (exc.value.status, exc.value.fields) == (
        409,
        {"payment_id": "This payment cannot be captured: it is declined."},
    )


def test_a_captured_payment_cannot_be_voided(frozen_now):
    pid = _authorise(make_token("4242424242424242")).payment_id
    services.capture(payment_id=pid, idempotency_key="c")
    with pytest.raises(DomainError) as exc:
        services.void(payment_id=pid, idempotency_key="v")
    assert (exc.value.code, exc.value.status, str(exc.value.message)) == (
        "not_voidable",
        409,
        "This payment cannot be voided: it is captured.",
    )


def test_partial_refunds_sum_up_to_the_captured_amount_and_no_further(frozen_now):
    pid = _captured("100.00")
    r1 = services.refund(payment_id=pid, amount=Decimal("30.00"), idempotency_key="r1")
    assert (r1.amount, r1.refunded_total, r1.remaining, r1.status) == (
        Decimal("30.00"),
        Decimal("30.00"),
        Decimal("70.00"),
        "partially_refunded",
    )
    r2 = services.refund(payment_id=pid, amount=Decimal("45.50"), idempotency_key="r2")
    assert (r2.refunded_total, r2.remaining) == (Decimal("75.50"), Decimal("24.50"))
    with pytest.raises(DomainError) as exc:
        services.refund(payment_id=pid, amount=Decimal("24.51"), idempotency_key="r3")
    assert (exc.value.code, exc.value.fields) == (
        "refund_exceeds_balance",
        {"amount": "At most 24.50 can be refunded on this payment."},
    )
    r3 = services.refund(payment_id=pid, amount=Decimal("24.50"), idempotency_key="r3")
    assert (r3.refunded_total, r3.remaining, r3.status) == (
        Decimal("100.00"),
        Decimal("0.00"),
        "refunded",
    )
    status = selectors.payment(pid)
    assert (status.status, status.refunded_amount, status.refundable) == (
        "refunded",
        Decimal("100.00"),
        Decimal("0.00"),
    )
    with pytest.raises(DomainError) as exc:
        services.refund(payment_id=pid, amount=Decimal("0.01"), idempotency_key="r4")
    assert exc.value.code == "not_refundable"


def test_refund_replay_returns_the_first_refund_and_refunds_once(frozen_now):
    pid = _captured("100.00")
    first = services.refund(payment_id=pid, amount=Decimal("40.00"), idempotency_key="r")
    for _ in range(3):
        assert (
            services.refund(payment_id=pid, amount=Decimal("40.00"), idempotency_key="r") == first
        )
    assert PaymentOperation.objects.filter(kind="refund").count() == 1
    assert Payment.objects.get(payment_id=pid).refunded_amount == Decimal("40.00")


def test_a_refund_replay_with_another_amount_is_refused(frozen_now):
    pid = _captured("100.00")
    services.refund(payment_id=pid, amount=Decimal("40.00"), idempotency_key="r")
    with pytest.raises(DomainError) as exc:
        services.refund(payment_id=pid, amount=Decimal("41.00"), idempotency_key="r")
    assert exc.value.code == "idempotency_key_reused"


def test_an_uncaptured_payment_refunds_at_most_the_authorised_amount(frozen_now):
    pid = _authorise(make_token(), amount="60.00").payment_id
    with pytest.raises(DomainError) as exc:
        services.refund(payment_id=pid, amount=Decimal("60.01"), idempotency_key="r")
    assert exc.value.code == "refund_exceeds_balance"
    assert services.refund(payment_id=pid, amount=Decimal("60.00"), idempotency_key="r").status == (
        "refunded"
    )


def test_void_releases_an_authorisation_once(frozen_now):
    pid = _authorise(make_token()).payment_id
    first = services.void(payment_id=pid, idempotency_key="v")
    assert first.status == "voided"
    assert services.void(payment_id=pid, idempotency_key="v") == first
    assert PaymentOperation.objects.filter(kind="void").count() == 1
    for call in (
        lambda: services.capture(payment_id=pid, idempotency_key="c"),
        lambda: services.refund(payment_id=pid, amount=Decimal("1.00"), idempotency_key="r"),
    ):
        with pytest.raises(DomainError):
            call()


def test_a_key_is_unique_across_operations(frozen_now):
    pid = _authorise(make_token(), key="same").payment_id
    with pytest.raises(DomainError) as exc:
        services.capture(payment_id=pid, idempotency_key="same")
    assert exc.value.code == "idempotency_key_reused"


def test_an_unknown_payment_is_a_404_domain_error(frozen_now):
    with pytest.raises(DomainError) as exc:
        selectors.payment("pay_nope")
    assert (exc.value.code, exc.value.status) == ("unknown_payment", 404)


@pytest.mark.parametrize(
    "url",
    [
        "/checkout/payment/return/",
        "http://localhost:8000/checkout/payment/return/",
        "https://testserver/checkout/",
    ],
)
def test_return_urls_on_this_site_are_taken(url):
    assert services.start_card_session(
        amount=Decimal("1.00"), reference="EO-1", return_url=url, cancel_url=CANCEL
    ).startswith("/pay/sandbox/card/?session=cs_")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.net/return",
        "//evil.example.net/x",
        "javascript:alert(1)",
        "http://localhost.evil.example.net/",
        "",
    ],
)
def test_return_urls_must_be_on_this_site(url):
    with pytest.raises(DomainError) as exc:
        services.start_card_session(
            amount=Decimal("1.00"), reference="EO-1", return_url=url, cancel_url=CANCEL
        )
    assert exc.value.code == "invalid_return_url"
    assert HostedSession.objects.count() == 0


def test_the_token_keeps_brand_last4_expiry_and_behaviour_only(frozen_now):
    token = make_token("5555 5555 5555 4444", exp_month=7, exp_year=29)
    row = PaymentToken.objects.get(token=token)
    assert (row.method, row.brand, row.last4, row.exp_month, row.exp_year, row.behaviour) == (
        "card",
        "mastercard",
        "4444",
        7,
        2029,
        "approve",
    )
