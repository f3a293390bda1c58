"""Catalogue endpoints for a headless storefront, mounted at /api/v1/catalog/.

- ``GET /products``: products on sale, filtered like the /shop/ page, paged by limit and offset.
- ``GET /products/{slug}``: one product with its variants.

Prices are CAD before tax (TOS-1); pre-order and backorder variants carry their expected ship
date (TOS-20). Thin: parse the query, call a selector, shape the answer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from hearth.catalog import selectors
from hearth.catalog.models import Category, Product, Variant
from hearth.core.schemas import ErrorOut

router = Router(tags=["catalog"])

#: Deepest page start: past any real catalogue, and within every database's integer range.
MAX_OFFSET = 10_000


class CatalogueQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    category: Category | None = Field(default=None, description="One of the categories.")
    colour: str | None = Field(default=None, max_length=40, examples=["Birch"])
    max_price: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=10,
        decimal_places=2,
        description="Highest price before tax, CAD: a variant at or under it must exist.",
    )
    in_stock_only: bool = False
    limit: int = Field(default=24, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class CatalogVariantOut(Schema):
    sku: str
    colour: str
    price: str = Field(description="CAD before tax (TOS-1), two places.", examples=["249.00"])
    availability: str = Field(description="in_stock, preorder or backorder")
    stock_state: str = Field(description="in_stock, out_of_stock, preorder or backorder")
    purchasable: bool
    expected_ship_date: dt.date | None = Field(
        description="For pre-order and backorder, when known (TOS-20)."
    )


class CatalogProductOut(Schema):
    slug: str
    name: str
    category: str
    summary: str
    description: str
    image: str = Field(description="Path of the image under the site's static files.")
    from_price: str | None = Field(description="Lowest variant price before tax, CAD.")
    variants: list[CatalogVariantOut]


class CatalogPageOut(Schema):
    count: int
    products: list[CatalogProductOut]
    prices_exclude_tax: bool = True


def _variant(variant: Variant) -> dict[str, Any]:
    return {
        "sku": variant.sku,
        "colour": variant.colour,
        "price": f"{variant.price:.2f}",
        "availability": variant.availability,
        "stock_state": variant.stock_state.value,
        "purchasable": variant.is_purchasable,
        "expected_ship_date": variant.expected_ship_date,
    }


def _product(product: Product) -> dict[str, Any]:
    from_price = product.from_price
    return {
        "slug": product.slug,
        "name": product.name,
        "category": product.category,
        "summary": product.summary,
        "description": product.description,
        "image": f"/static/{product.image}",
        "from_price": None if from_price is None else f"{from_price:.2f}",
        "variants": [_variant(v) for v in product.variants.all()],
    }


@router.get(
    "/products",
    response={200: CatalogPageOut, 400: ErrorOut},
    summary="Products on sale",
    description=(
        "Products with at least one variant matching every filter at once (colour, max_price "
        "before tax, in stock with units on hand). Prices are CAD before tax."
    ),
)
def products(request: HttpRequest, query: Query[CatalogueQuery]) -> dict[str, Any]:
    found = selectors.catalogue(
        category=query.category.value if query.category else None,
        colour=query.colour or None,
        max_price=query.max_price,
        in_stock_only=query.in_stock_only,
    )
    page = list(found[query.offset : query.offset + query.limit])
    return {"count": found.count(), "products": [_product(p) for p in page]}


@router.get(
    "/products/{slug}",
    response={200: CatalogProductOut, 404: ErrorOut},
    summary="One product with its variants",
)
def product(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _product(selectors.product_by_slug(slug))
