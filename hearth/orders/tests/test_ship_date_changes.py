"""TOS-20: customers are told again when a pre-order or backorder item's expected ship date
changes, whether staff change it through the catalogue's service or in the back office."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from hearth.catalog.models import Availability, Variant
from hearth.catalog.services import set_expected_ship_date
from hearth.orders import tasks
from hearth.orders.models import (
    CancellationReason,
    Order,
    OrderEvent,
    OrderStatus,
    SentOrderEmail,
)
from hearth.orders.services import (
    cancel_order,
    notify_expected_ship_date_changed,
    place_order,
    release_order,
    set_status,
)
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft, make_variant

APRIL = dt.date(2026, 4, 15)  # a Wednesday
JUNE = dt.date(2026, 6, 10)  # a Wednesday
LATER = T0 + dt.timedelta(days=1)
WAL = "EO-ARC-WAL"


@pytest.fixture
def preorder() -> Variant:
    return make_variant(
        WAL,
        "499.00",
        0,
        availability=Availability.PREORDER,
        expected_ship_date=APRIL,
        name="Ember Arc",
    )


def place(key: str, lines: list[tuple[str, int]], email: str = "ada@example.com") -> Order:
    return place_order(
        draft=draft(lines=lines, email=email),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=key,
        channel="web",
        at=T0,
    )


def dates(order: Order) -> tuple[dt.date | None, dt.date | None, dt.date | None, dt.date | None]:
    order.refresh_from_db()
    return (
        order.lines.get(sku=WAL).expected_ship_date,
        order.ship_date,
        order.delivery_earliest,
        order.delivery_latest,
    )


def ship_date_emails(order: Order) -> list[str]:
    return sorted(
        SentOrderEmail.objects.filter(order=order, kind__startswith="ship_date:").values_list(
            "kind", flat=True
        )
    )


@pytest.mark.promise("TOS-20")
def test_a_new_date_re_dates_open_orders_and_emails_each_customer_once(
    speaker, preorder, smtp_server, django_capture_on_commit_callbacks
):
    mixed = place("k1", [("EO-ONE-OAK", 1), (WAL, 1)], email="ada@example.com")
    alone = place("k2", [(WAL, 2)], email="grace@example.com")
    assert dates(mixed) == (APRIL, APRIL, dt.date(2026, 4, 17), dt.date(2026, 4, 20))

    with django_capture_on_commit_callbacks(execute=True):
        set_expected_ship_date(sku=WAL, expected_ship_date=JUNE, actor=None, at=LATER)

    messages = smtp_server.wait_for(2)
    assert len(messages) == 2
    june = (JUNE, JUNE, dt.date(2026, 6, 12), dt.date(2026, 6, 15))
    assert dates(mixed) == june
    assert dates(alone) == june
    assert mixed.lines.get(sku="EO-ONE-OAK").expected_ship_date is None
    by_to = {m["To"]: m for m in messages}
    assert sorted(by_to) == ["ada@example.com", "grace@example.com"]
    mail = by_to["ada@example.com"]
    assert mail["Subject"] == f"A new expected ship date for your order {mixed.number}"
    body = mail.get_body(("plain",)).get_content()
    assert "Ember Arc (Oak, EO-ARC-WAL) — expected to ship June 10, 2026" in body
    assert (
        "Your order ships together: expected to ship on June 10, 2026; "
        "delivery between June 12, 2026 and June 15, 2026." in body
    )
    assert "EO-ONE-OAK" not in body
    event = OrderEvent.objects.filter(order=mixed).last()
    assert (event.from_status, event.to_status, event.at, event.note) == (
        OrderStatus.PLACED,
        OrderStatus.PLACED,
        LATER,
        "Expected ship date of EO-ARC-WAL changed from 2026-04-15 to 2026-06-10.",
    )
    assert ship_date_emails(mixed) == [f"ship_date:2026-06-10:{event.pk}"]

    # Told twice (the same date saved again, the orders' service and the email task retried):
    # nothing changes and nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        set_expected_ship_date(sku=WAL, expected_ship_date=JUNE, actor=None, at=LATER)
        again = notify_expected_ship_date_changed(sku=WAL, old=APRIL, new=JUNE, at=LATER)
    assert again == []
    assert tasks.send_ship_date_changed.call(mixed.pk, event.pk, WAL, "2026-06-10") is False
    assert len(smtp_server.messages) == 2
    assert OrderEvent.objects.filter(order=mixed, note__startswith="Expected ship").count() == 1


@pytest.mark.promise("TOS-20")
def test_each_later_change_is_told_again_even_back_to_an_earlier_date(
    preorder, smtp_server, django_capture_on_commit_callbacks
):
    order = place("k1", [(WAL, 1)])
    for day in (JUNE, APRIL):
        with django_capture_on_commit_callbacks(execute=True):
            set_expected_ship_date(sku=WAL, expected_ship_date=day, actor=None, at=LATER)
    messages = smtp_server.wait_for(2)
    assert len(messages) == 2
    bodies = [m.get_body(("plain",)).get_content() for m in messages]
    assert "expected to ship June 10, 2026" in bodies[0]
    assert "expected to ship April 15, 2026" in bodies[1]
    assert dates(order) == (APRIL, APRIL, dt.date(2026, 4, 17), dt.date(2026, 4, 20))
    assert [kind.split(":")[1] for kind in ship_date_emails(order)] == [
        "2026-04-15",
        "2026-06-10",
    ]


@pytest.mark.promise("TOS-20")
def test_shipped_and_cancelled_orders_are_untouched(
    preorder, smtp_server, django_capture_on_commit_callbacks
):
    released = release_order(order=place("k1", [(WAL, 1)]), actor=None, at=T0)
    shipped = set_status(order=place("k2", [(WAL, 1)]), to=OrderStatus.RELEASED, actor=None, at=T0)
    for step in (OrderStatus.PICKING, OrderStatus.PACKED, OrderStatus.SHIPPED):
        shipped = set_status(order=shipped, to=step, actor=None, at=T0)
    cancelled = cancel_order(
        order=place("k3", [(WAL, 1)]),
        reason=CancellationReason.MANIFEST_ERROR,
        actor=None,
        at=T0,
    )
    april = (APRIL, APRIL, dt.date(2026, 4, 17), dt.date(2026, 4, 20))
    events_before = {o.pk: o.events.count() for o in (shipped, cancelled)}

    with django_capture_on_commit_callbacks(execute=True):
        changed = set_expected_ship_date(sku=WAL, expected_ship_date=JUNE, actor=None, at=LATER)
    assert changed.expected_ship_date == JUNE

    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == f"A new expected ship date for your order {released.number}"
    assert dates(released) == (JUNE, JUNE, dt.date(2026, 6, 12), dt.date(2026, 6, 15))
    for order in (shipped, cancelled):
        assert dates(order) == april
        assert order.events.count() == events_before[order.pk]
        assert ship_date_emails(order) == []
    assert len(smtp_server.messages) == 1


@pytest.mark.promise("TOS-20")
def test_a_date_taken_away_leaves_the_ship_date_unknown_and_sends_nothing(
    preorder, smtp_server, django_capture_on_commit_callbacks
):
    order = place("k1", [(WAL, 1)])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        set_expected_ship_date(sku=WAL, expected_ship_date=None, actor=None, at=LATER)
    assert callbacks == []
    assert dates(order) == (None, None, None, None)
    assert order.events.last().note == (
        "Expected ship date of EO-ARC-WAL changed from 2026-04-15 to not known yet."
    )
    assert ship_date_emails(order) == []


@pytest.mark.promise("TOS-20")
def test_a_line_sold_in_stock_keeps_its_terms_when_the_sku_goes_on_backorder(
    speaker, smtp_server, django_capture_on_commit_callbacks
):
    order = place("k1", [("EO-ONE-OAK", 1)])
    before = (order.ship_date, order.delivery_earliest, order.delivery_latest)
    Variant.objects.filter(sku="EO-ONE-OAK").update(availability=Availability.BACKORDER)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        set_expected_ship_date(sku="EO-ONE-OAK", expected_ship_date=JUNE, actor=None, at=LATER)
    assert callbacks == []
    order.refresh_from_db()
    assert (order.ship_date, order.delivery_earliest, order.delivery_latest) == before
    assert order.lines.get().expected_ship_date is None


def _admin_post(client: Client, variant: Variant, day: str) -> int:
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "colour": variant.colour,
        "price": "499.00",
        "availability": variant.availability,
        "expected_ship_date": day,
    }
    return client.post(f"/admin/catalog/variant/{variant.pk}/change/", data).status_code


@pytest.mark.promise("TOS-20")
def test_changing_the_date_in_the_back_office_tells_the_customers(
    preorder,
    smtp_server,
    staff_client: Callable[[str], Client],
    django_capture_on_commit_callbacks,
):
    order = place("k1", [(WAL, 1)])
    admin = staff_client("administrator")
    with django_capture_on_commit_callbacks(execute=True):
        assert _admin_post(admin, preorder, "2026-06-10") == 302
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == f"A new expected ship date for your order {order.number}"
    assert dates(order) == (JUNE, JUNE, dt.date(2026, 6, 12), dt.date(2026, 6, 15))
    preorder.refresh_from_db()
    assert preorder.expected_ship_date == JUNE
    event = order.events.last()
    assert event.actor.email == "administrator@example.com"
    # Saving the page again with the same date tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        assert _admin_post(admin, preorder, "2026-06-10") == 302
    assert len(smtp_server.messages) == 1


@pytest.mark.promise("TOS-20")
def test_the_product_page_inline_and_variant_list_go_through_the_same_service(
    preorder,
    smtp_server,
    staff_client: Callable[[str], Client],
    django_capture_on_commit_callbacks,
):
    order = place("k1", [(WAL, 1)])
    admin = staff_client("administrator")
    product = preorder.product
    inline = {
        "slug": product.slug,
        "name": product.name,
        "category": product.category,
        "summary": product.summary,
        "description": "",
        "image": product.image,
        "is_active": "on",
        "position": "100",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "1",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-id": str(preorder.pk),
        "variants-0-product": str(product.pk),
        "variants-0-sku": WAL,
        "variants-0-colour": "Oak",
        "variants-0-price": "499.00",
        "variants-0-availability": "preorder",
        "variants-0-expected_ship_date": "2026-06-10",
        "specifications-TOTAL_FORMS": "0",
        "specifications-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/catalog/product/{product.pk}/change/", inline)
    assert response.status_code == 302
    listing = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(preorder.pk),
        "form-0-price": "499.00",
        "form-0-availability": "preorder",
        "form-0-expected_ship_date": "2026-07-08",
        "_save": "Save",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/admin/catalog/variant/", listing)
    assert response.status_code == 302
    messages = smtp_server.wait_for(2)
    assert len(messages) == 2
    bodies = [m.get_body(("plain",)).get_content() for m in messages]
    assert "expected to ship June 10, 2026" in bodies[0]
    assert "expected to ship July 8, 2026" in bodies[1]
    assert dates(order)[0:2] == (dt.date(2026, 7, 8), dt.date(2026, 7, 8))
