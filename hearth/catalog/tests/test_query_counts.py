"""The catalogue, product and home pages take as many queries at 1,000 products as at 10."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hearth.catalog.models import Category, Product, Variant

pytestmark = pytest.mark.django_db

CATEGORIES = list(Category.values)


def _fill(count: int) -> None:
    """Products numbered from the current count up to ``count``, two colours each."""
    start = Product.objects.count()
    products = Product.objects.bulk_create(
        Product(
            slug=f"speaker-{n:04d}",
            name=f"Speaker {n:04d}",
            category=CATEGORIES[n % len(CATEGORIES)],
            summary="A speaker.",
            image="catalog/img/ember-one.svg",
            is_featured=n < 4,
        )
        for n in range(start, count)
    )
    Variant.objects.bulk_create(
        Variant(
            product=product,
            sku=f"SPK-{product.slug[-4:]}-{colour[:3].upper()}",
            colour=colour,
            price=Decimal("100.00") + index,
            stock_on_hand=index % 3,
        )
        for index, product in enumerate(products)
        for colour in ("Charcoal", "Birch")
    )


def _queries(client: Client, url: str) -> tuple[int, int]:
    """(all queries, queries on the catalogue's tables) of one GET, once the process's caches are
    warm (the policy versions are read once per process and kept until a policy is saved)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    sqls = [q["sql"] for q in captured.captured_queries]
    return len(sqls), sum("catalog_" in sql for sql in sqls)


@pytest.mark.parametrize(
    "url",
    [
        "/shop/",
        "/shop/?category=speakers",
        "/shop/?colour=Birch&max_price=600&in_stock=on",
        "/shop/?page=2",
        "/shop/speaker-0005/",
        "/",
    ],
)
def test_query_count_does_not_grow_with_the_catalogue(client: Client, url: str):
    _fill(10)
    at_ten = _queries(client, url)
    _fill(1000)
    assert Product.objects.count() == 1000
    at_thousand = _queries(client, url)
    assert at_thousand == at_ten
    assert at_ten[1] <= 4  # colours, count, products, variants at most
