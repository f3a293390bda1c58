"""The back office: the acceptance review queue (TOS-6, 9, 21), refunds on the order with a
reason and an email, the role homes, and the customer's own cancellation from My Stuff."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from hearth.accounts.tests.conftest import make_customer
from hearth.orders.models import Order, OrderRefund, OrderStatus
from hearth.orders.services import (
    mark_packed,
    mark_shipped,
    place_order,
    release_order,
    start_picking,
)
from hearth.orders.tests.conftest import APPROVE_VISA, REVIEW, T0, card_token, draft
from hearth.payments.selectors import payment

REVIEW_URL = "/back-office/review/"


def place(card: str = APPROVE_VISA, key: str = "k", **kwargs) -> Order:
    return place_order(
        draft=draft(**kwargs),
        payment_token=card_token(card),
        payment_method="card",
        idempotency_key=key,
        channel="web",
        at=T0,
    )


@pytest.mark.promise("TOS-21")
def test_the_review_queue_lists_held_orders_with_why_they_are_held(speaker, staff_client):
    held = place(REVIEW, "held")
    normal = place(APPROVE_VISA, "normal")
    page = staff_client("finance").get(REVIEW_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert held.number in html
    assert "The payment provider asked for a review" in html
    assert normal.number not in html
    assert f'<label for="reason-{held.number}">' in html


@pytest.mark.parametrize("role", ["warehouse", "sales_agent", "care_agent"])
def test_other_roles_cannot_review(speaker, staff_client, role):
    held = place(REVIEW, "held")
    client = staff_client(role)
    assert client.get(REVIEW_URL).status_code == 403
    assert client.post(f"{REVIEW_URL}{held.number}/clear/").status_code == 403
    held.refresh_from_db()
    assert held.status == OrderStatus.ON_HOLD


def test_customers_and_visitors_are_sent_to_the_back_office_sign_in(speaker, customer):
    held = place(REVIEW, "held")
    signed_in = Client()
    signed_in.force_login(customer)
    for who in (signed_in, Client()):
        response = who.post(f"{REVIEW_URL}{held.number}/clear/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    held.refresh_from_db()
    assert held.status == OrderStatus.ON_HOLD


@pytest.mark.promise("TOS-8")
@pytest.mark.promise("TOS-21")
def test_clearing_a_held_order_captures_and_releases_it(speaker, staff_client):
    held = place(REVIEW, "held")
    response = staff_client("finance").post(f"{REVIEW_URL}{held.number}/clear/")
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == OrderStatus.RELEASED
    assert held.payment_confirmed_at == T0
    assert payment(held.payment_id).captured_amount == Decimal("224.87")
    event = held.events.get(to_status="released")
    assert event.actor.email == "finance@example.com"


@pytest.mark.promise("TOS-6")
@pytest.mark.promise("TOS-9")
@pytest.mark.promise("TOS-21")
def test_cancelling_a_held_order_records_the_reason_voids_and_emails(
    speaker, staff_client, smtp_server, django_capture_on_commit_callbacks
):
    held = place(REVIEW, "held")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client("finance").post(
            f"{REVIEW_URL}{held.number}/cancel/", {"reason": "suspected_fraud", "note": ""}
        )
    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.status, held.cancellation_reason) == ("cancelled", "suspected_fraud")
    assert payment(held.payment_id).status == "voided"
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == f"Your order {held.number} is cancelled"
    assert "Reason: Suspected fraud" in mail.get_body(("plain",)).get_content()


def test_a_reason_outside_tos9_is_refused_in_the_review(speaker, staff_client):
    held = place(REVIEW, "held")
    staff_client("finance").post(
        f"{REVIEW_URL}{held.number}/cancel/", {"reason": "customer_request"}
    )
    held.refresh_from_db()
    assert held.status == OrderStatus.ON_HOLD


def _shipped() -> Order:
    order = release_order(order=place(), actor=None, at=T0)
    for move in (start_picking, mark_packed, mark_shipped):
        move(order=order, actor=None, at=T0)
    return order


@pytest.mark.promise("TOS-6")
def test_finance_refunds_part_of_a_shipped_order_on_the_order_page(
    speaker, staff_client, smtp_server, django_capture_on_commit_callbacks
):
    order = _shipped()
    finance = staff_client("finance")
    url = f"/back-office/orders/{order.number}/refund/"
    page = finance.get(url).content.decode()
    assert "224.87" in page
    assert '<label for="id_reason">' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = finance.post(url, {"amount": "30.00", "reason": "Dented grille"})
    assert response.status_code == 302
    assert [(r.amount, r.reason) for r in OrderRefund.objects.all()] == [
        (Decimal("30.00"), "Dented grille")
    ]
    [mail] = smtp_server.wait_for(1)
    assert "Dented grille" in mail.get_body(("plain",)).get_content()


def test_refunding_more_than_captured_on_the_page_is_refused(speaker, staff_client, smtp_server):
    order = _shipped()
    response = staff_client("finance").post(
        f"/back-office/orders/{order.number}/refund/", {"amount": "500.00", "reason": "Oops"}
    )
    assert response.status_code == 400
    assert "At most $224.87 can be refunded on this order." in response.content.decode()
    assert OrderRefund.objects.count() == 0
    assert payment(order.payment_id).refunded_amount == Decimal("0.00")
    assert smtp_server.messages == []


@pytest.mark.parametrize("role", ["warehouse", "sales_agent", "care_agent"])
def test_only_finance_refunds(speaker, staff_client, role):
    order = _shipped()
    response = staff_client(role).post(
        f"/back-office/orders/{order.number}/refund/", {"amount": "1.00", "reason": "x"}
    )
    assert response.status_code == 403
    assert OrderRefund.objects.count() == 0


def test_each_role_home_shows_its_queues_with_counts_and_links(speaker, staff_client):
    place(REVIEW, "held-1")
    place(REVIEW, "held-2")
    home = staff_client("finance").get("/admin/").content.decode()
    assert 'data-queue="orders.review"' in home
    assert f'<a href="{REVIEW_URL}">Orders to review</a></th><td>2</td>' in home
    assert 'data-queue="orders.phone"' not in home
    sales = staff_client("sales_agent").get("/admin/").content.decode()
    assert '<a href="/back-office/phone-orders/">' in sales
    assert 'data-queue="orders.review"' not in sales


def test_the_customer_cancels_from_my_stuff_until_picking_starts(
    speaker, customer, smtp_server, django_capture_on_commit_callbacks
):
    order = place(customer=customer)
    client = Client()
    client.force_login(customer)
    page = client.get(f"/my-stuff/orders/{order.number}/").content.decode()
    assert f"Cancel order {order.number}" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/my-stuff/orders/{order.number}/cancel/", follow=True)
    assert "is cancelled" in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.cancellation_reason) == ("cancelled", "customer_request")
    assert len(smtp_server.wait_for(1)) == 1


def test_my_stuff_offers_no_cancel_once_picking_started_and_refuses_it(speaker, customer):
    order = release_order(order=place(customer=customer), actor=None, at=T0)
    start_picking(order=order, actor=None, at=T0)
    client = Client()
    client.force_login(customer)
    assert "Cancel order" not in client.get(f"/my-stuff/orders/{order.number}/").content.decode()
    response = client.post(f"/my-stuff/orders/{order.number}/cancel/", follow=True)
    assert "can no longer be cancelled" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKING


def test_nobody_else_cancels_my_order(speaker, customer):
    order = place(customer=customer)
    other = Client()
    other.force_login(make_customer("bob@example.com", "Bob Example"))
    assert other.post(f"/my-stuff/orders/{order.number}/cancel/").status_code == 404
    assert Client().post(f"/my-stuff/orders/{order.number}/cancel/").status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_guest_cancels_from_the_order_page_until_picking_starts(
    speaker, smtp_server, django_capture_on_commit_callbacks
):
    order = place()
    guest = Client()
    found = guest.post(
        "/track/", {"number": order.number, "email": "ada@example.com", "postal_code": "M5H 2N2"}
    ).content.decode()
    assert f"Cancel order {order.number}" in found
    assert 'action="/orders/guest-cancel/"' in found
    with django_capture_on_commit_callbacks(execute=True):
        response = guest.post(
            "/orders/guest-cancel/",
            {"number": order.number, "email": "ada@example.com", "postal_code": "M5H 2N2"},
        )
    assert response.status_code == 200
    assert f"Order {order.number} is cancelled." in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.cancellation_reason) == ("cancelled", "customer_request")
    assert payment(order.payment_id).status == "voided"
    assert len(smtp_server.wait_for(1)) == 1


def test_a_guest_with_the_wrong_postal_code_cancels_nothing(speaker):
    order = place()
    response = Client().post(
        "/orders/guest-cancel/",
        {"number": order.number, "email": "ada@example.com", "postal_code": "V6Z 2E7"},
    )
    assert response.status_code == 404
    assert "We found no order with these details." in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_guest_cannot_cancel_once_picking_started(speaker):
    order = release_order(order=place(), actor=None, at=T0)
    start_picking(order=order, actor=None, at=T0)
    found = Client().post(
        "/track/", {"number": order.number, "email": "ada@example.com", "postal_code": "M5H 2N2"}
    )
    assert "Cancel order" not in found.content.decode()
    response = Client().post(
        "/orders/guest-cancel/",
        {"number": order.number, "email": "ada@example.com", "postal_code": "M5H 2N2"},
    )
    assert response.status_code == 409
    assert "can no longer be cancelled" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKING


@pytest.mark.promise("TOS-21")
def test_finance_holds_a_placed_order_for_address_doubt_and_it_cannot_be_picked(
    speaker, staff_client
):
    from hearth.core.errors import DomainError

    order = place()
    finance = staff_client("finance")
    response = finance.post(
        "/admin/orders/order/",
        {"action": "hold_address_doubt", "_selected_action": [str(order.pk)]},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == ("on_hold", "address_doubt")
    assert "The delivery address is in doubt" in finance.get(REVIEW_URL).content.decode()
    with pytest.raises(DomainError) as caught:
        start_picking(order=order, actor=None, at=T0)
    assert caught.value.code == "status_move_not_allowed"


def test_care_sees_late_orders_on_its_home_and_the_late_filter_lists_them(speaker, staff_client):
    import datetime as dt

    from hearth.core import clock

    late = release_order(order=place(key="late"), actor=None, at=T0)
    on_time = release_order(order=place(key="on-time"), actor=None, at=T0)
    Order.objects.filter(pk=on_time.pk).update(ship_date=dt.date(2026, 3, 20))
    care = staff_client("care_agent")
    with clock.frozen(T0 + dt.timedelta(days=3)):
        home = care.get("/admin/").content.decode()
        listing = care.get("/admin/orders/order/?late=yes").content.decode()
    assert (
        '<a href="/admin/orders/order/?late=yes">Late orders (ship date passed, not shipped)'
        "</a></th><td>1</td>"
    ) in home
    assert late.number in listing
    assert on_time.number not in listing
