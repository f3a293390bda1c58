"""Parallel replays of one idempotency key charge and refund once (PostgreSQL row locks; SQLite
serialises writers anyway)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from hearth.core.errors import DomainError
from hearth.payments import services
from hearth.payments.models import Payment, PaymentOperation
from hearth.payments.tests.conftest import make_token

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database"),
]


def _race(call: Callable[[], Any], n: int = 8) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            outcome: Any = call()
        except DomainError as exc:
            outcome = exc.code
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_authorise_with_one_key_charges_once():
    token = make_token()
    results = _race(
        lambda: services.authorise(
            token=token, amount=Decimal("10.00"), reference="EO-1", idempotency_key="k"
        )
    )
    assert len({r.payment_id for r in results}) == 1
    assert Payment.objects.count() == 1
    assert PaymentOperation.objects.count() == 1


def test_parallel_refunds_with_one_key_refund_once():
    pid = services.authorise(
        token=make_token(), amount=Decimal("10.00"), reference="EO-1", idempotency_key="a"
    ).payment_id
    services.capture(payment_id=pid, idempotency_key="c")
    results = _race(
        lambda: services.refund(payment_id=pid, amount=Decimal("4.00"), idempotency_key="r")
    )
    assert {r.refunded_total for r in results} == {Decimal("4.00")}
    assert Payment.objects.get(payment_id=pid).refunded_amount == Decimal("4.00")
