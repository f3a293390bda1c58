"""Packing, label, hand-over, carrier events and stock, through the services and the database."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client

from hearth.core.errors import DomainError
from hearth.fulfilment import carriers, rules, services
from hearth.fulfilment.models import (
    DeliveryExceptionCase,
    Shipment,
    StockAdjustment,
    StockReceipt,
    TrackingEvent,
    Unit,
)
from hearth.fulfilment.tests.conftest import T0, released_order, variant

pytestmark = pytest.mark.usefixtures("warehouse_setup")


def _code(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.code


def _packed(order: Any, serials: list[str]) -> Shipment:
    for serial in serials:
        services.scan_serial(order=order, serial=serial, actor=None, at=T0)
    return services.create_label(order=order, actor=None, at=T0)


# --- Serials.


def test_each_scanned_serial_is_tied_to_its_order_line_for_the_warranty() -> None:
    variant("EO-ONE-CHR")
    variant("EO-FIVE-BIR")
    order = released_order([("EO-ONE-CHR", 2), ("EO-FIVE-BIR", 1)])
    services.scan_serial(order=order, serial=" eo5b26000009 ", actor=None, at=T0)
    services.scan_serial(order=order, serial="EO1C26000001", actor=None, at=T0)
    services.scan_serial(order=order, serial="EO1C26000002", actor=None, at=T0)
    lines = {line.sku: line.pk for line in order.lines.all()}
    assert sorted(Unit.objects.values_list("serial", "sku", "order_line_id", "shipped_on")) == [
        ("EO1C26000001", "EO-ONE-CHR", lines["EO-ONE-CHR"], None),
        ("EO1C26000002", "EO-ONE-CHR", lines["EO-ONE-CHR"], None),
        ("EO5B26000009", "EO-FIVE-BIR", lines["EO-FIVE-BIR"], None),
    ]
    assert services.units_wanted(order) == {"EO-ONE-CHR": 0, "EO-FIVE-BIR": 0}


@pytest.mark.parametrize(
    ("serial", "code", "words"),
    [
        ("EO1C2600001", "serial_format", "not a serial number of any product"),
        ("HELLO", "serial_format", "expected e.g. EO1C26000123"),
        ("EO5B26000001", "serial_other_sku", "serial of EO-FIVE-BIR"),
        ("EO1C26000001", "serial_used", "already scanned for order"),
        ("EO1C26000002", "serial_not_needed", "already scanned"),
    ],
)
def test_a_bad_serial_is_refused_with_a_clear_message_and_nothing_is_kept(
    serial: str, code: str, words: str
) -> None:
    variant("EO-ONE-CHR")
    variant("EO-FIVE-BIR")
    first = released_order([("EO-ONE-CHR", 1)])
    services.scan_serial(order=first, serial="EO1C26000001", actor=None, at=T0)
    order = released_order([("EO-ONE-CHR", 1)])
    if code == "serial_not_needed":
        services.scan_serial(order=order, serial="EO1C26000003", actor=None, at=T0)
    before = list(Unit.objects.values_list("serial", "order_line_id"))
    with pytest.raises(DomainError) as error:
        services.scan_serial(order=order, serial=serial, actor=None, at=T0)
    assert _code(error) == code
    assert words in str(error.value.message)
    assert error.value.fields == {"serial": str(error.value.message)}
    assert list(Unit.objects.values_list("serial", "order_line_id")) == before


def test_accessories_without_serials_are_packed_by_count() -> None:
    variant("EO-ONE-CHR")
    variant("ACC-CABLE-3M", price="19.00")
    order = released_order([("EO-ONE-CHR", 1), ("ACC-CABLE-3M", 2)])
    assert services.units_wanted(order) == {"EO-ONE-CHR": 1}
    shipment = _packed(order, ["EO1C26000001"])
    assert shipment.tracking_code


# --- Label, disclosure, hand-over.


def test_no_label_before_every_unit_is_scanned() -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 2)])
    services.scan_serial(order=order, serial="EO1C26000001", actor=None, at=T0)
    with pytest.raises(DomainError) as error:
        services.create_label(order=order, actor=None, at=T0)
    assert _code(error) == "units_missing"
    assert "1 × EO-ONE-CHR" in str(error.value.message)
    assert not Shipment.objects.exists()


@pytest.mark.promise("PP-7")
def test_the_carrier_gets_only_name_address_and_phone_and_the_hand_over_is_on_record() -> None:
    from hearth.privacy.models import Disclosure

    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    shipment = _packed(order, ["EO1C26000001"])
    ship_to = services.ship_to_of(order)
    assert ship_to == carriers.ShipTo(
        name="Ada Lovelace",
        lines=("100 Queen Street West",),
        city="Toronto",
        province="ON",
        postal_code="M5H 2N2",
        country="CA",
        phone="+1 416 555 0100",
    )
    disclosure = Disclosure.objects.get()
    assert disclosure.processor.key == "shipping"
    assert disclosure.kind == "handover"
    assert disclosure.what == (
        "orders.Order.contact_name, orders.Order.address_lines, orders.Order.city, "
        "orders.Order.province, orders.Order.postal_code, orders.Order.phone"
    )
    assert order.number in disclosure.why and shipment.tracking_code in disclosure.why
    assert "email" not in disclosure.what
    # Asking for the label again gives the same shipment: no second label, no second disclosure.
    assert services.create_label(order=order, actor=None, at=T0).pk == shipment.pk
    assert Disclosure.objects.count() == 1


def _bar_widths(pdf: bytes) -> list[str]:
    """The widths of the filled rectangles drawn, in order: a barcode's bars."""
    return re.findall(rb"n [0-9.]+ 0 ([0-9.]+) [0-9.]+ re f\*", pdf)


