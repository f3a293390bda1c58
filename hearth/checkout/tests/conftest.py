"""Checkout fixtures: a small catalogue, test-card tokens from the sandbox, discount codes
(``make_code``, from the discounts app's factories)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, connections

from hearth.catalog.models import Product, Variant
from hearth.core import clock
from hearth.discounts.tests.factories import make_code  # noqa: F401  (checkout tests use codes)

# Monday 2 November 2026, 10:00 in Toronto: before the noon cut-off on a business day.
AT = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
VISA = "4242424242424242"
DECLINE_FUNDS = "4000000000009995"
DECLINE_STOLEN = "4000000000009979"
REVIEW = "4000000000000259"


def make_variant(
    sku: str,
    *,
    price: str = "249.00",
    stock: int = 10,
    availability: str = "in_stock",
    expected_ship_date: dt.date | None = None,
    slug: str | None = None,
    name: str | None = None,
    colour: str = "Charcoal",
    is_active: bool = True,
) -> Variant:
    slug = slug or sku.lower()
    product, _ = Product.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name or slug.replace("-", " ").title(),
            "category": "speakers",
            "summary": "A speaker.",
            "image": "catalog/img/ember-one.svg",
            "is_active": is_active,
        },
    )
    return Variant.objects.create(
        product=product,
        sku=sku,
        colour=colour,
        price=Decimal(price),
        stock_on_hand=stock,
        availability=availability,
        expected_ship_date=expected_ship_date,
    )


@pytest.fixture
def frozen_clock() -> Iterator[dt.datetime]:
    with clock.frozen(AT):
        yield AT


@pytest.fixture
def speaker(db: Any) -> Variant:
    return make_variant("EO-ONE-CHR", price="249.00", stock=5, slug="ember-one", name="Ember One")


@pytest.fixture
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def card_token(number: str = VISA, *, at: dt.datetime = AT) -> str:
    """A token from the sandbox provider, as its card page makes one (never the number)."""
    from urllib.parse import parse_qs, urlsplit

    from hearth.payments.models import HostedSession
    from hearth.payments.services import start_card_session, tokenise_card

    url = start_card_session(
        amount=Decimal("1.00"),
        reference="test",
        return_url="/checkout/payment/return/",
        cancel_url="/checkout/payment/cancelled/",
    )
    session_id = parse_qs(urlsplit(url).query)["session"][0]
    back = tokenise_card(
        session_id=session_id,
        kind=HostedSession.Kind.CARD,
        number=number,
        exp_month=12,
        exp_year=2030,
        cvc="123",
        at=at,
    )
    return parse_qs(urlsplit(back).query)["payment_token"][0]


ADDRESS = {
    "lines": ["12 Wellington Street"],
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "K1A 0B1",
    "country": "CA",
}


@pytest.fixture
def file_db(transactional_db: Any, tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """The default database as real threads can share it: on SQLite a fresh file with every
    Hearth table (WAL, busy timeout, BEGIN IMMEDIATE as in production settings); on PostgreSQL
    the test database as it is (``transactional_db`` commits for real)."""
    if connection.vendor != "sqlite":
        yield connection.vendor
        return
    handler_settings = connections.settings
    in_memory_settings = handler_settings["default"]
    in_memory_connection = connections["default"]
    handler_settings["default"] = {**in_memory_settings, "NAME": str(tmp_path / "race.sqlite3")}
    connections["default"] = connections.create_connection("default")
    try:
        with django_db_blocker.unblock(), connection.schema_editor() as editor:
            for model in apps.get_models():
                if model._meta.managed and not model._meta.proxy:
                    editor.create_model(model)
        yield "sqlite-file"
    finally:
        connection.close()
        handler_settings["default"] = in_memory_settings
        connections["default"] = in_memory_connection
