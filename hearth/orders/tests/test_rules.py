"""The pure order rules, by tables of cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.orders import rules
from hearth.orders.rules import Attestations, PricedLine, Status

#: The whole lifecycle as a table: every (from, to) pair the machine allows. Every other pair of
#: statuses is refused (checked below over the full product of statuses).
LIFECYCLE = {
    ("placed", "on_hold"),
    ("placed", "released"),
    ("placed", "cancelled"),
    ("on_hold", "placed"),
    ("on_hold", "released"),
    ("on_hold", "cancelled"),
    ("released", "picking"),
    ("released", "cancelled"),
    ("picking", "packed"),
    ("picking", "cancelled"),
    ("packed", "shipped"),
    ("packed", "cancelled"),
    ("shipped", "delivered"),
    ("shipped", "returned_to_sender"),
    ("shipped", "lost"),
    ("shipped", "refunded"),
    ("delivered", "refunded"),
    ("returned_to_sender", "refunded"),
    ("lost", "refunded"),
}


@pytest.mark.promise("TOS-8")
@pytest.mark.promise("TOS-21")
@pytest.mark.parametrize("current", [s.value for s in Status])
@pytest.mark.parametrize("to", [s.value for s in Status])
def test_status_machine_is_exactly_the_lifecycle_table(current, to):
    assert rules.may_move(current, to) is ((current, to) in LIFECYCLE)


@pytest.mark.parametrize(("current", "to"), [("placed", "nonsense"), ("nonsense", "placed")])
def test_unknown_statuses_never_move(current, to):
    assert rules.may_move(current, to) is False


@pytest.mark.promise("TOS-21")
def test_nothing_reaches_picking_or_shipped_except_through_release():
    into_picking = {c for c, t in LIFECYCLE if t == "picking"}
    assert into_picking == {"released"}
    assert {c for c, t in LIFECYCLE if t == "released"} == {"placed", "on_hold"}
    assert {c for c, t in LIFECYCLE if t == "placed"} == {"on_hold"}
    assert {c for c, t in LIFECYCLE if t == "shipped"} == {"packed"}


def test_terminal_statuses_have_no_way_out():
    for status in ("cancelled", "refunded"):
        assert rules.ALLOWED_MOVES[Status(status)] == frozenset()


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        ("placed", True),
        ("on_hold", True),
        ("released", True),
        ("picking", False),
        ("packed", False),
        ("shipped", False),
        ("cancelled", False),
        ("nonsense", False),
    ],
)
def test_customer_may_cancel_until_picking_starts(status, allowed):
    assert rules.customer_may_cancel(status) is allowed


@pytest.mark.parametrize(
    ("captured", "refunded", "amount", "problem"),
    [
        ("100.00", "0.00", "100.00", None),
        ("100.00", "40.00", "60.00", None),
        ("100.00", "40.00", "60.01", "more_than_captured"),
        ("100.00", "0.00", "0.00", "not_positive"),
        ("100.00", "0.00", "-1.00", "not_positive"),
        ("0.00", "0.00", "0.01", "more_than_captured"),
    ],
)
def test_refund_never_exceeds_what_was_captured(captured, refunded, amount, problem):
    assert (
        rules.refund_problem(
            captured=Decimal(captured), refunded=Decimal(refunded), amount=Decimal(amount)
        )
        == problem
    )


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
    assert {
        Status.PLACED,
        Status.ON_HOLD,
        Status.RELEASED,
        Status.PICKING,
        Status.PACKED,
    } == rules.OPEN_STATUSES


@pytest.mark.promise("TOS-20")
@pytest.mark.parametrize(
    ("waiting", "received", "filled"),
    [
        ([1, 1, 1], 2, 2),
        ([2, 1], 1, 0),  # the oldest needs 2: the newer order does not jump the queue
        ([2, 1], 3, 2),
        ([], 5, 0),
        ([3], 0, 0),
    ],
)
def test_received_stock_fills_the_oldest_waiting_lines_first(waiting, received, filled):
    assert rules.fifo_allocation(waiting, received) == filled