def _reference_bars(code: str) -> list[str]:
    import io

    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, pageCompression=0)
    Code128(code, barHeight=22 * mm, barWidth=0.38 * mm, humanReadable=False).drawOn(canvas, 0, 0)
    canvas.showPage()
    canvas.save()
    return _bar_widths(buffer.getvalue())


def test_the_label_is_a_pdf_with_a_code_128_barcode_of_the_tracking_code() -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    shipment = _packed(order, ["EO1C26000001"])
    pdf = bytes(shipment.label_pdf)
    assert pdf.startswith(b"%PDF")
    assert len(shipment.tracking_code) == 16 and shipment.tracking_code.isdigit()
    spaced = " ".join(shipment.tracking_code[i : i + 4] for i in range(0, 16, 4))
    assert f"({spaced})".encode() in pdf
    assert b"(Ada Lovelace)" in pdf and b"(Toronto ON  M5H 2N2)" in pdf
    assert b"(+1 416 555 0100)" in pdf
    assert b"ada@example.com" not in pdf
    bars = _bar_widths(pdf)
    assert len(bars) > 20
    assert bars == _reference_bars(shipment.tracking_code)
    assert bars != _reference_bars("1111222233334444")


@pytest.mark.promise("TOS-15")
def test_express_ships_with_the_carrier_express_service_as_priced_at_checkout() -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)], method="express")
    shipment = _packed(order, ["EO1C26000001"])
    assert (order.shipping_method, str(order.shipping), shipment.service) == (
        "express",
        "24.95",
        "express",
    )
    assert order.ship_date == dt.date(2026, 11, 2)
    assert order.delivery_latest == dt.date(2026, 11, 3)  # next business day after shipping
    assert b"(EXPRESS)" in bytes(shipment.label_pdf)


