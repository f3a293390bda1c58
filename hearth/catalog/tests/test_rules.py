from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.catalog.rules import (
    LineError,
    StockState,
    is_purchasable,
    is_stock_checked,
    normalise_lines,
    stock_state,
)


@pytest.mark.parametrize(
    ("availability", "stock", "state", "purchasable"),
    [
        ("in_stock", 5, StockState.IN_STOCK, True),
        ("in_stock", 1, StockState.IN_STOCK, True),
        ("in_stock", 0, StockState.OUT_OF_STOCK, False),
        ("preorder", 0, StockState.PREORDER, True),
        ("preorder", 3, StockState.PREORDER, True),
        ("backorder", 0, StockState.BACKORDER, True),
    ],
)
def test_stock_state_tells_the_shopper_what_can_be_bought(availability, stock, state, purchasable):
    assert stock_state(availability, stock) is state
    assert is_purchasable(availability, stock) is purchasable


@pytest.mark.parametrize(
    ("availability", "checked"),
    [("in_stock", True), ("preorder", False), ("backorder", False)],
)
def test_only_in_stock_variants_are_stock_checked(availability, checked):
    assert is_stock_checked(availability) is checked


def test_unknown_availability_is_refused():
    with pytest.raises(ValueError):
        stock_state("discontinued", 1)


def test_lines_are_merged_by_sku_and_sorted():
    assert normalise_lines([("B-2", 1), ("A-1", 2), ("B-2", 3)]) == [("A-1", 2), ("B-2", 4)]


@pytest.mark.parametrize(
    "line",
    [("A-1", 0), ("A-1", -1), ("A-1", 1.5), ("A-1", True), ("A-1", "2"), ("", 1), ("  ", 1)],
)
def test_malformed_lines_are_refused(line):
    with pytest.raises(LineError):
        normalise_lines([line])


@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(min_value=1, max_value=50))
    )
)
def test_normalising_keeps_every_unit_once_in_sku_order(lines):
    result = normalise_lines(lines)
    skus = [sku for sku, _q in result]
    assert skus == sorted(set(skus))
    assert sum(q for _s, q in result) == sum(q for _s, q in lines)
    for sku, quantity in result:
        assert quantity == sum(q for s, q in lines if s == sku)
