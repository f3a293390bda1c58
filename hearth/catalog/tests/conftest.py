"""Catalogue fixtures: the demo catalogue, and small products made to measure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections

from hearth.catalog import demo, services
from hearth.catalog.models import Availability, Category, Product, Variant

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def demo_catalogue(db) -> list[demo.ProductEntry]:
    entries = demo.load_catalogue_file()
    services.load_catalogue(entries=entries, today=TODAY)
    return entries


def make_product(
    slug: str,
    *,
    category: str = Category.SPEAKERS,
    variants: tuple[tuple[str, str, str, int], ...] = (),
    availability: str = Availability.IN_STOCK,
    expected_ship_date: dt.date | None = None,
    is_active: bool = True,
) -> Product:
    """A product with variants given as (sku, colour, price, stock)."""
    product = Product.objects.create(
        slug=slug,
        name=slug.replace("-", " ").title(),
        category=category,
        summary=f"Summary of {slug}",
        image="catalog/img/ember-one.svg",
        is_active=is_active,
    )
    for sku, colour, price, stock in variants:
        Variant.objects.create(
            product=product,
            sku=sku,
            colour=colour,
            price=Decimal(price),
            stock_on_hand=stock,
            availability=availability,
            expected_ship_date=expected_ship_date,
        )
    return product


@pytest.fixture
def race_db(transactional_db, tmp_path: Path, django_db_blocker) -> Iterator[str]:
    """The default database as real threads can share it: a file on SQLite, as is on PostgreSQL."""
    if connection.vendor != "sqlite":
        yield connection.vendor
        return
    handler_settings = connections.settings
    in_memory_settings = handler_settings["default"]
    in_memory_connection = connections["default"]
    file_settings = {**in_memory_settings, "NAME": str(tmp_path / "race.sqlite3")}
    handler_settings["default"] = file_settings
    connections["default"] = connections.create_connection("default")
    try:
        with django_db_blocker.unblock(), connection.schema_editor() as editor:
            editor.create_model(Product)
            editor.create_model(Variant)
        yield "sqlite-file"
    finally:
        connection.close()
        handler_settings["default"] = in_memory_settings
        connections["default"] = in_memory_connection
