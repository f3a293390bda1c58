"""Warranty emails in the customer's language (issue #16 item 2), whoever acts: care staff working
in English resolve a French customer's claim and the customer reads French, reasons included."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from hearth.aftersales.tests.test_warranty import (
    catalogue,  # noqa: F401  (fixture)
    emails_to,
    inspected,
    ship_unit,
    warranty_rma,
)
from hearth.comms.models import OutboundMessage
from hearth.core import clock
from hearth.fulfilment.tests.conftest import T0
from hearth.orders.models import Order

pytestmark = pytest.mark.usefixtures("warehouse_setup", "catalogue")


def _french(serial: str):
    unit = ship_unit("EO-ONE-CHR", serial)
    Order.objects.filter(pk=unit.order_line.order_id).update(language="fr-ca")
    return unit


def test_care_in_english_resolves_a_french_customer_s_claim_and_the_emails_are_french(
    staff_client: Any,
) -> None:
    unit = _french("EO1C26000901")
    at = T0 + dt.timedelta(days=30)
    with clock.frozen(at):
        rma = inspected(warranty_rma(unit, at=at))
        care = staff_client("care_agent")
        with translation.override("en"):
            resolved = care.post(
                f"/back-office/warranty/{rma.number}/resolve/", {"resolution": "replacement"}
            )
        assert resolved.status_code == 302
    assert emails_to(rma.email)[-2:] == [
        f"Votre réclamation de garantie {rma.number} est couverte",
        f"Un remplacement pour la réclamation {rma.number} est en route",
    ]
    last = OutboundMessage.objects.order_by("id").last()
    assert last is not None and last.language == "fr-ca"
    assert "Consultez cette réclamation et répondez à toute offre" in last.body


def test_a_french_customer_is_told_in_french_why_a_claim_is_not_covered() -> None:
    unit = _french("EO1C26000902")
    at = T0 + dt.timedelta(days=60)
    with clock.frozen(at), translation.override("en"):
        rma = inspected(warranty_rma(unit, at=at), exclusions=("accident",))
    quote = OutboundMessage.objects.filter(key=f"rma:{rma.number}:warranty:quote").get()
    assert quote.language == "fr-ca"
    assert quote.subject.startswith(f"Votre réclamation de garantie {rma.number}")
    assert "Accidental damage" not in quote.body
    assert "Les dommages accidentels ne sont pas couverts par la garantie." in quote.body
    assert "We inspected" not in quote.body


def test_an_advance_replacement_charged_tells_a_french_customer_why_in_french() -> None:
    from django.test import Client

    from hearth.aftersales.tests.test_warranty import _request_advance

    unit = _french("EO1C26000903")
    with clock.frozen(T0), translation.override("en"):
        rma = warranty_rma(unit, at=T0)
        _request_advance(Client(), rma)
        rma = inspected(rma, exclusions=("accident",))  # staff working in English
    charged = OutboundMessage.objects.filter(key__endswith=":advance_charged").get()
    assert charged.language == "fr-ca"
    assert "Les dommages accidentels ne sont pas couverts par la garantie." in charged.body
    assert "Accidental damage" not in charged.body
