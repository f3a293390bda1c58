"""Background work for orders (django_tasks). Each task fetches the order by ID and is safe to run
twice: emails are recorded as sent (SentOrderEmail) and releasing a released order does nothing.

Queues: ``email`` for the emails, ``default`` for releasing paid orders.
"""

from __future__ import annotations

from django_tasks import task

from hearth.core import clock


@task(queue_name="email")
def send_order_confirmation(order_id: int) -> bool:
    """TOS-7: the order confirmation. Returns whether it was sent now (False: already sent)."""
    from hearth.orders import emails

    return emails.send_confirmation(order_id=order_id, at=clock.now())


@task(queue_name="email")
def send_tax_invoice(order_id: int) -> bool:
    """TOS-11: the tax invoice, as a PDF attachment, to the address given with the order."""
    from hearth.orders import emails

    return emails.send_tax_invoice(order_id=order_id, at=clock.now())


@task(queue_name="email")
def send_ship_date_changed(order_id: int, event_id: int, sku: str, new_date: str) -> bool:
    """TOS-20: a line's new expected ship date (ISO ``new_date``), once per change."""
    import datetime as dt

    from hearth.orders import emails

    return emails.send_ship_date_changed(
        order_id=order_id,
        event_id=event_id,
        sku=sku,
        new=dt.date.fromisoformat(new_date),
        at=clock.now(),
    )


@task(queue_name="default")
def release_paid_order(order_id: int) -> str:
    """Capture and release an order whose payment was authorised without review (TOS-8)."""
    from hearth.orders.models import Order, OrderStatus
    from hearth.orders.services import release_order, waiting_for_stock

    order = Order.objects.get(pk=order_id)
    if order.status != OrderStatus.PLACED:
        return str(order.status)
    if waiting_for_stock(order):
        # Captured when received stock is allocated to it (allocate_received_stock).
        return "waiting_for_stock"
    return str(release_order(order=order, actor=None, at=clock.now()).status)


@task(queue_name="email")
def send_order_cancelled(order_id: int) -> bool:
    """TOS-6: the order is cancelled, with its reason and the refund or void (once)."""
    from hearth.orders import emails

    return emails.send_cancelled(order_id=order_id, at=clock.now())


@task(queue_name="email")
def send_refund_issued(order_id: int, refund_id: int) -> bool:
    """A refund after shipment: amount and reason (once per refund)."""
    from hearth.orders import emails

    return emails.send_refund_issued(order_id=order_id, refund_id=refund_id, at=clock.now())


@task(queue_name="email")
def send_stock_allocated(order_id: int, event_id: int, sku: str) -> bool:
    """TOS-20: stock arrived for a pre-order or backorder line; the order's new ship date."""
    from hearth.orders import emails

    return emails.send_stock_allocated(
        order_id=order_id, event_id=event_id, sku=sku, at=clock.now()
    )


@task(queue_name="email")
def send_pay_again(order_id: int) -> bool:
    """A lapsed authorisation could not be renewed: the customer is asked to pay again."""
    from hearth.orders import emails

    return emails.send_pay_again(order_id=order_id, at=clock.now())
