"""The returns bench driven like a keyboard-wedge scanner, the inspection form, and care's RMA
queue and unit page, through HTTP: role checks, refusals beside their fields, audit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from hearth.aftersales.models import Inspection, Rma, UnitScan
from hearth.aftersales.tests.receiving_support import (
    issued_rma,
    later,
    shipped_units,
)
from hearth.core import clock
from hearth.core.models import AuditEvent

pytestmark = pytest.mark.usefixtures("warehouse_setup")


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/back-office/warehouse/returns/", "warehouse"),
        ("/back-office/rmas/", "care_agent"),
        ("/back-office/units/", "care_agent"),
    ],
)
def test_each_page_is_for_its_role_only(staff_client: Any, path: str, role: str) -> None:
    other = "care_agent" if role == "warehouse" else "warehouse"
    assert Client().get(path).status_code == 302  # to the back-office sign-in
    assert staff_client(other).get(path).status_code == 403
    assert staff_client(role).get(path).status_code == 200
    assert staff_client("administrator").get(path).status_code == 200


def _html(response: Any) -> str:
    return response.content.decode()


@pytest.mark.promise("TOS-24")
def test_the_bench_scans_the_label_then_the_serial(staff_client: Any) -> None:
    client = staff_client("warehouse")
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    page = client.get("/back-office/warehouse/returns/")
    assert re.search(r'<input[^>]*name="label"[^>]*autofocus', _html(page))
    with clock.frozen(later(2)):
        # The scanner types the return label's tracking code and presses Enter.
        response = client.post("/back-office/warehouse/returns/", {"label": rma.tracking_code})
        assert response.status_code == 302
        assert response["Location"] == f"/back-office/warehouse/returns/{rma.number}/"
        bench = client.get(response["Location"])
        assert re.search(r'<input[^>]*name="serial"[^>]*autofocus', _html(bench))
        received = client.post(response["Location"], {"serial": unit.serial})
    assert received.status_code == 200
    assert f"Received {unit.serial}." in _html(received)
    assert f'href="/back-office/warehouse/returns/{rma.number}/units/{unit.serial}/inspect/"' in (
        _html(received)
    )
    rma.refresh_from_db()
    assert rma.state == "received"


@pytest.mark.promise("TOS-24")
def test_a_mismatched_serial_is_refused_on_screen_and_held_for_care(staff_client: Any) -> None:
    client = staff_client("warehouse")
    (unit,) = shipped_units()
    (other,) = shipped_units()
    rma = issued_rma([unit])
    response = client.post(
        f"/back-office/warehouse/returns/{rma.number}/", {"serial": other.serial}
    )
    assert response.status_code == 409
    html = _html(response)
    assert 'role="alert"' in html
    assert "Refused: serial mismatch." in html
    assert f"{other.serial} does not match {rma.number}" in html
    assert "held for customer care" in html
    rma.refresh_from_db()
    assert rma.state == "held"
    # Care's queue shows it, with the form to release it.
    queue = staff_client("care_agent").get("/back-office/rmas/?state=held")
    assert f'data-rma="{rma.number}"' in _html(queue)
    assert f"/back-office/rmas/{rma.number}/release/" in _html(queue)


@pytest.mark.promise("TOS-24")
def test_scanning_a_received_rma_again_is_refused_beside_the_field(staff_client: Any) -> None:
    client = staff_client("warehouse")
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    client.post(f"/back-office/warehouse/returns/{rma.number}/", {"serial": unit.serial})
    again = client.post("/back-office/warehouse/returns/", {"label": rma.number.lower()})
    assert again.status_code == 409
    assert 'id="id_label_errors"' in _html(again)
    assert "already received" in _html(again)
    serial_again = client.post(
        f"/back-office/warehouse/returns/{rma.number}/", {"serial": unit.serial}
    )
    assert serial_again.status_code == 409
    assert "already received" in _html(serial_again)
    assert UnitScan.objects.count() == 1


def test_an_unknown_label_is_refused_beside_the_field(staff_client: Any) -> None:
    response = staff_client("warehouse").post(
        "/back-office/warehouse/returns/", {"label": "RMA-NOPE0000"}
    )
    assert response.status_code == 404
    html = _html(response)
    assert 'aria-describedby="id_label_help id_label_errors"' in html
    assert "No RMA has the number or return tracking code RMA-NOPE0000." in html


@pytest.mark.promise("TOS-22")
def test_the_inspection_form_records_the_return_and_restocks_it(staff_client: Any) -> None:
    client = staff_client("warehouse")
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    client.post(f"/back-office/warehouse/returns/{rma.number}/", {"serial": unit.serial})
    url = f"/back-office/warehouse/returns/{rma.number}/units/{unit.serial}/inspect/"
    form = _html(client.get(url))
    assert "<legend>Condition</legend>" in form
    assert "Warranty exclusions found" not in form  # a return has no exclusions to record
    refused = client.post(
        url, {"condition": "used", "original_packaging": "yes", "disposition": "restock"}
    )
    assert refused.status_code == 400
    assert 'id="id_disposition_errors"' in _html(refused)
    assert not Inspection.objects.exists()
    missing = client.post(url, {"condition": "new", "disposition": "restock"})
    assert missing.status_code == 400
    assert 'id="id_original_packaging_errors"' in _html(missing)
    done = client.post(
        url, {"condition": "new", "original_packaging": "yes", "disposition": "restock"}
    )
    assert done.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.verdict, inspection.actor) == ("refund", client.user)
    bench = _html(client.get(done["Location"]))
    assert "Refund due" in bench


@pytest.mark.promise("TOS-23")
def test_the_inspection_form_of_a_warranty_claim_records_exclusions(staff_client: Any) -> None:
    client = staff_client("warehouse")
    (unit,) = shipped_units()
    rma = issued_rma([unit], kind="warranty")
    client.post(f"/back-office/warehouse/returns/{rma.number}/", {"serial": unit.serial})
    url = f"/back-office/warehouse/returns/{rma.number}/units/{unit.serial}/inspect/"
    assert "<legend>Warranty exclusions found</legend>" in _html(client.get(url))
    done = client.post(url, {"exclusions": ["accident"], "disposition": "keep"})
    assert done.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.verdict, inspection.reasons) == ("not_covered", ["accident"])


@pytest.mark.promise("TOS-22", "TOS-24")
def test_care_sees_rmas_by_state_with_the_soonest_deadline_first(staff_client: Any) -> None:
    client = staff_client("care_agent")
    (u1,) = shipped_units()
    (u2,) = shipped_units()
    (u3,) = shipped_units()
    later_rma = issued_rma([u1], issued_at=later(5))
    sooner = issued_rma([u2], issued_at=later(1))
    received = issued_rma([u3])
    client_wh = staff_client("warehouse")
    client_wh.post(f"/back-office/warehouse/returns/{received.number}/", {"serial": u3.serial})
    with clock.frozen(later(17)):  # sooner's arrival deadline (issue + 14) has passed
        html = _html(client.get("/back-office/rmas/?state=issued"))
    assert html.index(sooner.number) < html.index(later_rma.number)
    assert received.number not in html
    assert "late" in html.split(sooner.number, 1)[1].split("</tr>", 1)[0]
    everything = _html(client.get("/back-office/rmas/"))
    assert received.number in everything and "(refund)" in everything
    assert AuditEvent.objects.filter(
        actor=client.user, action="viewed", object_type="aftersales.Rma"
    ).exists()


@pytest.mark.promise("TOS-24")
def test_care_releases_a_held_rma_from_the_queue(staff_client: Any) -> None:
    care = staff_client("care_agent")
    (unit,) = shipped_units()
    (other,) = shipped_units()
    rma = issued_rma([unit])
    staff_client("warehouse").post(
        f"/back-office/warehouse/returns/{rma.number}/", {"serial": other.serial}
    )
    empty = care.post(f"/back-office/rmas/{rma.number}/release/", {"note": ""})
    assert empty.status_code == 400
    assert 'id="id_note_errors"' in _html(empty)
    assert Rma.objects.get(pk=rma.pk).state == "held"
    done = care.post(f"/back-office/rmas/{rma.number}/release/", {"note": "Label replaced"})
    assert done.status_code == 302
    assert Rma.objects.get(pk=rma.pk).state == "received"
    # Closing is for held RMAs only: refused beside the note, nothing changed.
    late = care.post(f"/back-office/rmas/{rma.number}/close/", {"note": "Wrong product"})
    assert late.status_code == 409
    assert "is not held" in _html(late)
    assert Rma.objects.get(pk=rma.pk).state == "received"


@pytest.mark.promise("TOS-24")
def test_care_closes_a_held_rma_from_the_queue(staff_client: Any) -> None:
    care = staff_client("care_agent")
    warehouse = staff_client("warehouse")
    (unit,) = shipped_units()
    (other,) = shipped_units()
    rma = issued_rma([unit])
    warehouse.post(f"/back-office/warehouse/returns/{rma.number}/", {"serial": other.serial})
    queue = _html(care.get("/back-office/rmas/?state=held"))
    assert f'<label for="close-{rma.number}">' in queue
    done = care.post(f"/back-office/rmas/{rma.number}/close/", {"note": "Wrong product"})
    assert done.status_code == 302
    assert Rma.objects.get(pk=rma.pk).state == "closed"
    # The parcel scanned again at the bench is refused: the RMA is closed.
    again = warehouse.post("/back-office/warehouse/returns/", {"label": rma.number})
    assert again.status_code == 409
    assert "This RMA is closed." in _html(again)
    assert not UnitScan.objects.filter(serial=unit.serial).exists()


@pytest.mark.promise("TOS-23", "TOS-24")
def test_cares_unit_page_shows_order_shipment_rmas_inspections_and_warranty_end(
    staff_client: Any,
) -> None:
    care = staff_client("care_agent")
    warehouse = staff_client("warehouse")
    (unit,) = shipped_units()
    rma = issued_rma([unit], kind="warranty")
    warehouse.post(f"/back-office/warehouse/returns/{rma.number}/", {"serial": unit.serial})
    warehouse.post(
        f"/back-office/warehouse/returns/{rma.number}/units/{unit.serial}/inspect/",
        {"disposition": "refurbish"},
    )
    found = care.get("/back-office/units/", {"serial": unit.serial.lower()})
    assert found.status_code == 302
    assert found["Location"] == f"/back-office/units/{unit.serial}/"
    html = _html(care.get(found["Location"]))
    order = unit.order_line.order
    assert order.number in html
    assert order.shipment.tracking_code in html
    assert f'data-rma="{rma.number}"' in html
    assert "Covered by the warranty" in html
    assert "To refurbishment" in html
    assert "<strong data-warranty-end>November 2, 2027</strong>" in html  # shipped 2026-11-02
    assert AuditEvent.objects.filter(
        actor=care.user, action="viewed", object_type="orders.Order", object_id=str(order.pk)
    ).exists()
    missing = care.get("/back-office/units/", {"serial": "EO1C99999999"})
    assert missing.status_code == 404
    assert "No unit has this serial number." in _html(missing)
    assert care.get("/back-office/units/EO1C99999999/").status_code == 404


def test_the_role_homes_count_returns_to_inspect_and_held_units(staff_client: Any) -> None:
    from hearth.core.backoffice import queues_for

    (u1,) = shipped_units()
    (u2,) = shipped_units()
    (other,) = shipped_units()
    received = issued_rma([u1])
    held = issued_rma([u2])
    warehouse = staff_client("warehouse")
    warehouse.post(f"/back-office/warehouse/returns/{received.number}/", {"serial": u1.serial})
    warehouse.post(f"/back-office/warehouse/returns/{held.number}/", {"serial": other.serial})
    counts = {q.key: q.count for q in queues_for(["warehouse", "care_agent"])}
    assert counts["aftersales.to_inspect"] == 1
    assert counts["aftersales.held"] == 1
    assert counts["aftersales.open"] == 2
    index = _html(staff_client("care_agent").get("/admin/"))
    assert "Returned units held after a serial mismatch" in index


@pytest.mark.promise("TOS-22", "TOS-24")
def test_cares_unit_page_shows_the_refund_and_its_credit_note(staff_client: Any) -> None:
    from hearth.orders.credit import refund_return

    care = staff_client("care_agent")
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    order = unit.order_line.order
    note = refund_return(
        order=order, serials=[unit.serial], reference=rma.number, actor=None, at=later(10)
    )
    html = _html(care.get(f"/back-office/units/{unit.serial}/"))
    assert f'data-credit-note="{note.number}"' in html
    assert f"({rma.number})" in html
    assert str(note.total) in html


@pytest.mark.promise("TOS-22", "TOS-23")
def test_a_resold_units_page_shows_its_new_sale_its_earlier_one_and_the_new_warranty(
    staff_client: Any,
) -> None:
    from hearth.fulfilment import services as fulfilment
    from hearth.fulfilment.tests.conftest import released_order

    care = staff_client("care_agent")
    warehouse = staff_client("warehouse")
    (unit,) = shipped_units()
    first_order = unit.order_line.order
    rma = issued_rma([unit])
    warehouse.post(f"/back-office/warehouse/returns/{rma.number}/", {"serial": unit.serial})
    warehouse.post(
        f"/back-office/warehouse/returns/{rma.number}/units/{unit.serial}/inspect/",
        {"condition": "new", "original_packaging": "yes", "disposition": "restock"},
    )
    resale_day = later(20)
    with clock.frozen(resale_day):
        second = released_order([("EO-ONE-CHR", 1)], at=resale_day)
        fulfilment.scan_serial(order=second, serial=unit.serial, actor=None, at=resale_day)
        fulfilment.create_label(order=second, actor=None, at=resale_day)
        fulfilment.ship_order(order=second, actor=None, at=resale_day)
    html = _html(care.get(f"/back-office/units/{unit.serial}/"))
    assert f"Order {second.number}, placed" in html
    assert f'data-earlier-order="{first_order.number}"' in html
    # The new owner's warranty runs from the new shipment (2026-11-22), not the first sale's.
    assert "<strong data-warranty-end>November 22, 2027</strong>" in html
