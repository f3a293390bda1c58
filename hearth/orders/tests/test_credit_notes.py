"""Refunds of returned units with a credit note (issue #13, TOS-22, TOS-24): the full price with
tax back to the original payment method, a credit note in its own series emailed with its PDF,
each tax component at the invoice's rate; refunding twice or beyond the invoice is refused and
changes nothing."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.accounts.tests.conftest import make_customer
from hearth.catalog.models import Variant
from hearth.core.errors import DomainError
from hearth.core.models import AuditEvent
from hearth.fulfilment.models import Unit
from hearth.orders.credit import refund_return
from hearth.orders.models import CreditNote, Order, OrderRefund, OrderStatus, SentOrderEmail
from hearth.orders.services import (
    mark_delivered,
    mark_packed,
    mark_shipped,
    place_order,
    release_order,
    start_picking,
)
from hearth.orders.tests.conftest import (
    APPROVE_VISA,
    T0,
    card_token,
    draft,
    make_variant,
)
from hearth.payments.selectors import payment

pytestmark = [pytest.mark.promise("TOS-22"), pytest.mark.promise("TOS-24")]

QC_ADDRESS = {
    "lines": ["1 rue Sainte-Catherine"],
    "city": "Montréal",
    "province": "QC",
    "postal_code": "H2X 1K4",
    "country": "CA",
}


def shipped(lines=None, *, key="k", address=None, customer=None) -> Order:
    order = place_order(
        draft=draft(
            lines,
            address=address,
            customer=customer,
            email=getattr(customer, "email", None) or "ada@example.com",
        ),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=key,
        channel="web",
        at=T0,
    )
    order = release_order(order=order, actor=None, at=T0)
    for move in (start_picking, mark_packed, mark_shipped, mark_delivered):
        move(order=order, actor=None, at=T0)
    for line in order.lines.all():
        for index in range(line.quantity):
            Unit.objects.create(
                serial=f"SN-{order.number}-{line.sku}-{index}",
                sku=line.sku,
                order_line=line,
                captured_at=T0,
                shipped_on=T0.date(),
            )
    order.refresh_from_db()
    return order


def test_a_returned_unit_is_refunded_in_full_with_a_credit_note_emailed_as_pdf(
    speaker, customer, smtp_server, django_capture_on_commit_callbacks
):
    order = shipped()
    smtp_server.wait_for(2)  # confirmation and tax invoice
    smtp_server.messages.clear()
    serial = f"SN-{order.number}-EO-ONE-OAK-0"
    with django_capture_on_commit_callbacks(execute=True):
        note = refund_return(
            order=order, serials=[serial], reference="RMA-AB12CD34", actor=customer, at=T0
        )
    digits = order.number.removeprefix("EO-")
    assert note.number == f"CN-{digits}-1"
    assert (note.total, note.total_tax, note.subtotal) == (
        Decimal("224.87"),
        Decimal("25.87"),
        Decimal("199.00"),
    )
    assert note.tax_components == [{"code": "HST", "rate": "0.13", "amount": "25.87"}]
    [line] = note.lines.all()
    assert (line.sku, line.quantity, line.serials) == ("EO-ONE-OAK", 1, [serial])
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED  # everything captured is back
    paid = payment(order.payment_id)
    assert (paid.refunded_amount, paid.refundable) == (Decimal("224.87"), Decimal("0.00"))
    assert note.refund is not None and note.refund.amount == Decimal("224.87")
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == f"Credit note {note.number} for your order {order.number}"
    assert mail["To"] == "ada@example.com"
    body = mail.get_body(("plain",)).get_content()
    assert "refunded $224.87, tax included, to your original payment method" in body
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == f"credit-note-{note.number}.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF")
    for text in (
        b"Credit note",
        f"Credit note number: {note.number}".encode(),
        f"Credits tax invoice {order.invoice_number}".encode(),
        b"Return: RMA-AB12CD34",
        serial.encode(),
        b"HST 13%",
        b"$25.87",
        b"$224.87",
    ):
        assert text in pdf, text
    assert set(
        AuditEvent.objects.filter(object_id__in=[str(order.pk), str(note.pk)]).values_list(
            "object_type", "action"
        )
    ) >= {("orders.Order", "money_moved"), ("orders.CreditNote", "created")}


def test_partial_returns_credit_each_component_and_add_up_to_the_invoice(speaker):
    make_variant("EO-TWO-ASH", "49.99", 5)
    order = shipped([("EO-ONE-OAK", 2), ("EO-TWO-ASH", 1)], address=QC_ADDRESS)
    invoice = {c["code"]: Decimal(c["amount"]) for c in order.tax_components}
    assert set(invoice) == {"GST", "QST"}
    first = refund_return(
        order=order,
        serials=[f"SN-{order.number}-EO-ONE-OAK-1"],
        reference="RMA-1",
        actor=None,
        at=T0,
    )
    second = refund_return(
        order=order, lines={"EO-TWO-ASH": 1, "EO-ONE-OAK": 1}, reference="RMA-2", actor=None, at=T0
    )
    assert [first.sequence, second.sequence] == [1, 2]
    assert first.number.endswith("-1") and second.number.endswith("-2")
    for code, charged in invoice.items():
        rate = next(c["rate"] for c in order.tax_components if c["code"] == code)
        credited = [
            Decimal(c["amount"])
            for n in (first, second)
            for c in n.tax_components
            if c["code"] == code
        ]
        assert all(
            c["rate"] == rate
            for n in (first, second)
            for c in n.tax_components
            if c["code"] == code
        )
        assert sum(credited) == charged
    assert first.total + second.total == order.grand_total
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED


def _nothing_changed(order: Order, *, notes: int = 0, refunded: str = "0.00") -> None:
    order.refresh_from_db()
    assert CreditNote.objects.filter(order=order).count() == notes
    assert OrderRefund.objects.filter(order=order).count() == notes
    assert payment(order.payment_id).refunded_amount == Decimal(refunded)
    assert (
        SentOrderEmail.objects.filter(order=order, kind__startswith="credit_note").count() == notes
    )


def test_refunding_the_same_return_twice_is_refused(speaker):
    order = shipped([("EO-ONE-OAK", 2)])
    note = refund_return(order=order, lines={"EO-ONE-OAK": 1}, reference="RMA-1", actor=None, at=T0)
    with pytest.raises(DomainError) as caught:
        refund_return(order=order, lines={"EO-ONE-OAK": 1}, reference="RMA-1", actor=None, at=T0)
    assert (caught.value.code, caught.value.status) == ("already_refunded", 409)
    _nothing_changed(order, notes=1, refunded=str(note.total))
    assert order.status == OrderStatus.DELIVERED


def test_refunding_a_serial_already_refunded_is_refused(speaker):
    order = shipped([("EO-ONE-OAK", 2)])
    serial = f"SN-{order.number}-EO-ONE-OAK-0"
    note = refund_return(order=order, serials=[serial], reference="RMA-1", actor=None, at=T0)
    with pytest.raises(DomainError) as caught:
        refund_return(order=order, serials=[serial], reference="RMA-2", actor=None, at=T0)
    assert caught.value.code == "already_refunded"
    assert serial in str(caught.value.message)
    _nothing_changed(order, notes=1, refunded=str(note.total))


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"lines": {"EO-ONE-OAK": 2}}, "credit_exceeds_invoice"),
        ({"lines": {"EO-NOT-SOLD": 1}}, "credit_exceeds_invoice"),
        ({"lines": {"EO-ONE-OAK": 0}}, "nothing_returned"),
        ({}, "nothing_returned"),
        ({"serials": ["SN-SOMEONE-ELSES"]}, "unknown_serial"),
        ({"lines": {"EO-ONE-OAK": 1}, "reference": "  "}, "reference_required"),
    ],
)
def test_a_credit_note_larger_than_the_invoice_or_naming_nothing_is_refused(speaker, kwargs, code):
    order = shipped()
    arguments = {"reference": "RMA-1", **kwargs}
    with pytest.raises(DomainError) as caught:
        refund_return(order=order, actor=None, at=T0, **arguments)
    assert caught.value.code == code
    _nothing_changed(order)
    assert order.status == OrderStatus.DELIVERED


def test_a_return_of_an_order_not_shipped_is_refused(speaker):
    order = place_order(
        draft=draft(),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key="k",
        channel="web",
        at=T0,
    )
    with pytest.raises(DomainError) as caught:
        refund_return(order=order, lines={"EO-ONE-OAK": 1}, reference="RMA-1", actor=None, at=T0)
    assert caught.value.code == "return_before_shipment"
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert not CreditNote.objects.exists()


def test_my_stuff_shows_the_credit_note_next_to_the_invoice_to_its_owner_only(speaker, customer):
    order = shipped(customer=customer)
    note = refund_return(order=order, lines={"EO-ONE-OAK": 1}, reference="RMA-1", actor=None, at=T0)
    client = Client()
    client.force_login(customer)
    page = client.get(f"/my-stuff/orders/{order.number}/").content.decode()
    assert "Download the tax invoice" in page
    url = f"/my-stuff/orders/{order.number}/credit-notes/{note.number}.pdf"
    assert url in page and "Return RMA-1: $224.87 refunded" in page
    pdf = client.get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f"Credit note number: {note.number}".encode() in pdf.content
    other = Client()
    other.force_login(make_customer("bob@example.com", "Bob Example"))
    assert other.get(url).status_code == 404
    assert client.get(f"/my-stuff/orders/{order.number}/credit-notes/CN-0-9.pdf").status_code == 404


BC_ADDRESS_ = {
    "lines": ["800 Robson Street"],
    "city": "Vancouver",
    "province": "BC",
    "postal_code": "V6Z 2E7",
    "country": "CA",
}
ITEMS = (("EO-ONE-OAK", "199.00", 2), ("EO-TWO-ASH", "49.99", 3), ("EO-SIX-ELM", "0.99", 1))
UNITS = tuple(sku for sku, _price, qty in ITEMS for _ in range(qty))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    address=st.sampled_from([None, QC_ADDRESS, BC_ADDRESS_]),
    order_of_units=st.permutations(UNITS),
    cuts=st.sets(st.integers(1, len(UNITS) - 1), max_size=len(UNITS) - 1),
    stop=st.integers(1, len(UNITS)),
)
def test_no_sequence_of_partial_returns_credits_more_than_the_invoice_per_component(
    address, order_of_units, cuts, stop
):
    """Through the database and the payment: any sequence of partial returns (by serial) credits
    each tax component at its invoiced rate, never beyond the invoice, and exactly the invoice
    (and the whole capture) once everything is back."""
    for sku, price, _qty in ITEMS:
        if not Variant.objects.filter(sku=sku).update(stock_on_hand=10_000):
            make_variant(sku, price, 10_000)
    order = shipped(
        [(sku, qty) for sku, _price, qty in ITEMS],
        key=f"prop-{Order.objects.count()}",
        address=address,
    )
    serials = {
        sku: [u.serial for u in Unit.objects.filter(sku=sku, order_line__order=order)]
        for sku, _price, _qty in ITEMS
    }
    bounds = [0, *sorted(c for c in cuts if c < stop), stop]
    invoiced = {c["code"]: (c["rate"], Decimal(c["amount"])) for c in order.tax_components}
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        batch = [serials[sku].pop() for sku in order_of_units[start:end]]
        refund_return(order=order, serials=batch, reference=f"RMA-{index}", actor=None, at=T0)
        credited = {code: Decimal("0.00") for code in invoiced}
        for note in CreditNote.objects.filter(order=order):
            for component in note.tax_components:
                rate, _charged = invoiced[component["code"]]
                assert component["rate"] == rate
                assert Decimal(component["amount"]) >= 0
                credited[component["code"]] += Decimal(component["amount"])
        assert all(credited[code] <= charged for code, (_rate, charged) in invoiced.items())
    notes = list(CreditNote.objects.filter(order=order))
    paid = payment(order.payment_id)
    assert paid.refunded_amount == sum((n.total for n in notes), Decimal("0.00"))
    if stop == len(UNITS):
        assert credited == {code: charged for code, (_rate, charged) in invoiced.items()}
        assert paid.refunded_amount == order.grand_total
        order.refresh_from_db()
        assert order.status == OrderStatus.REFUNDED


def test_finance_sees_the_credit_notes_on_the_order_and_downloads_their_pdf(speaker, staff_client):
    order = shipped()
    note = refund_return(order=order, lines={"EO-ONE-OAK": 1}, reference="RMA-1", actor=None, at=T0)
    finance = staff_client("finance")
    page = finance.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    url = f"/back-office/credit-notes/{note.number}.pdf"
    assert note.number in page and url in page
    pdf = finance.get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f"Credit note number: {note.number}".encode() in pdf.content
    assert staff_client("warehouse").get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the sign-in
    assert finance.get("/back-office/credit-notes/CN-0-9.pdf").status_code == 404
