from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hearth.catalog import selectors
from hearth.catalog.models import Availability, Category
from hearth.catalog.tests.conftest import make_product
from hearth.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    make_product(
        "alpha",
        variants=(("ALPHA-CHR", "Charcoal", "249.00", 3), ("ALPHA-BIR", "Birch", "299.00", 0)),
    )
    make_product(
        "bravo",
        category=Category.SOUNDBAR,
        variants=(("BRAVO-BIR", "Birch", "799.00", 2),),
    )
    make_product(
        "charlie",
        category=Category.AMPLIFIER,
        variants=(("CHARLIE-GRA", "Graphite", "899.00", 0),),
        availability=Availability.PREORDER,
        expected_ship_date=dt.date(2026, 6, 1),
    )
    make_product("retired", variants=(("RETIRED-CHR", "Charcoal", "99.00", 9),), is_active=False)
    make_product("empty")  # no variants: not shown


def _slugs(**filters) -> list[str]:
    return sorted(p.slug for p in selectors.catalogue(**filters))


@pytest.mark.parametrize(
    ("filters", "slugs"),
    [
        ({}, ["alpha", "bravo", "charlie"]),
        ({"category": "soundbar"}, ["bravo"]),
        ({"colour": "Birch"}, ["alpha", "bravo"]),
        ({"colour": "birch"}, ["alpha", "bravo"]),
        ({"max_price": Decimal("250.00")}, ["alpha"]),
        ({"max_price": Decimal("248.99")}, []),
        ({"max_price": Decimal("249.00")}, ["alpha"]),
        ({"in_stock_only": True}, ["alpha", "bravo"]),
        # one variant must match every filter at once: alpha's Birch variant has no stock
        ({"colour": "Birch", "in_stock_only": True}, ["bravo"]),
        ({"colour": "Charcoal", "max_price": Decimal("1000")}, ["alpha"]),
        ({"category": "amplifier", "in_stock_only": True}, []),
    ],
)
def test_catalogue_filters(shelf, filters, slugs):
    assert _slugs(**filters) == slugs


def test_catalogue_prefetches_every_variant_cheapest_first(shelf, django_assert_num_queries):
    with django_assert_num_queries(2):
        products = list(selectors.catalogue(colour="Charcoal"))
        alpha = products[0]
        assert [v.sku for v in alpha.variants.all()] == ["ALPHA-CHR", "ALPHA-BIR"]
        assert alpha.from_price == Decimal("249.00")


def test_colours_on_sale_ignores_products_off_sale(shelf):
    assert selectors.colours_on_sale() == ["Birch", "Charcoal", "Graphite"]


def test_product_by_slug(shelf):
    assert selectors.product_by_slug("bravo").name == "Bravo"


@pytest.mark.parametrize("slug", ["nope", "retired"])
def test_product_by_slug_refuses_unknown_or_retired(shelf, slug):
    with pytest.raises(DomainError) as caught:
        selectors.product_by_slug(slug)
    assert caught.value.code == "unknown_product"
    assert caught.value.status == 404
    assert list(caught.value.fields) == ["slug"]


def test_variant_by_sku(shelf):
    variant = selectors.variant_by_sku("ALPHA-BIR")
    assert (variant.product.slug, variant.colour, variant.price) == (
        "alpha",
        "Birch",
        Decimal("299.00"),
    )


@pytest.mark.parametrize("sku", ["NOPE", "RETIRED-CHR"])
def test_variant_by_sku_unknown(shelf, sku):
    with pytest.raises(DomainError) as caught:
        selectors.variant_by_sku(sku)
    assert caught.value.code == "unknown_sku"
    assert list(caught.value.fields) == ["sku"]


def test_variants_by_sku_in_one_query(shelf, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = selectors.variants_by_sku(["ALPHA-CHR", "BRAVO-BIR", "NOPE", "RETIRED-CHR"])
        assert {sku: v.product.slug for sku, v in found.items()} == {
            "ALPHA-CHR": "alpha",
            "BRAVO-BIR": "bravo",
        }
    assert selectors.variants_by_sku([]) == {}


def test_featured_products_come_first(shelf):
    from hearth.catalog.models import Product

    Product.objects.filter(slug="charlie").update(is_featured=True)
    assert [p.slug for p in selectors.featured_products(limit=2)] == ["charlie", "alpha"]
