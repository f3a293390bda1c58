from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


@pytest.mark.promise("TOS-1")
def test_products_are_listed_with_prices_before_tax(api_client, demo_catalogue):
    response = api_client.get("/api/v1/catalog/products?category=soundbar")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["prices_exclude_tax"] is True
    product = body["products"][0]
    assert (product["slug"], product["from_price"], product["image"]) == (
        "oak-bar",
        "799.00",
        "/static/catalog/img/oak-bar.svg",
    )
    assert [(v["sku"], v["price"]) for v in product["variants"]] == [
        ("OAK-BAR-CHR", "799.00"),
        ("OAK-BAR-WAL", "849.00"),
    ]


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ("colour=Ember%20Red&in_stock_only=true", ["ember-go"]),
        ("category=subwoofer&in_stock_only=true", []),
        ("max_price=40&category=accessories", ["speaker-cable-kit", "ember-go-sleeve"]),
        ("limit=2&offset=1", ["ember-five", "oak-bar"]),
    ],
)
def test_products_filters(api_client, demo_catalogue, query, slugs):
    body = api_client.get(f"/api/v1/catalog/products?{query}").json()
    assert [p["slug"] for p in body["products"]] == slugs


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("max_price=cheap", "max_price"),
        ("max_price=-1", "max_price"),
        ("category=toasters", "category"),
        ("limit=1000", "limit"),
        ("offset=-1", "offset"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api_client, demo_catalogue, query, field):
    response = api_client.get(f"/api/v1/catalog/products?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "invalid"
    assert list(body["error"]["fields"]) == [field]


@pytest.mark.promise("TOS-20")
def test_a_preorder_carries_its_expected_ship_date(api_client, demo_catalogue):
    body = api_client.get("/api/v1/catalog/products/hearth-amp").json()
    assert body["variants"] == [
        {
            "sku": "HEARTH-AMP-GRA",
            "colour": "Graphite",
            "price": "899.00",
            "availability": "preorder",
            "stock_state": "preorder",
            "purchasable": True,
            "expected_ship_date": "2026-05-16",
        }
    ]


def test_an_unknown_product_is_404_with_the_error_body(api_client, demo_catalogue):
    response = api_client.get("/api/v1/catalog/products/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_product"
    assert list(response.json()["error"]["fields"]) == ["slug"]


def test_the_product_list_takes_three_queries(api_client, demo_catalogue):
    with CaptureQueriesContext(connection) as captured:
        api_client.get("/api/v1/catalog/products")
    assert len(captured.captured_queries) == 3  # products page, their variants, the count
