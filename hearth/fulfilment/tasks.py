"""Background work for fulfilment (django_tasks): the shipping confirmation, safe to run twice."""

from __future__ import annotations

from django_tasks import task

from hearth.core import clock


@task(queue_name="email")
def send_shipping_confirmation(shipment_id: int) -> bool:
    """TOS-13: carrier, tracking code and link, once per shipment (False: already sent)."""
    from hearth.fulfilment import emails

    return emails.send_shipping_confirmation(shipment_id=shipment_id, at=clock.now())
