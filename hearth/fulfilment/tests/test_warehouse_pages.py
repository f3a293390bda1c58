"""The warehouse's pages (role-guarded), the packing screen driven like a keyboard-wedge scanner,
the guest's tracking look-up and My Stuff's timeline, through HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hearth.core import clock
from hearth.fulfilment import services
from hearth.fulfilment.models import Shipment, StockReceipt, TrackingLookup, Unit
from hearth.fulfilment.tests.conftest import T0, released_order, variant

pytestmark = pytest.mark.usefixtures("warehouse_setup")


@pytest.mark.parametrize(
    "path",
    [
        "/back-office/warehouse/",
        "/back-office/warehouse/pick/",
        "/back-office/warehouse/stock/",
    ],
)
def test_warehouse_pages_are_for_the_warehouse_role_only(staff_client: Any, path: str) -> None:
    assert Client().get(path).status_code == 302  # not signed in: to the back-office sign-in
    assert staff_client("care_agent").get(path).status_code == 403
    assert staff_client("warehouse").get(path).status_code == 200


@pytest.mark.promise("TOS-13", "TOS-18")
def test_the_pick_list_puts_late_orders_first_then_today_with_todays_cutoff(
    staff_client: Any,
) -> None:
    variant("EO-ONE-CHR", stock=50)
    friday = dt.datetime(2026, 10, 30, 18, 0, tzinfo=dt.UTC)  # Fri 14:00 Toronto: ships Monday
    late = released_order([("EO-ONE-CHR", 1)], at=dt.datetime(2026, 10, 29, 14, 0, tzinfo=dt.UTC))
    today = released_order([("EO-ONE-CHR", 2)], at=friday)
    later = released_order([("EO-ONE-CHR", 1)], at=T0 + dt.timedelta(hours=3))  # after noon
    assert (late.ship_date, today.ship_date, later.ship_date) == (
        dt.date(2026, 10, 29),
        dt.date(2026, 11, 2),  # not the weekend (TOS-18)
        dt.date(2026, 11, 3),
    )
    client = staff_client("warehouse")
    response = client.get("/back-office/warehouse/pick/")
    html = response.content.decode()
    assert html.index(late.number) < html.index(today.number) < html.index(later.number)
    assert "orders ready before the 12:00 Eastern cut-off ship today" in html
    assert "Late: 1. Today: 1. Later: 1." in html
    assert "2 × EO-ONE-CHR" in html
    assert "Ada Lovelace" not in html  # the pick list needs no personal data


def test_the_pick_list_costs_the_same_queries_for_any_number_of_orders(staff_client: Any) -> None:
    variant("EO-ONE-CHR", stock=50)
    client = staff_client("warehouse")
    released_order([("EO-ONE-CHR", 1)])
    client.get("/back-office/warehouse/pick/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get("/back-office/warehouse/pick/")
    for _ in range(4):
        released_order([("EO-ONE-CHR", 1)])
    with CaptureQueriesContext(connection) as five:
        response = client.get("/back-office/warehouse/pick/")
    assert response.content.decode().count("data-order=") == 5
    assert len(five) == len(one)


def test_the_packing_screen_takes_scans_and_refuses_bad_ones_beside_the_field(
    staff_client: Any,
) -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 2)])
    client = staff_client("warehouse")
    url = f"/back-office/warehouse/orders/{order.number}/pack/"
    page = client.get(url).content.decode()
    assert 'name="serial"' in page and "autofocus" in page
    assert '<label for="id_serial"' in page
    ok = client.post(url, {"serial": "EO1C26000001"})
    assert ok.status_code == 200
    assert "Scanned EO1C26000001 for EO-ONE-CHR." in ok.content.decode()
    bad = client.post(url, {"serial": "EO5B26000001"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "EO5B26000001 is a serial of EO-FIVE-BIR, which this order does not contain." in html
    assert 'aria-invalid="true"' in html
    assert list(Unit.objects.values_list("serial", flat=True)) == ["EO1C26000001"]
    early = client.post(f"/back-office/warehouse/orders/{order.number}/label/")
    assert early.status_code == 400
    assert "still to scan" in early.content.decode()
    client.post(url, {"serial": "EO1C26000002"})
    assert client.post(f"/back-office/warehouse/orders/{order.number}/label/").status_code == 302
    shipment = Shipment.objects.get()
    label = client.get(f"/back-office/warehouse/orders/{order.number}/label.pdf")
    assert label["Content-Type"] == "application/pdf"
    assert label.content == bytes(shipment.label_pdf)
    slip = client.get(f"/back-office/warehouse/orders/{order.number}/packing-slip.pdf")
    assert slip.content.startswith(b"%PDF") and b"(EO1C26000002)" in slip.content
    shipped = client.post(f"/back-office/warehouse/orders/{order.number}/ship/")
    assert shipped.status_code == 200
    twice = client.post(f"/back-office/warehouse/orders/{order.number}/ship/")
    assert twice.status_code == 409
    assert "was already shipped" in twice.content.decode()


def test_the_stock_page_receives_and_refuses_a_negative_quantity(staff_client: Any) -> None:
    v = variant("EO-ONE-CHR", stock=2, threshold=5)
    client = staff_client("warehouse")
    home = client.get("/back-office/warehouse/").content.decode()
    assert "EO-ONE-CHR" in home  # low stock: 2 <= 5
    refused = client.post(
        "/back-office/warehouse/stock/",
        {"receive": "1", "r-sku": "EO-ONE-CHR", "r-quantity": "-3", "r-reference": "PO 1"},
    )
    assert refused.status_code == 400
    assert "at least 1" in refused.content.decode()
    v.refresh_from_db()
    assert v.stock_on_hand == 2 and not StockReceipt.objects.exists()
    done = client.post(
        "/back-office/warehouse/stock/",
        {"receive": "1", "r-sku": "EO-ONE-CHR", "r-quantity": "10", "r-reference": "PO 1"},
    )
    assert done.status_code == 200
    v.refresh_from_db()
    assert v.stock_on_hand == 12
    assert (
        "EO-ONE-CHR"
        not in client.get("/back-office/warehouse/")
        .content.decode()
        .split("Low stock")[1]
        .split("Ship-date promises kept")[0]
    )


def test_the_warehouse_home_charts_promises_kept_by_week(staff_client: Any) -> None:
    variant("EO-ONE-CHR", stock=50)
    order = released_order([("EO-ONE-CHR", 1)])
    assert order.ship_date == dt.date(2026, 11, 2)
    client = staff_client("warehouse")
    html = client.get("/back-office/warehouse/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert "<td>2026-11-02</td><td>1</td><td>0</td>" in html  # promised today, not shipped yet


# --- The customer's side.


def _shipped(order: Any) -> Shipment:
    services.scan_serial(order=order, serial="EO1C26000001", actor=None, at=T0)
    shipment = services.create_label(order=order, actor=None, at=T0)
    services.ship_order(order=order, actor=None, at=T0)
    return shipment


@pytest.mark.promise("TOS-13")
def test_a_guest_finds_the_tracking_by_number_email_and_postal_code() -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    shipment = _shipped(order)
    client = Client()
    found = client.post(
        "/track/", {"number": order.number, "email": "ADA@example.com", "postal_code": "m5h2n2"}
    )
    assert found.status_code == 200
    html = found.content.decode()
    assert shipment.tracking_code in html and "Handed to the carrier" in html
    assert "Ada Lovelace" not in html and "Queen Street" not in html
    answers = set()
    for number, email, postal in [
        (order.number, "eve@example.com", "M5H 2N2"),
        (order.number, "ada@example.com", "K1A 0B1"),
        ("EO-00000000", "ada@example.com", "M5H 2N2"),
    ]:
        miss = client.post("/track/", {"number": number, "email": email, "postal_code": postal})
        assert miss.status_code == 404
        html = miss.content.decode()
        start = html.index('id="form-errors"')
        answers.add(html[start : html.index("</div>", start)])
        assert shipment.tracking_code not in miss.content.decode()
    assert len(answers) == 1  # the same answer for every miss


def test_guest_look_ups_are_rate_limited_per_client() -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    data = {"number": "EO-00000000", "email": "eve@example.com", "postal_code": "M5H 2N2"}
    statuses = [client.post("/track/", data).status_code for _ in range(11)]
    assert statuses == [404] * 10 + [429]
    assert Client(REMOTE_ADDR="203.0.113.10").post("/track/", data).status_code == 404
    assert TrackingLookup.objects.count() == 11
    with clock.frozen(T0 + dt.timedelta(minutes=16)):
        assert client.post("/track/", data).status_code == 404


@pytest.mark.promise("TOS-13")
def test_my_stuff_shows_the_tracking_timeline_to_the_owner() -> None:
    from hearth.accounts.tests.conftest import make_customer

    customer = make_customer()
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)], customer=customer)
    client = Client()
    client.force_login(customer)
    before = client.get(f"/my-stuff/orders/{order.number}/").content.decode()
    assert "Not shipped yet" in before
    shipment = _shipped(order)
    after = client.get(f"/my-stuff/orders/{order.number}/").content.decode()
    assert shipment.tracking_code in after and "Handed to the carrier" in after
    assert f"/carriers/sandbox/track/{shipment.tracking_code}/" in after


def test_the_sandbox_carriers_tracking_page_shows_events_and_no_personal_data() -> None:
    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)])
    shipment = _shipped(order)
    page = Client().get(f"/carriers/sandbox/track/{shipment.tracking_code}/")
    assert page.status_code == 200
    assert "Ada" not in page.content.decode()
    assert Client().get("/carriers/sandbox/track/0000000000000000/").status_code == 404


def test_the_warehouse_role_home_shows_its_queues_with_counts(staff_client: Any) -> None:
    from hearth.core.backoffice import queues_for

    variant("EO-ONE-CHR", stock=2, threshold=5)
    released_order([("EO-ONE-CHR", 1)])
    counts = {q.key: (q.count, q.url) for q in queues_for(["warehouse"])}
    assert counts["fulfilment.pick"] == (1, "/back-office/warehouse/pick/")
    assert counts["fulfilment.low_stock"] == (1, "/back-office/warehouse/stock/")
    assert counts["fulfilment.exceptions"][0] == 0
    assert "fulfilment.pick" not in {q.key for q in queues_for(["care_agent"])}
    index = staff_client("warehouse").get("/admin/").content.decode()
    assert "To pick today (late and due today)" in index
