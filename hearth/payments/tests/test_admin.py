"""Finance's back office: payments and operations to view, refunds of the remaining balance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hearth.payments import services
from hearth.payments.models import Payment, PaymentOperation
from hearth.payments.tests.conftest import make_token

pytestmark = pytest.mark.django_db


def _captured_payment() -> str:
    result = services.authorise(
        token=make_token(), amount=Decimal("120.00"), reference="EO-55554444", idempotency_key="a"
    )
    services.capture(payment_id=result.payment_id, idempotency_key="c")
    services.refund(payment_id=result.payment_id, amount=Decimal("20.00"), idempotency_key="r")
    return result.payment_id


def test_finance_sees_payments_and_their_operations(frozen_now, staff_client):
    pid = _captured_payment()
    client = staff_client("finance")
    listing = client.get("/admin/payments/payment/")
    assert listing.status_code == 200
    assert pid in listing.content.decode()
    detail = client.get(f"/admin/payments/payment/{Payment.objects.get(payment_id=pid).pk}/change/")
    assert detail.status_code == 200
    assert client.get("/admin/payments/paymentoperation/").status_code == 200


@pytest.mark.parametrize("role", ["sales_agent", "care_agent", "warehouse", "privacy_officer"])
def test_other_roles_do_not_see_payments(frozen_now, staff_client, role):
    _captured_payment()
    assert staff_client(role).get("/admin/payments/payment/").status_code == 403


def test_finance_refunds_the_remaining_balance_once(frozen_now, staff_client):
    pid = _captured_payment()
    client = staff_client("finance")
    payment = Payment.objects.get(payment_id=pid)
    data = {"action": "refund_remaining", "_selected_action": [str(payment.pk)]}
    response = client.post("/admin/payments/payment/", data)
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", Decimal("120.00"))
    refund = PaymentOperation.objects.filter(kind="refund").order_by("pk").last()
    assert refund.amount == Decimal("100.00")
    assert refund.actor.email == "finance@example.com"
    client.post("/admin/payments/payment/", data)  # nothing left: no second refund
    assert PaymentOperation.objects.filter(kind="refund").count() == 2
