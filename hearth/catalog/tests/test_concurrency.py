"""Concurrent buyers never oversell: real threads, each with its own database connection.

On SQLite the default test database is in memory; threads need a database file they can all open,
so the ``race_db`` fixture (conftest.py) points the ``default`` alias at a fresh file (WAL, busy
timeout and ``BEGIN IMMEDIATE`` as in production settings) for the test and restores the in-memory
database afterwards. On PostgreSQL (``DATABASE_URL=postgres://...``) the test database is used as
it is: ``transactional_db`` commits for real, so every thread's connection sees the rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

from django.db import close_old_connections, connection, transaction

from hearth.catalog.models import Product, Variant
from hearth.catalog.services import reserve_stock
from hearth.core.errors import DomainError


def _stock(sku: str, units: int, *, slug: str = "ember-one") -> None:
    product, _created = Product.objects.get_or_create(
        slug=slug,
        defaults={
            "name": slug,
            "category": "speakers",
            "summary": "s",
            "image": "catalog/img/ember-one.svg",
        },
    )
    Variant.objects.create(
        product=product, sku=sku, colour="Charcoal", price=Decimal("249.00"), stock_on_hand=units
    )


def _race(buyers: int, order_for: Callable[[int], list[tuple[str, int]]]) -> list[str]:
    """Start ``buyers`` threads together; each reserves its order in its own transaction."""
    start = threading.Barrier(buyers)
    outcomes: list[str] = []
    databases: set[str] = set()
    lock = threading.Lock()

    def buy(index: int) -> None:
        try:
            start.wait()
            try:
                with transaction.atomic():
                    reserve_stock(lines=order_for(index))
                outcome = "ok"
            except DomainError as exc:
                outcome = exc.code
            with lock:
                outcomes.append(outcome)
                databases.add(str(connection.settings_dict["NAME"]))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    # every thread used the database this test sees (a file on SQLite), on its own connection
    assert databases == {str(connection.settings_dict["NAME"])}
    assert "memory" not in next(iter(databases))
    return outcomes


def test_twenty_buyers_racing_for_five_units_get_exactly_five(race_db):
    _stock("EO-ONE-CHR", 5)
    outcomes = _race(20, lambda i: [("EO-ONE-CHR", 1)])
    assert sorted(outcomes) == ["ok"] * 5 + ["out_of_stock"] * 15
    assert Variant.objects.get(sku="EO-ONE-CHR").stock_on_hand == 0


def test_buyers_of_two_skus_in_either_order_never_oversell_or_deadlock(race_db):
    _stock("SKU-A", 10)
    _stock("SKU-B", 3, slug="ember-two")

    def order(index: int) -> list[tuple[str, int]]:
        lines = [("SKU-A", 1), ("SKU-B", 1)]
        return lines if index % 2 else lines[::-1]

    outcomes = _race(12, order)
    assert sorted(outcomes) == ["ok"] * 3 + ["out_of_stock"] * 9
    assert dict(Variant.objects.values_list("sku", "stock_on_hand")) == {"SKU-A": 7, "SKU-B": 0}


def test_buyers_asking_for_several_units_never_take_more_than_stock(race_db):
    _stock("EO-ONE-BIR", 7)
    outcomes = _race(10, lambda i: [("EO-ONE-BIR", 2)])
    assert sorted(outcomes) == ["ok"] * 3 + ["out_of_stock"] * 7
    assert Variant.objects.get(sku="EO-ONE-BIR").stock_on_hand == 1
