"""Twenty buyers race for five units through the whole placing path: exactly five orders.

Real threads, each with its own database connection, call ``placing.place`` (checkout's call of
orders' ``place_order``: pricing, tax, stock reservation, payment authorisation, the order) at
once. On SQLite the ``file_db`` fixture (conftest.py) points the default alias at a database file
(WAL, busy timeout, ``BEGIN IMMEDIATE`` as in production settings), because the in-memory test
database cannot be shared by threads; run the suite with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db>`` and the same test runs on PostgreSQL.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import close_old_connections, connection

from hearth.catalog.models import Variant
from hearth.checkout import placing
from hearth.checkout.tests.conftest import ADDRESS, AT, VISA, card_token, make_variant
from hearth.core.errors import DomainError
from hearth.orders.models import Order
from hearth.payments.models import Payment

BUYERS = 20
UNITS = 5


def test_twenty_parallel_buyers_for_five_units_make_exactly_five_orders(file_db: str) -> None:
    make_variant("EO-RACE-1", price="199.00", stock=UNITS, slug="race-speaker")
    tokens = [card_token(VISA) for _ in range(BUYERS)]
    start = threading.Barrier(BUYERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(index: int) -> None:
        try:
            start.wait()
            try:
                placing.place(
                    lines=[("EO-RACE-1", 1)],
                    customer=None,
                    contact={"email": f"buyer{index}@example.com", "name": f"Buyer {index}"},
                    address=ADDRESS,
                    attestations={"adult": True, "end_user": True, "accurate": True},
                    shipping_method="standard",
                    discount_code=None,
                    payment_method="card",
                    payment_token=tokens[index],
                    idempotency_key=f"race-{index}",
                    at=AT,
                )
                outcome = "ordered"
            except DomainError as exc:
                outcome = exc.code
            with lock:
                outcomes.append(outcome)
        finally:
            close_old_connections()
            connection.close()

    threads: list[Any] = [threading.Thread(target=buy, args=(i,)) for i in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["ordered"] * UNITS + ["out_of_stock"] * (BUYERS - UNITS), file_db
    assert Order.objects.count() == UNITS
    # Nobody without a unit keeps an authorisation: a buyer who passed the stock check before
    # the last unit went was authorised, then voided (placing takes the stock row last).
    statuses = sorted(Payment.objects.values_list("status", flat=True))
    assert statuses.count("authorised") == UNITS
    assert set(statuses) <= {"authorised", "voided"}
    assert Variant.objects.get(sku="EO-RACE-1").stock_on_hand == 0
