"""A returned unit leaves inspection as a stock movement: back to stock (first to an order
waiting for it), to refurbishment or to scrap; once per RMA, on record and audited (issue #13)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hearth.catalog.models import Variant
from hearth.core.errors import DomainError
from hearth.core.models import AuditEvent
from hearth.fulfilment import services
from hearth.fulfilment.models import ReturnMovement, Unit
from hearth.fulfilment.tests.conftest import T0, released_order, variant

pytestmark = pytest.mark.usefixtures("warehouse_setup")


def _shipped_unit(serial: str = "EO1C26000001") -> Unit:
    order = released_order([("EO-ONE-CHR", 1)])
    services.scan_serial(order=order, serial=serial, actor=None, at=T0)
    services.create_label(order=order, actor=None, at=T0)
    services.ship_order(order=order, actor=None, at=T0)
    return Unit.objects.get(serial=serial)


@pytest.mark.promise("TOS-22")
def test_a_restocked_return_is_sellable_again_and_on_record(staff_client: Any) -> None:
    user = staff_client("warehouse").user
    v = variant("EO-ONE-CHR", stock=5)
    unit = _shipped_unit()
    v.refresh_from_db()
    before = v.stock_on_hand
    movement = services.move_returned_unit(
        serial="eo1c26000001",
        sku="EO-ONE-CHR",
        disposition="restock",
        reference="RMA-AB12CD34",
        actor=user,
        at=T0,
    )
    v.refresh_from_db()
    assert v.stock_on_hand == before + 1
    assert (movement.unit, movement.stock_after, movement.actor, movement.serial) == (
        unit,
        before + 1,
        user,
        "EO1C26000001",
    )
    assert AuditEvent.objects.filter(
        actor=user,
        object_type="fulfilment.ReturnMovement",
        object_id=str(movement.pk),
        action="created",
    ).exists()


@pytest.mark.parametrize("disposition", ["refurbish", "scrap"])
def test_refurbished_or_scrapped_returns_leave_sellable_stock_alone(disposition: str) -> None:
    v = variant("EO-ONE-CHR", stock=5)
    _shipped_unit()
    v.refresh_from_db()
    before = v.stock_on_hand
    movement = services.move_returned_unit(
        serial="EO1C26000001",
        sku="EO-ONE-CHR",
        disposition=disposition,
        reference="RMA-1",
        actor=None,
        at=T0,
    )
    v.refresh_from_db()
    assert v.stock_on_hand == before
    assert (movement.disposition, movement.stock_after) == (disposition, None)


def test_a_restocked_unit_goes_first_to_an_order_waiting_for_its_sku() -> None:
    from hearth.catalog.models import Availability

    v = variant("EO-ONE-CHR", stock=1)
    _shipped_unit()
    Variant.objects.filter(pk=v.pk).update(
        availability=Availability.BACKORDER, expected_ship_date=dt.date(2026, 12, 1)
    )
    waiting = released_order([("EO-ONE-CHR", 1)])
    assert any(line.waiting_for_stock for line in waiting.lines.all())
    services.move_returned_unit(
        serial="EO1C26000001",
        sku="EO-ONE-CHR",
        disposition="restock",
        reference="RMA-1",
        actor=None,
        at=T0,
    )
    v.refresh_from_db()
    assert v.stock_on_hand == 0
    waiting.refresh_from_db()
    assert not any(line.waiting_for_stock for line in waiting.lines.all())


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"disposition": "to_the_moon"}, "unknown_disposition"),
        ({"sku": "NOPE"}, "unknown_sku"),
        ({"reference": "  "}, "missing_reference"),
        ({"serial": " "}, "missing_reference"),
    ],
)
def test_a_bad_movement_is_refused_and_nothing_moves(kwargs: dict[str, str], code: str) -> None:
    v = variant("EO-ONE-CHR", stock=5)
    args = {
        "serial": "EO1C26000001",
        "sku": "EO-ONE-CHR",
        "disposition": "restock",
        "reference": "RMA-1",
    } | kwargs
    with pytest.raises(DomainError) as caught:
        services.move_returned_unit(**args, actor=None, at=T0)
    assert caught.value.code == code
    v.refresh_from_db()
    assert v.stock_on_hand == 5
    assert not ReturnMovement.objects.exists()


def test_a_unit_moves_once_per_rma() -> None:
    v = variant("EO-ONE-CHR", stock=5)
    args = {"serial": "EO1C26000001", "sku": "EO-ONE-CHR", "reference": "RMA-1"}
    services.move_returned_unit(**args, disposition="restock", actor=None, at=T0)
    with pytest.raises(DomainError) as caught:
        services.move_returned_unit(**args, disposition="scrap", actor=None, at=T0)
    assert (caught.value.code, caught.value.status) == ("already_moved", 409)
    v.refresh_from_db()
    assert v.stock_on_hand == 6
    assert ReturnMovement.objects.count() == 1


@pytest.mark.promise("TOS-22")
def test_a_restocked_unit_is_sold_again_and_each_order_keeps_its_own_sale() -> None:
    v = variant("EO-ONE-CHR", stock=5)
    first = _shipped_unit()
    # Before it comes back, the serial cannot be packed again.
    other = released_order([("EO-ONE-CHR", 1)])
    with pytest.raises(DomainError) as caught:
        services.scan_serial(order=other, serial=first.serial, actor=None, at=T0)
    assert caught.value.code == "serial_used"
    # Refurbished or scrapped, it stays off the shelf; restocked, it is sold again.
    services.move_returned_unit(
        serial=first.serial,
        sku="EO-ONE-CHR",
        disposition="restock",
        reference="RMA-1",
        actor=None,
        at=T0,
    )
    first.refresh_from_db()
    assert first.restocked_at == T0
    again = services.scan_serial(order=other, serial=first.serial, actor=None, at=T0)
    assert again.pk != first.pk
    assert again.order_line.order == other
    assert first.order_line.order != other  # the first order keeps its sale of the serial
    # One live row per serial: the restocked one is not live, the new one is.
    with pytest.raises(DomainError) as caught:
        services.scan_serial(
            order=released_order([("EO-ONE-CHR", 1)]), serial=first.serial, actor=None, at=T0
        )
    assert caught.value.code == "serial_used"
    v.refresh_from_db()
    assert Unit.objects.filter(serial=first.serial).count() == 2


def test_a_refurbished_unit_is_not_packed_again() -> None:
    variant("EO-ONE-CHR", stock=5)
    first = _shipped_unit()
    services.move_returned_unit(
        serial=first.serial,
        sku="EO-ONE-CHR",
        disposition="refurbish",
        reference="RMA-1",
        actor=None,
        at=T0,
    )
    first.refresh_from_db()
    assert first.restocked_at is None
    with pytest.raises(DomainError) as caught:
        services.scan_serial(
            order=released_order([("EO-ONE-CHR", 1)]), serial=first.serial, actor=None, at=T0
        )
    assert caught.value.code == "serial_used"
