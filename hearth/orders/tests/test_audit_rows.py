"""Order writes that were silent, or wrote the system where a person acted, now leave one audit
row each with the real actor and field names only (issue #10 item 7; PP-10): a new expected
ship date re-dating an open order, a guest cancelling (an anonymous visitor, not the system),
guest orders linked to the account once its email is proven, and a sales agent creating a
customer on the phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from hearth.catalog.models import Availability
from hearth.catalog.services import set_expected_ship_date
from hearth.core.models import AuditEvent
from hearth.orders.models import Order
from hearth.orders.services import find_or_create_customer, link_guest_orders, place_order
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft, make_variant

pytestmark = [pytest.mark.django_db, pytest.mark.promise("PP-10")]

APRIL = dt.date(2026, 4, 15)
JUNE = dt.date(2026, 6, 10)
WAL = "EO-ARC-WAL"


def place(key: str, lines: list[tuple[str, int]], email: str = "ada@example.com") -> Order:
    return place_order(
        draft=draft(lines=lines, email=email),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=key,
        channel="web",
        at=T0,
    )


def rows_after(mark: int, object_type: str) -> list[tuple[str, str, int | None, str, list[str]]]:
    return [
        (e.action, e.actor_kind, e.actor_id, e.object_id, e.fields)
        for e in AuditEvent.objects.filter(pk__gt=mark, object_type=object_type).order_by("id")
    ]


def mark() -> int:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def staff(email: str = "staff@example.com"):
    return get_user_model().objects.create_user(email=email, password=None, is_staff=True)


def test_a_new_ship_date_re_dating_an_open_order_is_one_row_naming_the_staff_member():
    make_variant(WAL, "499.00", 0, availability=Availability.PREORDER, expected_ship_date=APRIL)
    order = place("k1", [(WAL, 1)])
    editor = staff()
    before = mark()
    set_expected_ship_date(sku=WAL, expected_ship_date=JUNE, actor=editor, at=T0)
    assert rows_after(before, "orders.Order") == [
        (
            "changed",
            "user",
            editor.pk,
            str(order.pk),
            ["delivery_earliest", "delivery_latest", "ship_date"],
        )
    ]
    before = mark()
    set_expected_ship_date(sku=WAL, expected_ship_date=JUNE, actor=editor, at=T0)
    assert rows_after(before, "orders.Order") == []


def test_a_guest_cancelling_is_recorded_as_an_anonymous_visitor_not_the_system(
    speaker, smtp_server
):
    order = place("k2", [("EO-ONE-OAK", 1)])
    before = mark()
    response = Client().post(
        "/orders/guest-cancel/",
        {"number": order.number, "email": "ada@example.com", "postal_code": "M5H 2N2"},
    )
    assert response.status_code == 200
    moved = [r for r in rows_after(before, "orders.Order") if r[0] == "state_changed"]
    assert len(moved) == 1
    action, kind, actor_id, object_id, fields = moved[0]
    assert (action, kind, actor_id, object_id) == (
        "state_changed",
        "anonymous",
        None,
        str(order.pk),
    )
    assert "status" in fields
    assert not AuditEvent.objects.filter(pk__gt=before, actor_kind="system").exists()


def test_linking_guest_orders_to_a_proven_account_is_one_row_per_order_naming_the_holder(
    speaker,
):
    first = place("k3", [("EO-ONE-OAK", 1)], email="ada@example.com")
    second = place("k4", [("EO-ONE-OAK", 1)], email="ada@example.com")
    other = place("k5", [("EO-ONE-OAK", 1)], email="grace@example.com")
    ada = get_user_model().objects.create_user(email="ada@example.com", password=None)
    before = mark()
    assert link_guest_orders(ada, "ada@example.com", T0) == 2
    assert link_guest_orders(ada, "ada@example.com", T0) == 0
    assert rows_after(before, "orders.Order") == [
        ("changed", "user", ada.pk, str(first.pk), ["customer"]),
        ("changed", "user", ada.pk, str(second.pk), ["customer"]),
    ]
    assert Order.objects.get(pk=other.pk).customer_id is None


def test_a_customer_created_on_the_phone_is_one_row_naming_the_sales_agent_never_the_email():
    agent = staff("agent@example.com")
    before = mark()
    created = find_or_create_customer(email="New@Example.com", full_name="Nia New", actor=agent)
    again = find_or_create_customer(email="new@example.com", full_name="Nia New", actor=agent)
    assert again is None  # an account whose email nobody proved: a guest order
    assert rows_after(before, "accounts.User") == [
        ("created", "user", agent.pk, str(created.pk), ["email", "full_name"])
    ]
    stored = repr(list(AuditEvent.objects.filter(pk__gt=before).values_list()))
    assert "new@example.com" not in stored.lower()
    assert "Nia" not in stored
