"""Every provider operation that moves money leaves one audit row with its actor and the payment
fields it changed, never amounts or card details (PP-10)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from hearth.core.models import AuditEvent
from hearth.payments import services
from hearth.payments.models import Payment
from hearth.payments.tests.conftest import make_token

pytestmark = pytest.mark.django_db


@pytest.mark.promise("PP-10")
def test_authorise_capture_and_refund_are_audited_as_money_moved(frozen_now):
    agent = get_user_model().objects.create_user(
        email="finance@example.com", password="finance pass 12345", is_staff=True
    )
    result = services.authorise(
        token=make_token(), amount=Decimal("226.87"), reference="EO-1", idempotency_key="a"
    )
    services.capture(payment_id=result.payment_id, idempotency_key="c")
    services.refund(
        payment_id=result.payment_id, amount=Decimal("26.87"), idempotency_key="r", actor=agent
    )
    services.refund(  # a replay of the same key moves nothing more and records nothing more
        payment_id=result.payment_id, amount=Decimal("26.87"), idempotency_key="r", actor=agent
    )
    payment = Payment.objects.get(payment_id=result.payment_id)
    rows = AuditEvent.objects.filter(
        object_type="payments.Payment", object_id=str(payment.pk)
    ).order_by("id")
    assert [(e.action, e.actor_kind, e.actor_id, e.fields) for e in rows] == [
        ("money_moved", "system", None, ["amount", "status"]),
        ("money_moved", "system", None, ["captured_amount", "status"]),
        ("money_moved", "user", agent.pk, ["refunded_amount", "status"]),
    ]
    stored = repr(list(rows.values_list("fields", "object_id", "system_actor")))
    assert "226.87" not in stored
    assert "4242" not in stored
