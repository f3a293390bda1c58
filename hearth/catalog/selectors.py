"""Catalogue reads. Each selector's query count is the same whatever the number of products."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from hearth.catalog import rules, search
from hearth.catalog.errors import CatalogErrorCode
from hearth.catalog.models import Availability, Product, ProductImage, Specification, Variant
from hearth.catalog.rules import SerialFormat, parse_serial_formats
from hearth.core.errors import DomainError


def _variants_in_order() -> Prefetch:
    return Prefetch("variants", queryset=Variant.objects.order_by("price", "sku"))


def catalogue(
    *,
    category: str | None = None,
    colour: str | None = None,
    max_price: Decimal | None = None,
    in_stock_only: bool = False,
) -> QuerySet[Product]:
    """Products on sale that have at least one variant matching every filter given.

    A product matches when one of its variants is of ``colour``, costs at most ``max_price``
    (before tax) and, with ``in_stock_only``, is in stock with units on hand, all at once. The
    variants are prefetched (all of them, cheapest first): two queries for any number of products.
    """
    products = Product.objects.filter(is_active=True)
    if category:
        products = products.filter(category=category)
    condition = Q()
    if colour:
        condition &= Q(colour__iexact=colour)
    if max_price is not None:
        condition &= Q(price__lte=max_price)
    if in_stock_only:
        condition &= Q(availability=Availability.IN_STOCK, stock_on_hand__gt=0)
    matching = Variant.objects.filter(condition, product=OuterRef("pk"))
    return products.filter(Exists(matching)).prefetch_related(_variants_in_order())


def featured_products(*, limit: int = 4) -> list[Product]:
    """Products marked as featured (then the first on sale), for the home page."""
    products = Product.objects.filter(is_active=True, variants__isnull=False).distinct()
    return list(
        products.order_by("-is_featured", "position", "name")[:limit].prefetch_related(
            _variants_in_order()
        )
    )


def colours_on_sale() -> list[str]:
    """Every colour of a variant of a product on sale, sorted, for the catalogue filter."""
    colours = (
        Variant.objects.filter(product__is_active=True)
        .order_by("colour")
        .values_list("colour", flat=True)
        .distinct()
    )
    return list(colours)


def product_by_slug(slug: str) -> Product:
    """A product on sale, with its variants (cheapest first), specifications and gallery images
    prefetched: four queries whatever the size of the catalogue.

    Raises DomainError ``unknown_product`` (status 404, field ``slug``) when there is none.
    """
    product = (
        Product.objects.filter(slug=slug, is_active=True)
        .prefetch_related(_variants_in_order(), "specifications", "images")
        .first()
    )
    if product is None:
        raise DomainError(
            CatalogErrorCode.UNKNOWN_PRODUCT,
            _("There is no product %(slug)s in the catalogue.") % {"slug": slug},
            field="slug",
            status=404,
        )
    return product


def variant_by_sku(sku: str) -> Variant:
    """The variant with this SKU of a product on sale, its product joined.

    Raises DomainError ``unknown_sku`` (field ``sku``) when there is none.
    """
    variant = (
        Variant.objects.select_related("product").filter(sku=sku, product__is_active=True).first()
    )
    if variant is None:
        raise DomainError(
            CatalogErrorCode.UNKNOWN_SKU,
            _("There is no product with the code %(sku)s.") % {"sku": sku},
            field="sku",
        )
    return variant


def variants_by_sku(skus: Iterable[str]) -> dict[str, Variant]:
    """The variants of products on sale among ``skus``, by SKU, in one query.

    Unknown SKUs (or those of products no longer on sale) are simply absent from the result.
    """
    wanted = set(skus)
    if not wanted:
        return {}
    variants = Variant.objects.select_related("product").filter(
        sku__in=wanted, product__is_active=True
    )
    return {v.sku: v for v in variants}


@functools.cache
def serial_formats() -> dict[str, SerialFormat]:
    """The serial number formats by SKU (data/serial_formats.toml, validated once)."""
    path = Path(__file__).resolve().parent / "data" / "serial_formats.toml"
    with path.open("rb") as fh:
        return parse_serial_formats(tomllib.load(fh))


def serial_format(sku: str) -> SerialFormat | None:
    """The serial format of ``sku``, or None when the table has no entry for it."""
    return serial_formats().get(sku)


def variant_exists(sku: str) -> bool:
    """Whether a variant has this SKU (on sale or not: the warehouse still holds its stock)."""
    return Variant.objects.filter(sku=sku).exists()


SEARCH_LIMIT = 24  # one page of cards; more words narrow a search


def search_products(text: str, *, limit: int = SEARCH_LIMIT) -> list[Product]:
    """Products on sale matching every word of ``text`` (each word as the start of a word, in
    English or in French, accents ignored), best first: a match in the name ranks before one in
    the summary, before one in the description. Any string is safe: only its letters and digits
    are searched (``rules.search_terms``). Variants prefetched: at most three queries."""
    ids = search.ranked_product_ids(connection, rules.search_terms(text), limit=limit)
    if not ids:
        return []
    found = Product.objects.filter(pk__in=ids, is_active=True).prefetch_related(
        _variants_in_order()
    )
    by_id = {p.pk: p for p in found}
    return [by_id[pk] for pk in ids if pk in by_id]


def french_missing() -> Q:
    """Products a French-reading customer sees partly in English: a name, summary or description,
    a colour, a specification or an image's text alternative written in English without its
    French. A filter for the back office (one query with the product list)."""

    def blank(field: str) -> Q:
        return Q(**{field: ""})

    variant_gap = Variant.objects.filter(product=OuterRef("pk"), colour_fr="")
    spec_gap = Specification.objects.filter(product=OuterRef("pk")).filter(
        blank("label_fr") | blank("value_fr")
    )
    image_gap = ProductImage.objects.filter(product=OuterRef("pk"), alt_fr="")
    return (
        blank("name_fr")
        | blank("summary_fr")
        | (~blank("description") & blank("description_fr"))
        | Q(Exists(variant_gap))
        | Q(Exists(spec_gap))
        | Q(Exists(image_gap))
    )
