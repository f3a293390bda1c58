"""TOS-20: a variant's expected ship date changes through one service that tells its listeners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from hearth.catalog import services
from hearth.catalog.models import Availability, Variant
from hearth.catalog.tests.conftest import make_product
from hearth.core.errors import DomainError

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)
APRIL = dt.date(2026, 4, 15)
JUNE = dt.date(2026, 6, 10)


@pytest.fixture
def heard() -> Iterator[list[dict[str, Any]]]:
    """What a listener registered for the test is told (removed again afterwards)."""
    calls: list[dict[str, Any]] = []

    def listener(**kwargs: Any) -> None:
        calls.append(kwargs)

    services.on_expected_ship_date_change(listener)
    try:
        yield calls
    finally:
        services._ship_date_listeners.remove(listener)


@pytest.mark.promise("TOS-20")
@pytest.mark.parametrize("availability", [Availability.PREORDER, Availability.BACKORDER])
def test_a_real_change_is_saved_and_told_once(heard, availability):
    make_product(
        "arc",
        variants=(("EO-ARC-WAL", "Walnut", "499.00", 0),),
        availability=availability,
        expected_ship_date=APRIL,
    )
    variant = services.set_expected_ship_date(
        sku="EO-ARC-WAL", expected_ship_date=JUNE, actor=None, at=AT
    )
    assert variant.expected_ship_date == JUNE
    assert Variant.objects.get(sku="EO-ARC-WAL").expected_ship_date == JUNE
    services.set_expected_ship_date(sku="EO-ARC-WAL", expected_ship_date=JUNE, actor=None, at=AT)
    assert heard == [{"sku": "EO-ARC-WAL", "old": APRIL, "new": JUNE, "actor": None, "at": AT}]


@pytest.mark.promise("TOS-20")
def test_a_date_set_where_it_was_unknown_is_told(heard):
    make_product(
        "arc", variants=(("EO-ARC-WAL", "Walnut", "499.00", 0),), availability=Availability.PREORDER
    )
    services.set_expected_ship_date(sku="EO-ARC-WAL", expected_ship_date=APRIL, actor=None, at=AT)
    assert heard == [{"sku": "EO-ARC-WAL", "old": None, "new": APRIL, "actor": None, "at": AT}]


def test_registering_a_listener_twice_tells_it_once(heard):
    services.on_expected_ship_date_change(services._ship_date_listeners[-1])
    make_product(
        "arc", variants=(("EO-ARC-WAL", "Walnut", "499.00", 0),), availability=Availability.PREORDER
    )
    services.set_expected_ship_date(sku="EO-ARC-WAL", expected_ship_date=APRIL, actor=None, at=AT)
    assert len(heard) == 1


def test_an_in_stock_variant_refuses_a_date_and_clearing_one_tells_nobody(heard):
    make_product("one", variants=(("EO-ONE-OAK", "Oak", "199.00", 5),))
    with pytest.raises(DomainError) as caught:
        services.set_expected_ship_date(
            sku="EO-ONE-OAK", expected_ship_date=JUNE, actor=None, at=AT
        )
    assert (caught.value.code, list(caught.value.fields)) == (
        "expected_ship_date_not_allowed",
        ["expected_ship_date"],
    )
    assert Variant.objects.get(sku="EO-ONE-OAK").expected_ship_date is None
    Variant.objects.filter(sku="EO-ONE-OAK").update(expected_ship_date=APRIL)
    services.set_expected_ship_date(sku="EO-ONE-OAK", expected_ship_date=None, actor=None, at=AT)
    assert Variant.objects.get(sku="EO-ONE-OAK").expected_ship_date is None
    assert heard == []


def test_an_unknown_sku_is_refused():
    with pytest.raises(DomainError) as caught:
        services.set_expected_ship_date(sku="NOPE", expected_ship_date=JUNE, actor=None, at=AT)
    assert (caught.value.code, list(caught.value.fields)) == ("unknown_sku", ["sku"])
