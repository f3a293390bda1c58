"""French documents and emails (issue #16 items 1-3): an order placed in French gets its
invoice, credit note, packing slip and every email in Quebec French, with French money and
dates and the taxes named TPS/TVQ, whatever language the worker or the warehouse runs in; an
order placed in English gets English. The PDFs are read back as text (pypdf), as a person or a
screen reader would read them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation
from pypdf import PdfReader

from hearth.fulfilment.documents import render_packing_slip_pdf
from hearth.fulfilment.selectors import packing
from hearth.orders.credit import refund_return
from hearth.orders.invoices import render_credit_note_pdf, render_invoice_pdf
from hearth.orders.models import Order
from hearth.orders.services import place_order
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft
from hearth.orders.tests.test_credit_notes import QC_ADDRESS, shipped

pytestmark = [pytest.mark.promise("TOS-11")]


def pdf_text(data: bytes) -> str:
    """The text of every page, no-break spaces read as spaces."""
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def place_in(language: str, *, key: str = "k", address: dict | None = None) -> Order:
    """Place an order as a shopper browsing in ``language`` does (the request's language)."""
    with translation.override(language):
        return place_order(
            draft=draft(address=address or QC_ADDRESS),
            payment_token=card_token(APPROVE_VISA),
            payment_method="card",
            idempotency_key=key,
            channel="web",
            at=T0,
        )


def test_the_invoice_of_a_french_order_is_french_with_tps_and_tvq(speaker):
    order = place_in("fr-ca")
    assert order.language == "fr-ca"
    with translation.override("en"):  # a worker or a staff page in English draws it
        text = pdf_text(render_invoice_pdf(order))
    for expected in (
        "Facture",
        f"Numéro de facture : {order.invoice_number}",
        "Date de la facture : 2 mars 2026",
        "Marchandises avant taxes",
        "Sous-total taxable",
        "TPS 5 %",
        "9,95 $",
        "TVQ 9,975 %",
        "19,85 $",
        "228,80 $",
        "Total des taxes",
    ):
        assert expected in text, expected
    for english in ("Tax invoice", "GST", "QST 9", "Goods before tax", "$228.80"):
        assert english not in text, english


def test_the_invoice_of_an_english_order_stays_english(speaker):
    order = place_in("en")
    with translation.override("fr-ca"):
        text = pdf_text(render_invoice_pdf(order))
    for expected in ("Tax invoice", "Invoice date: March 2, 2026", "GST 5%", "QST 9.975%"):
        assert expected in text, expected
    assert "$228.80" in text
    assert "TPS" not in text and "Facture" not in text


def test_an_order_from_before_the_language_was_recorded_is_english(speaker):
    order = place_in("fr-ca")
    Order.objects.filter(pk=order.pk).update(language="")
    order.refresh_from_db()
    text = pdf_text(render_invoice_pdf(order))
    assert "Tax invoice" in text and "GST 5%" in text


def test_the_credit_note_of_a_french_order_is_french(speaker, customer):
    with translation.override("fr-ca"):
        order = shipped(address=QC_ADDRESS, customer=customer)
    assert order.language == "fr-ca"
    serial = f"SN-{order.number}-EO-ONE-OAK-0"
    note = refund_return(order=order, serials=[serial], reference="RMA-1", actor=None, at=T0)
    text = pdf_text(render_credit_note_pdf(note))
    for expected in ("Note de crédit", "TPS 5 %", "TVQ 9,975 %", "228,80 $", "2 mars 2026"):
        assert expected in text, expected
    assert "Credit note" not in text and "GST" not in text


def test_the_packing_slip_of_a_french_order_is_french(speaker):
    order = place_in("fr-ca")
    with translation.override("en"):  # the warehouse works in English
        text = pdf_text(render_packing_slip_pdf(packing(order.number)))
    assert "Livrer à :" in text and "Quantité" in text and "Numéros de série" in text
    assert "Ship to:" not in text


@pytest.mark.promise("TOS-7")
def test_email_language_follows_the_customer_through_the_worker(
    transactional_db, speaker, smtp_server, settings, django_capture_on_commit_callbacks
):
    """Placing queues the confirmation and the invoice; the database worker renders them later,
    in English by default: each customer still reads their own language."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        french = place_in("fr-ca", key="fr")
    with django_capture_on_commit_callbacks(execute=True):
        english = place_in("en", key="en", address=QC_ADDRESS)
    assert smtp_server.messages == []  # nothing rendered or sent by the placing requests
    with translation.override("en"):
        call_command(
            "db_worker",
            "--batch",
            "--queue-name=*",
            "--no-startup-delay",
            "--no-reload",
            verbosity=0,
        )
    messages = smtp_server.wait_for(4)
    subjects = {str(m["Subject"]): m for m in messages}
    assert set(subjects) == {
        f"Votre commande {french.number} est confirmée",
        f"Facture {french.invoice_number}",
        f"Your order {english.number} is confirmed",
        f"Tax invoice {english.invoice_number}",
    }
    body = subjects[f"Votre commande {french.number} est confirmée"].get_body(("plain",))
    french_text = body.get_content().replace("\u00a0", " ")
    assert "Bonjour Ada Lovelace" in french_text
    assert "TPS (5 %): 9,95 $" in french_text
    assert "TVQ (9,975 %): 19,85 $" in french_text
    assert "228,80 $" in french_text
    body = subjects[f"Your order {english.number} is confirmed"].get_body(("plain",))
    english_text = body.get_content()
    assert "Hello Ada Lovelace" in english_text
    assert "GST (5%): $9.95" in english_text and "QST (9.975%): $19.85" in english_text
    invoice = subjects[f"Facture {french.invoice_number}"]
    [attachment] = list(invoice.iter_attachments())
    text = pdf_text(attachment.get_content())
    assert "TPS 5 %" in text and "TVQ 9,975 %" in text and "Facture" in text
    assert Decimal(french.grand_total) == Decimal("228.80")


def test_status_words_agree_with_what_they_describe_in_french() -> None:
    """pgettext contexts (issue #16 item 6): "Delivered" is "Livrée" for an order (une commande)
    and "Livré" for a shipment (un envoi); "Closed" is "Fermé" for a care case (un dossier);
    "Open" is "Ouverte" for a data request (une demande)."""
    from hearth.care.models import State as CaseStateChoice
    from hearth.fulfilment.models import ShipmentStatus
    from hearth.orders.models import OrderStatus
    from hearth.privacy.models import DataRequestStatus

    with translation.override("fr-ca"):
        assert str(OrderStatus.DELIVERED.label) == "Livrée"
        assert str(OrderStatus.RETURNED_TO_SENDER.label) == "Retournée à l’expéditeur"
        assert str(ShipmentStatus.DELIVERED.label) == "Livré"
        assert str(ShipmentStatus.RETURNED_TO_SENDER.label) == "Retourné à l’expéditeur"
        assert str(CaseStateChoice.CLOSED.label) == "Fermé"
        assert str(DataRequestStatus.OPEN.label) == "Ouverte"
    with translation.override("en"):
        assert str(OrderStatus.DELIVERED.label) == str(ShipmentStatus.DELIVERED.label)
