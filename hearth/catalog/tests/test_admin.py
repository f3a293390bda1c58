"""Staff edit products and prices in the back office; only the roles designed for it. Stock on
hand is read-only there: it changes only through the warehouse's audited receiving and
adjustments (issue #11)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from hearth.accounts import services as accounts
from hearth.accounts.models import User
from hearth.accounts.tests.conftest import verified_device_id
from hearth.catalog.models import Variant

pytestmark = pytest.mark.django_db


def _staff(role_key: str) -> Client:
    accounts.sync_roles()
    user = User.objects.create_user(email=f"{role_key}@example.com", password=None)
    accounts.assign_role(user=user, role_key=role_key, actor=None)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device_id(user)
    session.save()
    return client


def _change_price(client: Client, variant: Variant, price: str) -> int:
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "colour": variant.colour,
        "price": price,
        "availability": variant.availability,
        "expected_ship_date": "",
    }
    return client.post(f"/admin/catalog/variant/{variant.pk}/change/", data).status_code


def test_an_administrator_changes_a_price(demo_catalogue):
    variant = Variant.objects.get(sku="EO-ONE-CHR")
    assert _change_price(_staff("administrator"), variant, "239.00") == 302
    variant.refresh_from_db()
    assert (variant.price, variant.stock_on_hand) == (Decimal("239.00"), 40)


def test_an_admin_post_cannot_change_stock_on_hand(demo_catalogue):
    variant = Variant.objects.get(sku="EO-ONE-CHR")
    admin = _staff("administrator")
    page = admin.get(f"/admin/catalog/variant/{variant.pk}/change/").content.decode()
    assert 'name="stock_on_hand"' not in page
    assert 'href="/back-office/warehouse/stock/"' in page
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "colour": variant.colour,
        "price": "249.00",
        "stock_on_hand": "999",
        "availability": "in_stock",
        "expected_ship_date": "",
    }
    assert admin.post(f"/admin/catalog/variant/{variant.pk}/change/", data).status_code == 302
    listing = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(variant.pk),
        "form-0-price": "249.00",
        "form-0-stock_on_hand": "998",
        "form-0-availability": "in_stock",
        "form-0-expected_ship_date": "",
        "_save": "Save",
    }
    assert admin.post("/admin/catalog/variant/", listing).status_code == 302
    product = variant.product
    inline = {
        "slug": product.slug,
        "name": product.name,
        "category": product.category,
        "summary": product.summary,
        "description": product.description,
        "image": product.image,
        "is_active": "on",
        "position": str(product.position),
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "1",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-id": str(variant.pk),
        "variants-0-product": str(product.pk),
        "variants-0-sku": variant.sku,
        "variants-0-colour": variant.colour,
        "variants-0-price": "249.00",
        "variants-0-stock_on_hand": "997",
        "variants-0-availability": "in_stock",
        "variants-0-expected_ship_date": "",
        "specifications-TOTAL_FORMS": "0",
        "specifications-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }
    assert admin.post(f"/admin/catalog/product/{product.pk}/change/", inline).status_code == 302
    variant.refresh_from_db()
    assert variant.stock_on_hand == 40


def test_a_new_variant_starts_with_no_stock(demo_catalogue):
    product = Variant.objects.get(sku="EO-ONE-CHR").product
    data = {
        "product": product.pk,
        "sku": "EO-ONE-NEW",
        "colour": "Sand",
        "price": "249.00",
        "stock_on_hand": "25",
        "availability": "in_stock",
        "expected_ship_date": "",
    }
    response = _staff("administrator").post("/admin/catalog/variant/add/", data)
    assert response.status_code == 302
    assert Variant.objects.get(sku="EO-ONE-NEW").stock_on_hand == 0


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
        "availability": "in_stock",
        "expected_ship_date": "",
        field: value,
    }
    response = _staff("administrator").post(f"/admin/catalog/variant/{variant.pk}/change/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    variant.refresh_from_db()
    assert variant.stock_on_hand == 40