@pytest.mark.promise("TOS-13")
def test_shipping_twice_changes_nothing_and_sends_one_confirmation(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    shipment = _packed(order, ["EO1C26000001"])
    shipped_at = T0  # the frozen clock: the warehouse ships now
    with django_capture_on_commit_callbacks(execute=True):
        _first, changed = services.ship_order(order=order, actor=None, at=shipped_at)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, changed_again = services.ship_order(
            order=order, actor=None, at=shipped_at + dt.timedelta(hours=2)
        )
    assert callbacks == []
    assert (changed, changed_again) == (True, False)
    assert again.shipped_at == shipped_at
    order.refresh_from_db()
    assert order.status == "shipped"
    assert list(order.events.filter(to_status="shipped").values_list("to_status", flat=True)) == [
        "shipped"
    ]
    assert list(Unit.objects.values_list("shipped_on", flat=True)) == [dt.date(2026, 11, 2)]
    messages = smtp_server.wait_for(1)
    shipping = [m for m in messages if "has shipped" in str(m["Subject"])]
    assert len(shipping) == 1
    body = shipping[0].get_body().get_content()
    assert shipment.tracking_code in body
    assert "Northern Parcel" in body
    assert f"/carriers/sandbox/track/{shipment.tracking_code}/" in body
    assert shipping[0]["To"] == "ada@example.com"


def test_no_hand_over_before_a_label() -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    with pytest.raises(DomainError) as error:
        services.ship_order(order=order, actor=None, at=T0)
    assert _code(error) == "no_label"
    order.refresh_from_db()
    assert order.status == "released"


# --- Carrier events through the signed webhook.


def _post(
    client: Client,
    events: list[dict[str, str]],
    *,
    secret: str | None = None,
    signed_at: dt.datetime = T0,  # the frozen clock: the webhook accepts 5 minutes either side
) -> Any:
    body = carriers.SandboxCarrier.event_body(events)
    key = carriers.carrier("sandbox").webhook_secret if secret is None else secret
    return client.post(
        "/carriers/sandbox/events/",
        data=body,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=rules.signature_header(key, int(signed_at.timestamp()), body),
    )


def _event(code: str, kind: str, at: dt.datetime, n: int = 0) -> dict[str, str]:
    return {
        "event_id": f"{code}-{kind}-{n}",
        "pin": code,
        "code": carriers.SANDBOX_CODE_OF[rules.ShipmentStatus(kind)],
        "occurred_at": at.isoformat(),
        "location": "Toronto ON",
    }


@pytest.mark.promise("TOS-13")
def test_the_carriers_first_scan_ships_the_order_and_delivery_ends_it(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    shipment = _packed(order, ["EO1C26000001"])
    client = Client()
    at = T0 + dt.timedelta(hours=3)
    events = [
        _event(shipment.tracking_code, "shipped", at, 1),
        _event(shipment.tracking_code, "in_transit", at + dt.timedelta(hours=5), 2),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, events)
    assert (response.status_code, response.json()) == (200, {"recorded": 2})
    # The same batch again: nothing new.
    assert _post(client, events).json() == {"recorded": 0}
    shipment.refresh_from_db()
    assert (shipment.status, shipment.shipped_at) == ("in_transit", at)
    delivered = T0 + dt.timedelta(days=2)
    assert (
        _post(client, [_event(shipment.tracking_code, "delivered", delivered, 3)]).status_code
        == 200
    )
    shipment.refresh_from_db()
    assert (shipment.status, shipment.delivered_at) == ("delivered", delivered)
    order.refresh_from_db()
    assert order.status == "delivered"
    assert list(order.events.values_list("to_status", flat=True)) == [
        "placed",
        "released",
        "picking",
        "packed",
        "shipped",
        "delivered",
    ]
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 3
    assert len([m for m in smtp_server.wait_for(1) if "has shipped" in str(m["Subject"])]) == 1


@pytest.mark.parametrize("ending", ["returned_to_sender", "lost"])
def test_a_delivery_exception_opens_one_case_for_customer_care(ending: str) -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    shipment = _packed(order, ["EO1C26000001"])
    services.ship_order(order=order, actor=None, at=T0)
    client = Client()
    assert (
        _post(
            client, [_event(shipment.tracking_code, ending, T0 + dt.timedelta(days=3), 9)]
        ).status_code
        == 200
    )
    assert (
        _post(
            client, [_event(shipment.tracking_code, ending, T0 + dt.timedelta(days=4), 10)]
        ).status_code
        == 200
    )
    case = DeliveryExceptionCase.objects.get()
    assert (case.kind, case.state, case.shipment_id) == (ending, "open", shipment.pk)
    order.refresh_from_db()
    assert order.status == ending
    services.resolve_exception_case(case=case, note="Reshipped", actor=None, at=T0)
    with pytest.raises(DomainError) as error:
        services.resolve_exception_case(case=case, note="Again", actor=None, at=T0)
    assert _code(error) == "case_already_resolved"


def test_a_webhook_with_a_bad_signature_or_an_unknown_tracking_code_changes_nothing() -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    shipment = _packed(order, ["EO1C26000001"])
    client = Client()
    good = _event(shipment.tracking_code, "shipped", T0)
    forged = _post(client, [good], secret="not-the-secret")
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "bad_signature"
    stale = _post(client, [good], signed_at=T0 - dt.timedelta(minutes=10))
    assert stale.status_code == 401
    unsigned = client.post("/carriers/sandbox/events/", data=b"{}", content_type="application/json")
    assert unsigned.status_code == 401
    unknown = _post(client, [good, _event("9999888877776666", "shipped", T0)])
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_tracking_code"
    assert "9999888877776666" in unknown.json()["error"]["message"]
    malformed = _post(client, [{"pin": shipment.tracking_code, "code": "0100"}])
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "malformed_events"
    assert (
        client.post(
            "/carriers/nobody/events/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    shipment.refresh_from_db()
    assert (shipment.status, shipment.shipped_at) == ("label_created", None)
    assert not TrackingEvent.objects.exists()
    order.refresh_from_db()
    assert order.status == "packed"


# --- Stock.


def test_receiving_adds_stock_with_a_reference() -> None:
    v = variant("EO-ONE-CHR", stock=3)
    receipt = services.receive_stock(
        sku="eo-one-chr", quantity=12, reference=" PO 2026-114 ", actor=None, at=T0
    )
    v.refresh_from_db()
    assert (v.stock_on_hand, receipt.sku, receipt.quantity, receipt.reference) == (
        15,
        "EO-ONE-CHR",
        12,
        "PO 2026-114",
    )


@pytest.mark.parametrize(
    ("sku", "quantity", "reference", "code", "field"),
    [
        ("EO-ONE-CHR", -4, "PO 1", "invalid_quantity", "quantity"),
        ("EO-ONE-CHR", 0, "PO 1", "invalid_quantity", "quantity"),
        ("EO-ONE-CHR", 3, "  ", "missing_reference", "reference"),
        ("NOPE-1", 3, "PO 1", "unknown_sku", "sku"),
    ],
)
def test_bad_receipts_are_refused_and_stock_is_unchanged(
    sku: str, quantity: int, reference: str, code: str, field: str
) -> None:
    v = variant("EO-ONE-CHR", stock=3)
    with pytest.raises(DomainError) as error:
        services.receive_stock(sku=sku, quantity=quantity, reference=reference, actor=None, at=T0)
    assert (_code(error), list(error.value.fields)) == (code, [field])
    v.refresh_from_db()
    assert v.stock_on_hand == 3
    assert not StockReceipt.objects.exists()


def test_an_adjustment_keeps_its_reason_and_actor_and_never_takes_stock_below_zero(
    staff_client: Any,
) -> None:
    user = staff_client("warehouse").user
    v = variant("EO-ONE-CHR", stock=3)
    adjustment = services.adjust_stock(
        sku="EO-ONE-CHR", delta=-2, reason="damaged", note="Dropped", actor=user, at=T0
    )
    assert (adjustment.delta, adjustment.stock_after, adjustment.reason, adjustment.actor) == (
        -2,
        1,
        "damaged",
        user,
    )
    with pytest.raises(DomainError) as error:
        services.adjust_stock(sku="EO-ONE-CHR", delta=-2, reason="missing", actor=user, at=T0)
    assert _code(error) == "stock_would_be_negative"
    with pytest.raises(DomainError) as error:
        services.adjust_stock(sku="EO-ONE-CHR", delta=1, reason="whim", actor=user, at=T0)
    assert _code(error) == "unknown_reason"
    v.refresh_from_db()
    assert v.stock_on_hand == 1
    assert StockAdjustment.objects.count() == 1


def test_webhook_body_is_json_of_events() -> None:
    body = carriers.SandboxCarrier.event_body([{"a": "b"}])
    assert json.loads(body) == {"events": [{"a": "b"}]}


def test_an_order_cancelled_after_packing_frees_its_serials_and_voids_its_label() -> None:
    from hearth.orders.services import cancel_order

    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    _packed(order, ["EO1C26000001"])
    cancel_order(order=order, reason="manifest_error", actor=None, at=T0)
    assert not Unit.objects.exists()
    assert not Shipment.objects.exists()
    again = released_order([("EO-ONE-CHR", 1)])
    assert services.scan_serial(order=again, serial="EO1C26000001", actor=None, at=T0).serial == (
        "EO1C26000001"
    )


def test_scans_labels_shipping_and_stock_moves_are_in_the_audit_log(staff_client: Any) -> None:
    from hearth.core.models import AuditEvent

    user = staff_client("warehouse").user
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    unit = services.scan_serial(order=order, serial="EO1C26000001", actor=user, at=T0)
    shipment = services.create_label(order=order, actor=user, at=T0)
    services.ship_order(order=order, actor=user, at=T0)
    receipt = services.receive_stock(
        sku="EO-ONE-CHR", quantity=2, reference="PO 9", actor=user, at=T0
    )
    rows = list(
        AuditEvent.objects.filter(actor=user).values_list("object_type", "object_id", "action")
    )
    assert ("fulfilment.Unit", str(unit.pk), "created") in rows
    assert ("fulfilment.Shipment", str(shipment.pk), "created") in rows
    assert ("fulfilment.Shipment", str(shipment.pk), "state_changed") in rows
    assert ("fulfilment.StockReceipt", str(receipt.pk), "created") in rows


def test_received_units_go_first_to_waiting_pre_orders_and_the_rest_to_stock() -> None:
    from hearth.catalog.models import Availability, Variant

    v = variant("EO-FIVE-BIR", stock=0)
    Variant.objects.filter(pk=v.pk).update(
        availability=Availability.PREORDER, expected_ship_date=dt.date(2026, 12, 1)
    )
    waiting = released_order([("EO-FIVE-BIR", 3)])
    services.receive_stock(sku="EO-FIVE-BIR", quantity=5, reference="PO 7", actor=None, at=T0)
    v.refresh_from_db()
    assert v.stock_on_hand == 2
    assert StockReceipt.objects.get().quantity == 5
    waiting.refresh_from_db()
    assert all(not line.waiting_for_stock for line in waiting.lines.all())
