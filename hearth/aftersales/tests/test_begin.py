"""Beginning a return or claim through HTTP (My Stuff, the guest order page, care), the RMA's
issue with its label over real SMTP, each refusal with its reason and nothing changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from hearth.aftersales.models import DealerProof, Rma, RmaEvent, RmaUnit
from hearth.comms.models import OutboundMessage
from hearth.core import clock
from hearth.core.models import AuditEvent
from hearth.fulfilment import services as fulfilment
from hearth.fulfilment.tests.conftest import T0, released_order, variant

pytestmark = pytest.mark.usefixtures("warehouse_setup")

SKU = "EO-ONE-CHR"
LATER = T0 + dt.timedelta(days=10)  # Thursday 12 November 2026, 10:00 in Toronto
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
_serials = iter(f"EO1C26{n:06d}" for n in range(1, 10_000))


def shipped_order(count: int = 1, *, customer: Any = None, email: str = "ada@example.com") -> Any:
    from hearth.catalog.models import Variant

    if not Variant.objects.filter(sku=SKU).exists():
        variant(SKU, stock=20)
    order = released_order([(SKU, count)], customer=customer, email=email)
    for _i in range(count):
        fulfilment.scan_serial(order=order, serial=next(_serials), actor=None, at=T0)
    fulfilment.create_label(order=order, actor=None, at=T0)
    fulfilment.ship_order(order=order, actor=None, at=T0)
    order.refresh_from_db()
    return order


def serials_of(order: Any) -> list[str]:
    from hearth.fulfilment.models import Unit

    return list(
        Unit.objects.filter(order_line__order=order).order_by("id").values_list("serial", flat=True)
    )


@pytest.fixture
def customer() -> Any:
    from hearth.accounts.tests.conftest import make_customer

    return make_customer()


@pytest.fixture
def customer_client(customer: Any) -> Client:
    client = Client()
    client.force_login(customer)
    return client


def begin_url(order: Any) -> str:
    return f"/my-stuff/orders/{order.number}/return/"


def nothing_written() -> tuple[int, int, int, int]:
    return (
        Rma.objects.count(),
        RmaUnit.objects.count(),
        RmaEvent.objects.count(),
        OutboundMessage.objects.filter(key__startswith="rma:").count(),
    )


# --- My Stuff ----------------------------------------------------------------------------------


@pytest.mark.promise("TOS-22")
@pytest.mark.promise("TOS-24")
def test_customer_begins_a_return_in_my_stuff_and_the_label_arrives_over_smtp(
    customer: Any,
    customer_client: Client,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = shipped_order(customer=customer)
    [serial] = serials_of(order)
    with clock.frozen(LATER):
        page = customer_client.get(begin_url(order))
        assert page.status_code == 200
        assert serial in page.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = customer_client.post(
                begin_url(order),
                {"kind": "return", "serials": [serial], "return_method": "label"},
            )
    rma = Rma.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/my-stuff/returns/{rma.number}/"
    assert rma.number.startswith("RMA-") and len(rma.number) == 12
    assert (rma.kind, rma.state, rma.channel, rma.order, rma.customer) == (
        "return",
        "issued",
        "web",
        order,
        customer,
    )
    assert rma.issued_at == LATER
    assert rma.arrival_deadline == dt.date(2026, 11, 26)  # issue + 14 calendar days
    assert [(u.serial, u.sku, u.unit.serial) for u in rma.units.all()] == [(serial, SKU, serial)]
    assert list(rma.events.values_list("kind", "to_state")) == [
        ("request", "requested"),
        ("issue", "issued"),
    ]
    [message] = smtp_server.wait_for(1)
    assert rma.number in message["Subject"]
    assert message["To"] == "ada@example.com"
    body = message.get_body(("plain",)).get_content()
    assert "November 26, 2026" in body and serial in body
    [label] = list(message.iter_attachments())
    assert label.get_filename() == f"{rma.number}-return-label.pdf"
    assert label.get_content_type() == "application/pdf"
    assert label.get_content().startswith(b"%PDF")
    # My Stuff shows it with its history, and the label.
    with clock.frozen(LATER):
        listing = customer_client.get("/my-stuff/returns/").content.decode()
        detail = customer_client.get(f"/my-stuff/returns/{rma.number}/")
        pdf = customer_client.get(f"/my-stuff/returns/{rma.number}/label.pdf")
    assert rma.number in listing and "RMA issued" in listing
    assert detail.status_code == 200
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.promise("TOS-22")
def test_free_pickup_at_the_delivery_address_for_a_return_inside_the_service_region(
    customer: Any, customer_client: Client
) -> None:
    order = shipped_order(customer=customer)
    [serial] = serials_of(order)
    with clock.frozen(LATER):
        response = customer_client.post(
            begin_url(order), {"kind": "return", "serials": [serial], "return_method": "pickup"}
        )
    assert response.status_code == 302
    rma = Rma.objects.get()
    assert (rma.return_method, rma.state) == ("pickup", "issued")
    assert (rma.address_lines, rma.city, rma.postal_code) == (
        "100 Queen Street West",
        "Toronto",
        "M5H 2N2",
    )
    email = OutboundMessage.objects.get(key=f"rma:{rma.pk}:issued")
    assert "free pickup" in email.body and "100 Queen Street West" in email.body
    assert email.attachments == []


@pytest.mark.promise("TOS-22")
def test_pickup_is_refused_for_a_warranty_claim(customer: Any, customer_client: Client) -> None:
    order = shipped_order(customer=customer)
    with clock.frozen(LATER):
        response = customer_client.post(
            begin_url(order),
            {"kind": "warranty", "serials": serials_of(order), "return_method": "pickup"},
        )
    assert response.status_code == 400
    assert "free pickup is offered only" in response.content.decode()
    assert nothing_written() == (0, 0, 0, 0)


@pytest.mark.promise("TOS-22")
def test_return_begun_after_the_45_day_window_is_refused_with_the_reason(
    customer: Any, customer_client: Client
) -> None:
    order = shipped_order(customer=customer)
    with clock.frozen(T0 + dt.timedelta(days=46)):
        response = customer_client.post(
            begin_url(order),
            {"kind": "return", "serials": serials_of(order), "return_method": "label"},
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "the window for this claim has closed" in page
    assert 'aria-describedby="id_serials_errors' in page or "id_serials_errors" in page
    assert nothing_written() == (0, 0, 0, 0)


@pytest.mark.promise("TOS-22")
def test_return_on_day_45_is_still_in_time(customer: Any, customer_client: Client) -> None:
    order = shipped_order(customer=customer)
    with clock.frozen(T0 + dt.timedelta(days=45)):
        response = customer_client.post(
            begin_url(order), {"kind": "return", "serials": serials_of(order)}
        )
    assert response.status_code == 302


@pytest.mark.promise("TOS-23")
def test_warranty_claim_after_the_return_window_is_issued(
    customer: Any, customer_client: Client
) -> None:
    order = shipped_order(customer=customer)
    with clock.frozen(T0 + dt.timedelta(days=200)):
        response = customer_client.post(
            begin_url(order),
            {
                "kind": "warranty",
                "serials": serials_of(order),
                "problem": "No sound from the left speaker.",
                "advance_replacement": "on",
            },
        )
    assert response.status_code == 302
    rma = Rma.objects.get()
    assert (rma.kind, rma.state, rma.advance_replacement, rma.problem) == (
        "warranty",
        "issued",
        True,
        "No sound from the left speaker.",
    )


@pytest.mark.promise("TOS-24")
def test_serial_not_on_the_customers_order_is_refused_and_nothing_changes(
    customer: Any, customer_client: Client
) -> None:
    mine = shipped_order(customer=customer)
    someone_elses = shipped_order(email="grace@example.com")
    [theirs] = serials_of(someone_elses)
    with clock.frozen(LATER):
        response = customer_client.post(
            begin_url(mine), {"kind": "return", "serials": [theirs], "return_method": "label"}
        )
        other_page = customer_client.get(begin_url(someone_elses))
        unknown = customer_client.post(
            begin_url(mine), {"kind": "return", "serials": ["EO1C99999999"]}
        )
        empty = customer_client.post(begin_url(mine), {"kind": "return"})
    assert response.status_code == 400
    assert f"{theirs} was not shipped on order {mine.number}" in response.content.decode()
    assert other_page.status_code == 404
    assert unknown.status_code == 400
    assert empty.status_code == 400
    assert "Choose at least one product" in empty.content.decode()
    assert nothing_written() == (0, 0, 0, 0)


@pytest.mark.promise("TOS-24")
def test_a_unit_on_an_open_rma_cannot_be_on_a_second(
    customer: Any, customer_client: Client
) -> None:
    order = shipped_order(customer=customer)
    body = {"kind": "return", "serials": serials_of(order)}
    with clock.frozen(LATER):
        assert customer_client.post(begin_url(order), body).status_code == 302
        before = nothing_written()
        again = customer_client.post(begin_url(order), body)
    assert again.status_code == 400
    assert "is already on RMA" in again.content.decode()
    assert nothing_written() == before


def test_signed_out_visitor_is_sent_to_sign_in(customer: Any) -> None:
    order = shipped_order(customer=customer)
    response = Client().get(begin_url(order))
    assert response.status_code == 302
    assert "login" in response["Location"] or "sign-in" in response["Location"]


# --- Guests ------------------------------------------------------------------------------------


@pytest.mark.promise("TOS-22")
@pytest.mark.promise("TOS-24")
def test_guest_begins_a_return_from_the_track_page() -> None:
    order = shipped_order()
    [serial] = serials_of(order)
    lookup = {"number": order.number, "email": "ada@example.com", "postal_code": "M5H 2N2"}
    client = Client()
    with clock.frozen(LATER):
        track = client.post("/track/", lookup)
        assert "/returns/guest/" in track.content.decode()
        start = client.post("/returns/guest/", {**lookup, "step": "start"})
        assert start.status_code == 200 and serial in start.content.decode()
        done = client.post(
            "/returns/guest/",
            {**lookup, "step": "begin", "kind": "return", "serials": [serial]},
        )
    assert done.status_code == 201
    rma = Rma.objects.get()
    assert rma.number in done.content.decode()
    assert (rma.customer, rma.email, rma.state) == (None, "ada@example.com", "issued")


def test_guest_with_wrong_details_gets_the_one_answer_and_nothing_changes() -> None:
    order = shipped_order()
    with clock.frozen(LATER):
        response = Client().post(
            "/returns/guest/",
            {
                "number": order.number,
                "email": "ada@example.com",
                "postal_code": "K1A 0B1",
                "step": "begin",
                "kind": "return",
                "serials": serials_of(order),
            },
        )
    assert response.status_code == 404
    assert "We found no order with these details" in response.content.decode()
    assert nothing_written() == (0, 0, 0, 0)


# --- Care --------------------------------------------------------------------------------------


@pytest.mark.promise("TOS-24")
def test_care_agent_begins_a_claim_for_a_caller(staff_client: Any) -> None:
    care = staff_client("care_agent")
    order = shipped_order()
    with clock.frozen(LATER):
        response = care.post(
            "/back-office/care/rmas/new/",
            {
                "mode": "order",
                "o-order_number": order.number,
                "o-serials_text": " ".join(s.lower() for s in serials_of(order)),
                "o-kind": "warranty",
                "o-return_method": "label",
                "o-problem": "Caller says it will not pair.",
            },
        )
        assert response.status_code == 302
        rma = Rma.objects.get()
        page = care.get(f"/back-office/care/rmas/{rma.number}/")
    assert page.status_code == 200 and rma.number in page.content.decode()
    assert (rma.requested_by, rma.kind, rma.state) == (care.user, "warranty", "issued")
    assert AuditEvent.objects.filter(
        actor=care.user, object_type="aftersales.Rma", object_id=str(rma.pk), action="created"
    ).exists()


def dealer_body(**overrides: Any) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {
        "mode": "dealer",
        "d-serial": "EO1C25999001",
        "d-retail_purchased_on": "2026-06-01",
        "d-dealer": "Best Sound Ltd.",
        "d-receipt": SimpleUploadedFile("receipt.png", PNG, content_type="image/png"),
        "d-contact_name": "Grace Hopper",
        "d-email": "grace@example.com",
        "d-phone": "+1 613 555 0100",
        "d-address_line": "1 Wellington Street",
        "d-city": "Ottawa",
        "d-province": "ON",
        "d-postal_code": "K1A 0A9",
        "d-problem": "It hums.",
    }
    body.update(overrides)
    return body


@pytest.mark.promise("TOS-23")
def test_care_agent_begins_a_dealer_claim_with_the_receipt_kept_encrypted(
    staff_client: Any,
) -> None:
    care = staff_client("care_agent")
    with clock.frozen(LATER):
        response = care.post("/back-office/care/rmas/new/", dealer_body())
    assert response.status_code == 302
    rma = Rma.objects.get()
    assert (rma.channel, rma.order, rma.kind, rma.retail_purchased_on, rma.dealer) == (
        "dealer",
        None,
        "warranty",
        dt.date(2026, 6, 1),
        "Best Sound Ltd.",
    )
    assert [(u.serial, u.sku, u.unit) for u in rma.units.all()] == [("EO1C25999001", SKU, None)]
    proof = DealerProof.objects.get(rma=rma)
    assert (proof.content_type, proof.size) == ("image/png", len(PNG))
    from hearth.aftersales.services import receipt_bytes

    assert receipt_bytes(proof) == PNG
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM aftersales_dealerproof WHERE id = %s", [proof.pk])
        stored = cursor.fetchone()[0]
    assert "iVBORw0KGgo" not in stored  # the base64 of the PNG header never reaches the table


@pytest.mark.parametrize(
    ("receipt", "message"),
    [
        (b"GIF89a" + b"\x00" * 100, "must be a photo (JPEG, PNG or WebP) or a PDF"),
        (b"%PDF-1.7\n" + b"\x00" * (5 * 1024 * 1024), "at most 5 MB"),
    ],
)
def test_dealer_receipt_too_big_or_not_an_image_or_pdf_is_refused_and_nothing_changes(
    staff_client: Any, receipt: bytes, message: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    care = staff_client("care_agent")
    with clock.frozen(LATER):
        response = care.post(
            "/back-office/care/rmas/new/",
            dealer_body(**{"d-receipt": SimpleUploadedFile("r.pdf", receipt)}),
        )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "id_d-receipt_errors" in response.content.decode()
    assert nothing_written() == (0, 0, 0, 0)
    assert DealerProof.objects.count() == 0


@pytest.mark.promise("TOS-23")
def test_dealer_claim_past_the_warranty_year_is_refused_with_the_reason(
    staff_client: Any,
) -> None:
    care = staff_client("care_agent")
    with clock.frozen(LATER):
        response = care.post(
            "/back-office/care/rmas/new/", dealer_body(**{"d-retail_purchased_on": "2025-11-11"})
        )
    assert response.status_code == 400
    assert "the window for this claim has closed" in response.content.decode()
    assert nothing_written() == (0, 0, 0, 0)


def test_only_care_may_begin_one_in_the_back_office(staff_client: Any) -> None:
    warehouse = staff_client("warehouse")
    response = warehouse.post("/back-office/care/rmas/new/", dealer_body())
    assert response.status_code == 403
    assert nothing_written() == (0, 0, 0, 0)
    assert Client().get("/back-office/care/rmas/new/").status_code == 302


@pytest.mark.promise("TOS-24")
def test_care_cancels_an_issued_rma_once_and_the_customer_is_told(staff_client: Any) -> None:
    care = staff_client("care_agent")
    order = shipped_order()
    with clock.frozen(LATER):
        care.post(
            "/back-office/care/rmas/new/",
            {
                "mode": "order",
                "o-order_number": order.number,
                "o-serials_text": serials_of(order)[0],
                "o-kind": "return",
            },
        )
        rma = Rma.objects.get()
        url = f"/back-office/care/rmas/{rma.number}/"
        assert care.post(url, {"note": "Caller changed their mind."}).status_code == 302
        again = care.post(url, {"note": "twice"})
    rma.refresh_from_db()
    assert rma.state == "cancelled"
    assert again.status_code == 409
    assert "not possible for the RMA in its current state" in again.content.decode()
    assert list(rma.events.values_list("kind", "note"))[-1] == (
        "cancel",
        "Caller changed their mind.",
    )
    assert OutboundMessage.objects.filter(key=f"rma:{rma.pk}:cancelled").count() == 1
    assert AuditEvent.objects.filter(
        actor=care.user, object_type="aftersales.Rma", action="viewed"
    ).exists()


def test_care_reads_a_dealer_receipt_and_each_read_is_audited(staff_client: Any) -> None:
    care = staff_client("care_agent")
    warehouse = staff_client("warehouse")
    with clock.frozen(LATER):
        care.post("/back-office/care/rmas/new/", dealer_body())
        rma = Rma.objects.get()
        receipt = care.get(f"/back-office/care/rmas/{rma.number}/receipt/")
        refused = warehouse.get(f"/back-office/care/rmas/{rma.number}/receipt/")
    assert receipt.status_code == 200
    assert (receipt["Content-Type"], receipt.content) == ("image/png", PNG)
    assert refused.status_code == 403
    proof = DealerProof.objects.get(rma=rma)
    assert AuditEvent.objects.filter(
        actor=care.user,
        object_type="aftersales.DealerProof",
        object_id=str(proof.pk),
        action="viewed",
    ).exists()
