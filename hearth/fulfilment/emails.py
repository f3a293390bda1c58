"""The shipping confirmation (TOS-13): carrier, tracking code and a link, sent once per shipment
(recorded on the shipment under a row lock, so a task run twice sends once)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from hearth.fulfilment import carriers
from hearth.fulfilment.models import Shipment


def send_shipping_confirmation(*, shipment_id: int, at: dt.datetime) -> bool:
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().select_related("order").get(pk=shipment_id)
        if shipment.confirmation_sent_at is not None:
            return False
        order = shipment.order
        carrier = carriers.carrier(shipment.carrier)
        with translation.override(settings.LANGUAGE_CODE):
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
        EmailMessage(subject.strip(), text.lstrip(), None, [order.email]).send()
        shipment.confirmation_sent_at = at
        shipment.save(update_fields=["confirmation_sent_at"])
    return True
