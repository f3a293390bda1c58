from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from hearth.catalog import demo, services
from hearth.catalog.models import Availability, Category, Product, Variant
from hearth.core import clock

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple]:
    products = list(Product.objects.order_by("slug").values_list())
    variants = list(Variant.objects.order_by("sku").values_list())
    return products + variants


def test_load_catalogue_twice_gives_the_same_rows():
    with clock.frozen(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)):
        out = StringIO()
        call_command("load_catalogue", stdout=out)
        first = _rows()
        call_command("load_catalogue", stdout=out)
    assert _rows() == first
    assert Product.objects.count() == 10
    assert Variant.objects.count() == 18
    assert out.getvalue().splitlines() == [
        "catalogue: 10 products and 18 variants created, 0 and 0 reset",
        "catalogue: 0 products and 0 variants created, 0 and 0 reset",
    ]


def test_the_demo_range_covers_every_category_with_colours_and_one_preorder_and_one_backorder():
    with clock.frozen(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)):
        call_command("load_catalogue", stdout=StringIO())
    assert set(Product.objects.values_list("category", flat=True)) == set(Category.values)
    assert {"Charcoal", "Birch"} <= set(Variant.objects.values_list("colour", flat=True))
    preorder = Variant.objects.get(availability=Availability.PREORDER)
    backorder = Variant.objects.get(availability=Availability.BACKORDER)
    assert (preorder.sku, preorder.expected_ship_date) == ("HEARTH-AMP-GRA", dt.date(2026, 5, 16))
    assert (backorder.sku, backorder.expected_ship_date) == ("OAK-SUB-CHR", dt.date(2026, 3, 23))
    assert Variant.objects.get(sku="EO-ONE-CHR").price == Decimal("249.00")
    assert not Variant.objects.filter(
        availability=Availability.IN_STOCK, expected_ship_date__isnull=False
    ).exists()


def test_rerunning_keeps_what_staff_edited_unless_reset():
    entries = demo.load_catalogue_file()
    services.load_catalogue(entries=entries, today=dt.date(2026, 3, 2))
    Variant.objects.filter(sku="EO-ONE-CHR").update(price=Decimal("199.00"), stock_on_hand=3)
    services.load_catalogue(entries=entries, today=dt.date(2026, 4, 1))
    edited = Variant.objects.get(sku="EO-ONE-CHR")
    assert (edited.price, edited.stock_on_hand) == (Decimal("199.00"), 3)
    assert Variant.objects.get(sku="OAK-SUB-CHR").expected_ship_date == dt.date(2026, 3, 23)
    result = services.load_catalogue(entries=entries, today=dt.date(2026, 4, 1), reset=True)
    assert result == services.LoadResult(0, 0, 10, 18)
    edited.refresh_from_db()
    assert (edited.price, edited.stock_on_hand) == (Decimal("249.00"), 40)
    assert Variant.objects.get(sku="OAK-SUB-CHR").expected_ship_date == dt.date(2026, 4, 22)


def _valid() -> dict:
    return {
        "product": [
            {
                "slug": "ember-one",
                "name": "Ember One",
                "category": "speakers",
                "summary": "s",
                "image": "catalog/img/ember-one.svg",
                "source": "test",
                "variants": [{"sku": "EO-1", "colour": "Charcoal", "price": "249.00", "stock": 1}],
            }
        ]
    }


def test_the_data_file_parses():
    assert len(demo.parse_catalogue(_valid())) == 1


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("slug",), "Bad Slug", "bad or repeated slug"),
        (("category",), "toasters", "unknown category"),
        (("image",), "catalog/img/missing.svg", "no image file"),
        (("source",), "", "needs source"),
        (("variants",), [], "needs at least one variant"),
        (("variants", 0, "price"), 249.0, "price must be"),
        (("variants", 0, "price"), "249.001", "price must be"),
        (("variants", 0, "price"), "cheap", "price must be"),
        (("variants", 0, "stock"), -1, "stock must be"),
        (("variants", 0, "sku"), "eo-1", "bad SKU"),
        (("variants", 0, "availability"), "discontinued", "unknown availability"),
        (("variants", 0, "expected_ship_in_days"), 10, "only pre-order and backorder"),
        (("variants", 0, "warehouse"), "x", "unknown keys"),
    ],
)
def test_the_data_file_is_validated_when_loaded(path, value, reason):
    data = _valid()
    target = data["product"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(demo.CatalogueDataError, match=reason):
        demo.parse_catalogue(data)


def test_a_preorder_needs_its_days():
    data = _valid()
    data["product"][0]["variants"][0]["availability"] = "preorder"
    with pytest.raises(demo.CatalogueDataError, match="expected_ship_in_days"):
        demo.parse_catalogue(data)


def test_repeated_skus_are_refused():
    data = _valid()
    data["product"].append({**data["product"][0], "slug": "ember-two"})
    with pytest.raises(demo.CatalogueDataError, match="repeated SKU EO-1"):
        demo.parse_catalogue(data)
