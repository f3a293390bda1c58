"""A customer who bought in French reads every RMA email in French (issue #16): the return's
instructions, the warranty's quote (whose amounts are formatted as French writes them) and the
prepaid return label, even when a care agent or the warehouse works in English."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import translation
from pypdf import PdfReader

from hearth.aftersales.tests.test_warranty import inspected, ship_unit, warranty_rma
from hearth.comms.models import OutboundMessage
from hearth.core import clock
from hearth.fulfilment.tests.conftest import T0, released_order, variant
from hearth.orders.models import Order

pytestmark = pytest.mark.usefixtures("warehouse_setup")


@pytest.fixture
def catalogue() -> None:
    variant("EO-ONE-CHR", price="249.00", stock=10)


def _french_order() -> Order:
    with clock.frozen(T0):
        order = released_order([("EO-ONE-CHR", 1)], at=T0)
    Order.objects.filter(pk=order.pk).update(language="fr-ca")  # placed on a French page
    order.refresh_from_db()
    return order


@pytest.mark.promise("TOS-24")
def test_a_french_customers_warranty_emails_and_return_label_are_french(catalogue: None) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26000991", order=_french_order())
    with clock.frozen(T0), translation.override("en"):  # care and the warehouse in English
        rma = warranty_rma(unit, at=T0)
        rma = inspected(rma, exclusions=("abuse_or_misuse",))
    rows = {m.subject: m for m in OutboundMessage.objects.all() if rma.email in m.to_addresses}
    issued = f"Votre réclamation de garantie {rma.number} : comment nous envoyer le produit"
    quote = (
        f"Votre réclamation de garantie {rma.number} : non couverte, et ce que nous pouvons offrir"
    )
    subjects = {subject.replace("\u00a0", " ") for subject in rows}
    assert issued in subjects and quote in subjects, subjects
    [body] = [m.body for s, m in rows.items() if s.replace("\u00a0", " ") == quote]
    assert "Réparation payante" in body and "Consultez cette réclamation" in body
    amounts = re.findall(r"\d[\d\u00a0]*,\d\d\u00a0\$", body)
    assert len(amounts) == 2, body  # the repair and the replacement, as "123,45 $"
    assert not re.search(r"\$\d", body)  # no English "$123.45"
    rma.refresh_from_db()
    label = PdfReader(io.BytesIO(bytes(rma.label_pdf)))
    text = "\n".join(page.extract_text() for page in label.pages).replace("\u00a0", " ")
    assert "DESTINATAIRE :" in text and "RETOUR PRÉPAYÉ" in text
    assert "TO:" not in text


@pytest.mark.promise("TOS-13")
def test_a_french_orders_shipping_email_and_label_are_french(catalogue: None) -> None:
    from hearth.fulfilment.models import Shipment

    order = _french_order()
    with translation.override("en"):  # the warehouse works in English
        ship_unit("EO-ONE-CHR", "EO1C26000992", order=order)
    [mail] = [m for m in OutboundMessage.objects.all() if "expédiée" in m.subject]
    assert mail.subject == f"Votre commande {order.number} a été expédiée"
    body = mail.body.replace("\u00a0", " ")
    assert "Livraison prévue au plus tard le" in body
    assert re.search(r"le \d{1,2} \w+ 20\d\d\.", body), body  # "le 4 novembre 2026."
    shipment = Shipment.objects.get(order=order)
    label = PdfReader(io.BytesIO(bytes(shipment.label_pdf)))
    text = "\n".join(page.extract_text() for page in label.pages).replace("\u00a0", " ")
    assert "DESTINATAIRE :" in text and "EXPÉDITION" in text
