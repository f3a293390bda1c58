"""The shipping confirmation (TOS-13): carrier, tracking code and a link.

Queued in comms' outbound queue (``hearth.comms.services.queue_message``) inside the shipping
transaction, keyed by the shipment, so it is sent once after the commit, and never if shipping
rolled back. Written in the order's language.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from hearth.comms.services import queue_message
from hearth.fulfilment import carriers
from hearth.fulfilment.models import Shipment
from hearth.orders.selectors import email_language


def queue_shipping_confirmation(*, shipment: Shipment, at: dt.datetime) -> None:
    """Call inside the transaction that ships ``shipment`` (the caller holds its row lock)."""
    order = shipment.order
    carrier = carriers.carrier(shipment.carrier)
    language = email_language(order)  # issue #16: the customer's, else the order's
    with translation.override(language):
        body = render_to_string(
            "fulfilment/email/shipped.txt",
            {
                "order": order,
                "shipment": shipment,
                "carrier_name": carrier.name,
                "tracking_url": carrier.tracking_url(shipment.tracking_code),
                "order_url": settings.HEARTH_SITE_URL
                + reverse("fulfilment:track")
                + f"?number={order.number}",
                "lines": list(order.lines.all()),
                "brand": settings.HEARTH_BRAND,
            },
        )
    subject, _sep, text = body.partition("\n")
    message = EmailMessage(subject.strip(), text.lstrip(), None, [order.email])
    queue_message(key=f"shipment:{shipment.pk}:shipped", message=message, at=at, language=language)
    shipment.confirmation_sent_at = at
    shipment.save(update_fields=["confirmation_sent_at"])
