"""Finance's back office: payments and operations to view; no refund outside the order."""

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


def test_the_payments_admin_has_no_refund_button(frozen_now, staff_client):
    """A refund is made on the order (reason, email, shipment cancelled), never on the payment."""
    pid = _captured_payment()
    client = staff_client("finance")
    payment = Payment.objects.get(payment_id=pid)
    listing = client.get("/admin/payments/payment/").content.decode()
    assert "refund_remaining" not in listing
    data = {"action": "refund_remaining", "_selected_action": [str(payment.pk)]}
    client.post("/admin/payments/payment/", data)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", Decimal("20.00"))
    assert PaymentOperation.objects.filter(kind="refund").count() == 1
