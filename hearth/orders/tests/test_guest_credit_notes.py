"""A guest sees the order's credit notes on the /track/ page and downloads each PDF by a signed
link (owner-only like My Stuff); finance sees the order's refunds inline in the admin."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client

from hearth.orders.credit import refund_return
from hearth.orders.guest_links import CREDIT_NOTE_SALT, credit_note_token
from hearth.orders.tests.conftest import T0
from hearth.orders.tests.test_credit_notes import shipped

pytestmark = [pytest.mark.promise("TOS-22"), pytest.mark.promise("TOS-24")]


def track(client: Client, order, *, email: str = "ada@example.com") -> str:
    page = client.post(
        "/track/", {"number": order.number, "email": email, "postal_code": "M5H 2N2"}
    )
    return page.content.decode()


def test_a_guest_downloads_the_credit_note_from_the_track_page(speaker) -> None:
    order = shipped()
    note = refund_return(order=order, lines={"EO-ONE-OAK": 1}, reference="RMA-1", actor=None, at=T0)
    guest = Client()
    page = track(guest, order)
    token = credit_note_token(note)
    url = f"/orders/guest-credit-notes/{token}.pdf"
    assert "Refunds for returns" in page and url in page
    pdf = Client().get(url)  # the link itself is the proof, on any browser, for a day
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f"Credit note number: {note.number}".encode() in pdf.content


def test_a_wrong_look_up_shows_no_credit_note_and_forged_links_find_nothing(speaker) -> None:
    order = shipped()
    note = refund_return(order=order, lines={"EO-ONE-OAK": 1}, reference="RMA-1", actor=None, at=T0)
    page = track(Client(), order, email="someone.else@example.com")
    assert note.number not in page and "guest-credit-notes" not in page
    token = credit_note_token(note)
    other = signing.dumps([order.number, "CN-0-9"], salt=CREDIT_NOTE_SALT, compress=True)
    wrong_salt = signing.dumps([order.number, note.number], salt="elsewhere", compress=True)
    for bad in (token[:-2] + "xx", other, wrong_salt, "nothing"):
        assert Client().get(f"/orders/guest-credit-notes/{bad}.pdf").status_code == 404


def test_finance_sees_the_orders_refunds_inline(speaker, staff_client) -> None:
    order = shipped()
    refund_return(order=order, lines={"EO-ONE-OAK": 1}, reference="RMA-1", actor=None, at=T0)
    page = staff_client("finance").get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200
    assert 'id="refunds-group"' in page.content.decode()
