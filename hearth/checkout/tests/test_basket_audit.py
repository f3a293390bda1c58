"""Edits of a basket linked to a person leave one audit row each, naming the signed-in customer
and the line's field names; a guest's basket (nobody's) leaves none (issue #10 item 7; PP-10)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from hearth.checkout import services
from hearth.checkout.models import Basket, BasketLine
from hearth.checkout.tests.conftest import AT, make_variant
from hearth.core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.promise("PP-10")]


def rows() -> list[tuple[str, str, int | None, str, list[str]]]:
    return [
        (e.action, e.actor_kind, e.actor_id, e.object_type, e.fields)
        for e in AuditEvent.objects.order_by("id")
    ]


@pytest.fixture
def customer(db: Any) -> Any:
    return get_user_model().objects.create_user(
        email="basket@example.com", password=None, full_name="Bea Basket"
    )


def test_a_signed_in_customer_s_basket_edits_are_one_row_each_naming_them(
    customer: Any, speaker: Any
) -> None:
    client = Client()
    client.force_login(customer)
    client.post(reverse("checkout:basket_add"), {"sku": "EO-ONE-CHR", "quantity": "2"})
    line = BasketLine.objects.get(basket__user=customer, sku="EO-ONE-CHR")
    assert rows() == [("created", "user", customer.pk, "checkout.BasketLine", ["quantity", "sku"])]
    client.post(reverse("checkout:basket_add"), {"sku": "EO-ONE-CHR", "quantity": "1"})
    client.post(
        reverse("checkout:basket_change", args=["EO-ONE-CHR"]), {"EO-ONE-CHR-quantity": "4"}
    )
    client.post(reverse("checkout:basket_remove", args=["EO-ONE-CHR"]))
    assert rows() == [
        ("created", "user", customer.pk, "checkout.BasketLine", ["quantity", "sku"]),
        ("changed", "user", customer.pk, "checkout.BasketLine", ["quantity"]),
        ("changed", "user", customer.pk, "checkout.BasketLine", ["quantity"]),
        ("deleted", "user", customer.pk, "checkout.BasketLine", []),
    ]
    assert set(AuditEvent.objects.values_list("object_id", flat=True)) == {str(line.pk)}
    assert not BasketLine.objects.filter(basket__user=customer).exists()


def test_emptying_a_customer_s_basket_is_one_row_and_an_empty_one_writes_none(
    customer: Any, speaker: Any
) -> None:
    basket = Basket.objects.create(user=customer, updated_at=AT)
    make_variant("EO-BAR-BLK")
    services.add_to_basket(basket=basket, sku="EO-ONE-CHR", quantity=1, at=AT, actor=customer)
    services.add_to_basket(basket=basket, sku="EO-BAR-BLK", quantity=1, at=AT, actor=customer)
    before = AuditEvent.objects.count()
    services.empty_basket(basket=basket, at=AT, actor=customer)
    services.empty_basket(basket=basket, at=AT, actor=customer)
    assert rows()[before:] == [("deleted", "user", customer.pk, "checkout.Basket", ["lines"])]
    assert (
        AuditEvent.objects.filter(object_id=str(basket.pk), object_type="checkout.Basket").count()
        == 1
    )


def test_a_guest_s_basket_edits_write_no_audit_row(speaker: Any) -> None:
    client = Client()
    client.post(reverse("checkout:basket_add"), {"sku": "EO-ONE-CHR", "quantity": "2"})
    client.post(
        reverse("checkout:basket_change", args=["EO-ONE-CHR"]), {"EO-ONE-CHR-quantity": "3"}
    )
    client.post(reverse("checkout:basket_remove", args=["EO-ONE-CHR"]))
    assert BasketLine.objects.count() == 0
    assert Basket.objects.filter(user__isnull=True).count() == 1
    assert rows() == []
