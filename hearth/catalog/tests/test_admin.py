"""Staff edit products, prices and stock in the back office; only the roles designed for it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from hearth.accounts import services as accounts
from hearth.accounts.admin_site import TOTP_SESSION_KEY
from hearth.accounts.models import User
from hearth.catalog.models import Variant

pytestmark = pytest.mark.django_db


def _staff(role_key: str) -> Client:
    accounts.sync_roles()
    user = User.objects.create_user(email=f"{role_key}@example.com", password=None)
    accounts.assign_role(user=user, role_key=role_key, actor=None)
    client = Client()
    client.force_login(user)
    session = client.session
    session[TOTP_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def _change_price(client: Client, variant: Variant, price: str) -> int:
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "colour": variant.colour,
        "price": price,
        "stock_on_hand": "12",
        "availability": variant.availability,
        "expected_ship_date": "",
    }
    return client.post(f"/admin/catalog/variant/{variant.pk}/change/", data).status_code


def test_an_administrator_changes_a_price_and_stock(demo_catalogue):
    variant = Variant.objects.get(sku="EO-ONE-CHR")
    assert _change_price(_staff("administrator"), variant, "239.00") == 302
    variant.refresh_from_db()
    assert (variant.price, variant.stock_on_hand) == (Decimal("239.00"), 12)


def test_a_sales_agent_sees_prices_and_stock_but_cannot_change_them(demo_catalogue):
    client = _staff("sales_agent")
    variant = Variant.objects.get(sku="EO-ONE-CHR")
    assert client.get("/admin/catalog/variant/").status_code == 200
    assert _change_price(client, variant, "1.00") == 403
    variant.refresh_from_db()
    assert variant.price == Decimal("249.00")


@pytest.mark.parametrize("role", ["care_agent", "warehouse", "finance", "privacy_officer"])
def test_other_roles_do_not_reach_the_catalogue(demo_catalogue, role):
    assert _staff(role).get("/admin/catalog/product/").status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "0.00", "Ensure this value is greater than or equal to 0.01."),
        ("stock_on_hand", "-3", "Stock on hand cannot be negative."),
        ("expected_ship_date", "2026-05-01", "Only pre-order and backorder variants have"),
    ],
)
def test_the_back_office_refuses_impossible_values(demo_catalogue, field, value, message):
    variant = Variant.objects.get(sku="EO-ONE-CHR")
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "colour": variant.colour,
        "price": "249.00",
        "stock_on_hand": "5",
        "availability": "in_stock",
        "expected_ship_date": "",
        field: value,
    }
    response = _staff("administrator").post(f"/admin/catalog/variant/{variant.pk}/change/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    variant.refresh_from_db()
    assert variant.stock_on_hand == 40
