"""The pure order rules, by tables of cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.orders import rules
from hearth.orders.rules import Attestations, PricedLine, Status


@pytest.mark.parametrize(
    ("current", "to", "allowed"),
    [
        ("placed", "under_review", True),
        ("placed", "released", True),
        ("placed", "cancelled", True),
        ("under_review", "released", True),
        ("under_review", "cancelled", True),
        ("released", "shipped", True),
        ("released", "cancelled", False),
        ("placed", "shipped", False),
        ("shipped", "cancelled", False),
        ("cancelled", "placed", False),
        ("placed", "nonsense", False),
    ],
)
def test_status_moves(current, to, allowed):
    assert rules.may_move(current, to) is allowed


@pytest.mark.promise("TOS-3")
@pytest.mark.parametrize(
    ("attestations", "missing"),
    [
        (Attestations(True, True, True), None),
        (Attestations(False, True, True), "adult"),
        (Attestations(True, False, True), "end_user"),
        (Attestations(True, True, False), "accurate"),
        (Attestations(), "adult"),
    ],
)
def test_missing_attestation(attestations, missing):
    assert rules.missing_attestation(attestations) == missing


def test_lines_are_merged_by_sku_and_sorted():
    assert rules.merged_lines([("eo-b", 1), ("EO-A", 2), ("EO-B", 3)]) == [("EO-A", 2), ("EO-B", 4)]


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(1, 5)), min_size=1))
def test_merging_keeps_every_unit(lines):
    assert sum(q for _s, q in rules.merged_lines(lines)) == sum(q for _s, q in lines)


def _line(availability: str, expected: dt.date | None) -> PricedLine:
    return PricedLine("X", "X", "Oak", Decimal("1.00"), 1, availability, expected)


@pytest.mark.promise("TOS-20")
@pytest.mark.parametrize(
    ("lines", "plan"),
    [
        ([_line("in_stock", None)], rules.ShipPlan(None, False)),
        ([_line("preorder", dt.date(2026, 4, 1))], rules.ShipPlan(dt.date(2026, 4, 1), True)),
        (
            [_line("preorder", dt.date(2026, 4, 1)), _line("backorder", dt.date(2026, 5, 1))],
            rules.ShipPlan(dt.date(2026, 5, 1), True),
        ),
        ([_line("backorder", None), _line("in_stock", None)], rules.ShipPlan(None, True)),
    ],
)
def test_ship_plan(lines, plan):
    assert rules.ship_plan(lines) == plan


@pytest.mark.parametrize(
    ("orders", "today", "expected"),
    [
        ([], dt.date(2026, 3, 2), dt.date(2026, 3, 2)),
        ([(dt.date(2026, 3, 5), None)], dt.date(2026, 3, 2), dt.date(2026, 3, 6)),
        ([(dt.date(2026, 3, 5), None), (None, None)], dt.date(2026, 3, 2), None),
    ],
)
def test_erasure_available_on(orders, today, expected):
    assert rules.erasure_available_on(orders, today) == expected


def test_invoice_number_follows_the_order_number():
    assert rules.invoice_number("EO-12345678") == "INV-12345678"


def test_open_statuses():
    assert {Status.PLACED, Status.UNDER_REVIEW, Status.RELEASED} == rules.OPEN_STATUSES
