"""The demo catalogue as data (``data/catalogue.toml``): parsed and validated when loaded.

Pure parsing here (no database); :func:`hearth.catalog.services.load_catalogue` writes the rows.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from hearth.catalog.rules import Availability

CATALOGUE_FILE = Path(__file__).resolve().parent / "data" / "catalogue.toml"
CATEGORIES = frozenset(
    {"speakers", "soundbar", "subwoofer", "amplifier", "portable", "accessories"}
)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SKU = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")
_IMAGE = re.compile(r"^catalog/img/[a-z0-9][a-z0-9-]*\.svg$")
STATIC_DIR = Path(__file__).resolve().parent / "static"


class CatalogueDataError(ValueError):
    """catalogue.toml does not have the expected shape."""


@dataclass(frozen=True)
class VariantEntry:
    sku: str
    colour: str
    price: Decimal
    stock: int
    availability: Availability
    expected_ship_in_days: int | None
    colour_fr: str = ""

    def expected_ship_date(self, today: dt.date) -> dt.date | None:
        if self.expected_ship_in_days is None:
            return None
        return today + dt.timedelta(days=self.expected_ship_in_days)


@dataclass(frozen=True)
class SpecificationEntry:
    label: str
    label_fr: str
    value: str
    value_fr: str


@dataclass(frozen=True)
class ImageEntry:
    image: str
    alt: str
    alt_fr: str


@dataclass(frozen=True)
class ProductEntry:
    slug: str
    name: str
    category: str
    summary: str
    description: str
    image: str
    featured: bool
    position: int
    source: str
    variants: tuple[VariantEntry, ...]
    name_fr: str = ""
    summary_fr: str = ""
    description_fr: str = ""
    specifications: tuple[SpecificationEntry, ...] = ()
    gallery: tuple[ImageEntry, ...] = ()


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    """An optional text (French ones are optional in the data: the English shows instead)."""
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise CatalogueDataError(f"{where}: {key} must be a string")
    return value.strip()


def _required(raw: dict[str, Any], key: str, where: str) -> str:
    value = _text(raw, key, where)
    if not value:
        raise CatalogueDataError(f"{where}: needs {key}")
    return value


def _specifications(slug: str, raw: Any) -> tuple[SpecificationEntry, ...]:
    if not isinstance(raw, list):
        raise CatalogueDataError(f"{slug}: specifications must be a list of tables")
    rows = []
    for row in raw:
        if not isinstance(row, dict) or set(row) - {"label", "label_fr", "value", "value_fr"}:
            raise CatalogueDataError(f"{slug}: a specification has label(_fr) and value(_fr)")
        rows.append(
            SpecificationEntry(
                label=_required(row, "label", slug),
                label_fr=_text(row, "label_fr", slug),
                value=_required(row, "value", slug),
                value_fr=_text(row, "value_fr", slug),
            )
        )
    return tuple(rows)


def _gallery(slug: str, raw: Any, static_dir: Path) -> tuple[ImageEntry, ...]:
    if not isinstance(raw, list):
        raise CatalogueDataError(f"{slug}: gallery must be a list of tables")
    images = []
    for row in raw:
        if not isinstance(row, dict) or set(row) - {"image", "alt", "alt_fr"}:
            raise CatalogueDataError(f"{slug}: a gallery image has image, alt and alt_fr")
        image = _required(row, "image", slug)
        if not _IMAGE.match(image) or not (static_dir / image).is_file():
            raise CatalogueDataError(f"{slug}: no image file {image!r}")
        images.append(
            ImageEntry(
                image=image, alt=_required(row, "alt", slug), alt_fr=_text(row, "alt_fr", slug)
            )
        )
    return tuple(images)


def _variant(slug: str, raw: Any) -> VariantEntry:
    if not isinstance(raw, dict):
        raise CatalogueDataError(f"{slug}: a variant must be a table")
    sku = raw.get("sku")
    if not isinstance(sku, str) or not _SKU.match(sku):
        raise CatalogueDataError(f"{slug}: bad SKU {sku!r}")
    colour = raw.get("colour")
    if not isinstance(colour, str) or not colour.strip():
        raise CatalogueDataError(f"{sku}: needs a colour")
    try:
        price = Decimal(str(raw.get("price")))
    except InvalidOperation:
        raise CatalogueDataError(f"{sku}: price must be a decimal string") from None
    if (
        not isinstance(raw.get("price"), str)
        or price <= 0
        or price != price.quantize(Decimal("0.01"))
    ):
        raise CatalogueDataError(f"{sku}: price must be a positive amount in cents, as a string")
    stock = raw.get("stock")
    if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
        raise CatalogueDataError(f"{sku}: stock must be a whole number >= 0")
    try:
        availability = Availability(raw.get("availability", "in_stock"))
    except ValueError:
        raise CatalogueDataError(f"{sku}: unknown availability") from None
    days = raw.get("expected_ship_in_days")
    if availability is Availability.IN_STOCK:
        if days is not None:
            raise CatalogueDataError(f"{sku}: only pre-order and backorder have a ship date")
    elif isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise CatalogueDataError(f"{sku}: expected_ship_in_days must be a whole number >= 1")
    unknown = set(raw) - {
        "sku",
        "colour",
        "colour_fr",
        "price",
        "stock",
        "availability",
        "expected_ship_in_days",
    }
    if unknown:
        raise CatalogueDataError(f"{sku}: unknown keys {sorted(unknown)}")
    colour_fr = _text(raw, "colour_fr", sku)
    return VariantEntry(sku, colour, price, stock, availability, days, colour_fr)


def parse_catalogue(data: dict[str, Any], *, static_dir: Path = STATIC_DIR) -> list[ProductEntry]:
    """Validate the parsed TOML; every image must exist under ``static_dir``."""
    table = data.get("product")
    if not isinstance(table, list) or not table:
        raise CatalogueDataError("catalogue.toml needs [[product]] entries")
    products: list[ProductEntry] = []
    slugs: set[str] = set()
    skus: set[str] = set()
    for raw in table:
        slug = raw.get("slug")
        if not isinstance(slug, str) or not _SLUG.match(slug) or slug in slugs:
            raise CatalogueDataError(f"bad or repeated slug {slug!r}")
        slugs.add(slug)
        for key in ("name", "summary", "source", "image"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise CatalogueDataError(f"{slug}: needs {key}")
        if raw.get("category") not in CATEGORIES:
            raise CatalogueDataError(f"{slug}: unknown category {raw.get('category')!r}")
        if not _IMAGE.match(raw["image"]) or not (static_dir / raw["image"]).is_file():
            raise CatalogueDataError(f"{slug}: no image file {raw['image']!r}")
        variants = tuple(_variant(slug, v) for v in raw.get("variants") or [])
        if not variants:
            raise CatalogueDataError(f"{slug}: needs at least one variant")
        for variant in variants:
            if variant.sku in skus:
                raise CatalogueDataError(f"repeated SKU {variant.sku}")
            skus.add(variant.sku)
        products.append(
            ProductEntry(
                slug=slug,
                name=raw["name"],
                category=raw["category"],
                summary=raw["summary"],
                description=raw.get("description", ""),
                image=raw["image"],
                featured=bool(raw.get("featured", False)),
                position=int(raw.get("position", 100)),
                source=raw["source"],
                variants=variants,
                name_fr=_text(raw, "name_fr", slug),
                summary_fr=_text(raw, "summary_fr", slug),
                description_fr=_text(raw, "description_fr", slug),
                specifications=_specifications(slug, raw.get("specifications", [])),
                gallery=_gallery(slug, raw.get("gallery", []), static_dir),
            )
        )
    return products


def load_catalogue_file(path: Path = CATALOGUE_FILE) -> list[ProductEntry]:
    with path.open("rb") as fh:
        return parse_catalogue(tomllib.load(fh))
