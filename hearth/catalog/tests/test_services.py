from __future__ import annotations

import pytest
from django.db import transaction

from hearth.catalog.models import Availability, Product, Variant
from hearth.catalog.services import release_stock, reserve_stock
from hearth.catalog.tests.conftest import make_product
from hearth.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock():
    make_product(
        "alpha", variants=(("A-1", "Charcoal", "249.00", 5), ("A-2", "Birch", "249.00", 1))
    )
    make_product(
        "bravo", variants=(("B-1", "Graphite", "899.00", 0),), availability=Availability.PREORDER
    )
    make_product(
        "charlie", variants=(("C-1", "Charcoal", "649.00", 0),), availability=Availability.BACKORDER
    )


def _on_hand() -> dict[str, int]:
    return dict(Variant.objects.order_by("sku").values_list("sku", "stock_on_hand"))


def test_reserving_takes_the_units_out_of_stock(stock):
    with transaction.atomic():
        reserve_stock(lines=[("A-1", 2), ("A-2", 1), ("A-1", 1)])
    assert _on_hand() == {"A-1": 2, "A-2": 0, "B-1": 0, "C-1": 0}


def test_reserving_the_last_unit_leaves_none(stock):
    with transaction.atomic():
        reserve_stock(lines=[("A-1", 5)])
    assert _on_hand()["A-1"] == 0


def test_asking_for_more_than_stock_is_out_of_stock_with_the_line_as_field(stock):
    with pytest.raises(DomainError) as caught, transaction.atomic():
        reserve_stock(lines=[("A-1", 6)])
    assert caught.value.code == "out_of_stock"
    assert caught.value.status == 409
    assert caught.value.fields == {"lines.A-1": "Only 5 of A-1 left in stock."}
    assert _on_hand()["A-1"] == 5


def test_a_sold_out_variant_says_so(stock):
    with pytest.raises(DomainError) as caught, transaction.atomic():
        reserve_stock(lines=[("A-2", 2)])
    assert caught.value.fields == {"lines.A-2": "Only 1 of A-2 left in stock."}
    Variant.objects.filter(sku="A-2").update(stock_on_hand=0)
    with pytest.raises(DomainError) as caught, transaction.atomic():
        reserve_stock(lines=[("A-2", 1)])
    assert caught.value.fields == {"lines.A-2": "A-2 is out of stock."}


def test_a_refused_line_leaves_no_line_reserved_even_when_the_caller_goes_on(stock):
    with transaction.atomic():
        with pytest.raises(DomainError):
            reserve_stock(lines=[("A-1", 2), ("A-2", 2)])  # A-1 reserved first, then A-2 refused
        assert _on_hand()["A-1"] == 5
    assert _on_hand() == {"A-1": 5, "A-2": 1, "B-1": 0, "C-1": 0}


@pytest.mark.promise("TOS-20")
def test_preorder_and_backorder_lines_are_sold_outside_stock(stock):
    with transaction.atomic():
        reserve_stock(lines=[("B-1", 3), ("C-1", 2)])
    assert _on_hand() == {"A-1": 5, "A-2": 1, "B-1": 0, "C-1": 0}


@pytest.mark.parametrize("sku", ["NOPE", "R-1"])
def test_unknown_or_retired_sku_is_refused(stock, sku):
    make_product("retired", variants=(("R-1", "Charcoal", "10.00", 9),), is_active=False)
    with pytest.raises(DomainError) as caught, transaction.atomic():
        reserve_stock(lines=[("A-1", 1), (sku, 1)])
    assert caught.value.code == "unknown_sku"
    assert list(caught.value.fields) == [f"lines.{sku}"]
    assert _on_hand()["A-1"] == 5


@pytest.mark.parametrize("quantity", [0, -2])
def test_a_quantity_below_one_is_refused(stock, quantity):
    with pytest.raises(DomainError) as caught, transaction.atomic():
        reserve_stock(lines=[("A-1", quantity)])
    assert caught.value.code == "invalid_quantity"
    assert list(caught.value.fields) == ["lines.A-1"]
    assert _on_hand()["A-1"] == 5


def test_releasing_puts_in_stock_units_back(stock):
    with transaction.atomic():
        reserve_stock(lines=[("A-1", 4)])
    with transaction.atomic():
        release_stock(lines=[("A-1", 4), ("B-1", 2), ("GONE-1", 1)])
    assert _on_hand() == {"A-1": 5, "A-2": 1, "B-1": 0, "C-1": 0}


def test_reserving_takes_one_update_per_in_stock_line(stock, django_assert_num_queries):
    # 1 SELECT (which SKUs exist, how sold) + savepoint + 2 UPDATEs + release savepoint
    with transaction.atomic(), django_assert_num_queries(5):
        reserve_stock(lines=[("A-2", 1), ("A-1", 1), ("B-1", 1)])


def test_the_database_refuses_negative_stock(stock):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.filter(sku="A-1").update(stock_on_hand=-1)
    assert Product.objects.count() == 3
