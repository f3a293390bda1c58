"""Catalogue writes: stock reservation and release, and a variant's expected ship date.

Both run inside the caller's transaction (each in a savepoint of its own, so a refused reservation
leaves no line reserved). Lines are merged by SKU and taken in SKU order, the fixed lock order that
keeps two buyers of the same SKUs from deadlocking on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from hearth.catalog import rules
from hearth.catalog.demo import ProductEntry
from hearth.catalog.errors import CatalogErrorCode
from hearth.catalog.models import Availability, Product, ProductImage, Specification, Variant
from hearth.core import audit
from hearth.core.audit import Actor, AuditAction
from hearth.core.errors import DomainError


class ShipDateListener(Protocol):
    def __call__(
        self,
        *,
        sku: str,
        old: dt.date | None,
        new: dt.date | None,
        actor: Actor | None,
        at: dt.datetime,
    ) -> object: ...


_ship_date_listeners: list[ShipDateListener] = []


def on_expected_ship_date_change(listener: ShipDateListener) -> ShipDateListener:
    """Call ``listener(*, sku, old, new, actor, at)`` inside the transaction of every real change
    of a pre-order or backorder variant's expected ship date (TOS-20); registering twice is a no-op.

    Why a registry: orders already depends on the catalogue (it prices and reserves through it),
    so the catalogue calling orders directly would make the two apps import each other. Orders
    registers here from its ``AppConfig.ready()``, the way it registers its erasure blocker with
    privacy, and the catalogue stays ignorant of who listens.
    """
    if listener not in _ship_date_listeners:
        _ship_date_listeners.append(listener)
    return listener


def set_expected_ship_date(
    *, sku: str, expected_ship_date: dt.date | None, actor: Actor | None, at: dt.datetime
) -> Variant:
    """Set (or clear, with None) a variant's expected ship date, in one transaction (TOS-20).

    On a real change of a pre-order or backorder variant every registered listener is told, in
    the same transaction (orders re-dates its open orders and emails their customers on commit).
    The same date again changes and tells nothing. An in-stock variant has no expected date: one
    given is refused (``expected_ship_date_not_allowed``); clearing it (the variant came into
    stock) tells nobody, since its orders' lines keep the date they were sold with.
    Raises ``unknown_sku`` (field ``sku``) for an unknown SKU.
    """
    with transaction.atomic():
        variant = Variant.objects.select_for_update().filter(sku=sku).first()
        if variant is None:
            raise DomainError(
                CatalogErrorCode.UNKNOWN_SKU,
                _("There is no product with the code %(sku)s.") % {"sku": sku},
                field="sku",
            )
        old = variant.expected_ship_date
        if old == expected_ship_date:
            return variant
        delayed = not rules.is_stock_checked(variant.availability)
        if expected_ship_date is not None and not delayed:
            raise DomainError(
                CatalogErrorCode.EXPECTED_SHIP_DATE_NOT_ALLOWED,
                _("Only pre-order and backorder variants have an expected ship date."),
                field="expected_ship_date",
            )
        variant.expected_ship_date = expected_ship_date
        variant.save(update_fields=["expected_ship_date"])
        audit.record(
            actor=actor, action=AuditAction.CHANGED, obj=variant, fields=["expected_ship_date"]
        )
        if delayed:
            for listener in list(_ship_date_listeners):
                listener(sku=variant.sku, old=old, new=expected_ship_date, actor=actor, at=at)
    return variant


def save_variant(*, variant: Variant, actor: Actor | None, at: dt.datetime) -> Variant:
    """Save a back-office edit of ``variant`` (its price, stock on hand, availability...) with one
    audit row naming the fields changed (none when nothing changed; a new variant: created).

    A new expected ship date goes through :func:`set_expected_ship_date` after the save, so its
    listeners are told (TOS-20) and it is recorded there.
    """
    wanted = variant.expected_ship_date
    with transaction.atomic():
        stored = (
            Variant.objects.select_for_update().filter(pk=variant.pk).first()
            if variant.pk is not None
            else None
        )
        if stored is None:
            variant.save()
            names = [f.name for f in Variant._meta.concrete_fields if not f.primary_key]
            audit.record(actor=actor, action=AuditAction.CREATED, obj=variant, fields=names)
            return variant
        variant.expected_ship_date = stored.expected_ship_date
        changed = [
            f.name
            for f in Variant._meta.concrete_fields
            if not f.primary_key and getattr(stored, f.attname) != getattr(variant, f.attname)
        ]
        variant.save()
        if changed:
            audit.record(actor=actor, action=AuditAction.CHANGED, obj=variant, fields=changed)
        if wanted != stored.expected_ship_date:
            set_expected_ship_date(sku=variant.sku, expected_ship_date=wanted, actor=actor, at=at)
            variant.expected_ship_date = wanted
    return variant


def _lines(lines: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    try:
        return rules.normalise_lines(lines)
    except rules.LineError as exc:
        raise DomainError(
            CatalogErrorCode.INVALID_QUANTITY,
            _("The quantity must be a whole number of at least 1."),
            field=f"lines.{exc.sku}",
        ) from None


def out_of_stock_error(*, sku: str, count: int) -> DomainError:
    """The refusal of a line above what is left in stock (409, field ``lines.<sku>``)."""
    message = (
        _("Only %(count)d of %(sku)s left in stock.") % {"count": count, "sku": sku}
        if count
        else _("%(sku)s is out of stock.") % {"sku": sku}
    )
    return DomainError(CatalogErrorCode.OUT_OF_STOCK, message, field=f"lines.{sku}", status=409)


def check_stock(*, lines: Sequence[tuple[str, int]], variants: Mapping[str, Variant]) -> None:
    """Refuse (``out_of_stock``) an in-stock line above the stock on hand of ``variants`` as the
    caller just read them, without taking anything: a check before a slower step (authorising a
    payment), so that only a unit sold in between reaches :func:`reserve_stock`'s refusal."""
    for sku, quantity in _lines(lines):
        variant = variants.get(sku)
        if variant is None or not rules.is_stock_checked(variant.availability):
            continue
        if variant.stock_on_hand < quantity:
            raise out_of_stock_error(sku=sku, count=variant.stock_on_hand)


def reserve_stock(
    *,
    lines: Sequence[tuple[str, int]],
    availability: Mapping[str, str] | None = None,
    savepoint: bool = True,
) -> None:
    """Take ``(sku, quantity)`` lines out of stock, all or none. Call inside ``transaction.atomic``.

    An in-stock variant is reserved by one conditional UPDATE (``stock_on_hand - q`` where
    ``stock_on_hand >= q``): the database decides, so concurrent buyers never oversell on SQLite
    (one writer at a time) or PostgreSQL (the row lock, then the condition re-checked). Pre-order
    and backorder variants are sold outside stock on hand and are not stock-checked (TOS-20).
    ``availability`` (sku: availability of active variants, as the caller just read them while
    pricing) spares the read of each line's availability; a SKU missing from it is unknown.
    ``savepoint=False``: the caller's own savepoint rolls back with a refusal (placing's does),
    so none is spent here (two statements); the caller must not go on inside it after one.

    Raises DomainError ``out_of_stock`` (field ``lines.<sku>``) when an in-stock variant has fewer
    units than asked, ``unknown_sku`` (field ``lines.<sku>``) for an unknown SKU or one no longer on
    sale, ``invalid_quantity`` for a quantity below 1.
    """
    wanted = _lines(lines)
    known = (
        dict(availability)
        if availability is not None
        else dict(
            Variant.objects.filter(
                sku__in=[sku for sku, _q in wanted], product__is_active=True
            ).values_list("sku", "availability")
        )
    )
    for sku, _quantity in wanted:
        if sku not in known:
            raise DomainError(
                CatalogErrorCode.UNKNOWN_SKU,
                _("There is no product with the code %(sku)s.") % {"sku": sku},
                field=f"lines.{sku}",
            )
    with transaction.atomic(savepoint=savepoint):
        for sku, quantity in wanted:
            if not rules.is_stock_checked(known[sku]):
                continue
            # Only the variant's own columns in the WHERE: PostgreSQL re-checks them on the locked
            # row after waiting for a concurrent buyer (a join or subquery would not be re-checked).
            taken = Variant.objects.filter(
                sku=sku, availability=Availability.IN_STOCK, stock_on_hand__gte=quantity
            ).update(stock_on_hand=F("stock_on_hand") - quantity)
            if taken:
                continue
            left = Variant.objects.filter(sku=sku).values("availability", "stock_on_hand").first()
            if left is not None and not rules.is_stock_checked(left["availability"]):
                continue  # moved to pre-order or backorder meanwhile: sold outside stock
            raise out_of_stock_error(sku=sku, count=left["stock_on_hand"] if left else 0)


def release_stock(*, lines: Sequence[tuple[str, int]]) -> None:
    """Put reserved ``(sku, quantity)`` lines back in stock (an order cancelled or not placed).

    Only in-stock variants were reserved, so only they are credited; SKUs that no longer exist are
    skipped, so a cancellation never fails on a product since removed.
    """
    wanted = _lines(lines)
    with transaction.atomic():
        for sku, quantity in wanted:
            Variant.objects.filter(sku=sku, availability=Availability.IN_STOCK).update(
                stock_on_hand=F("stock_on_hand") + quantity
            )


def change_stock(*, sku: str, delta: int) -> int:
    """Add ``delta`` (negative to take away) to a variant's stock on hand; the new stock on hand.

    For the warehouse's receipts and adjustments, which keep their own audited record. One
    conditional UPDATE: stock on hand never goes below zero (``out_of_stock``, 409, field
    ``quantity``); ``unknown_sku`` (field ``sku``) when no variant has the SKU.
    """
    with transaction.atomic():
        changed = Variant.objects.filter(sku=sku, stock_on_hand__gte=-delta).update(
            stock_on_hand=F("stock_on_hand") + delta
        )
        left = Variant.objects.filter(sku=sku).values_list("stock_on_hand", flat=True).first()
        if left is None:
            raise DomainError(
                CatalogErrorCode.UNKNOWN_SKU,
                _("There is no product with the code %(sku)s.") % {"sku": sku},
                field="sku",
            )
        if not changed:
            raise DomainError(
                CatalogErrorCode.OUT_OF_STOCK,
                _("Only %(count)d of %(sku)s in stock: it cannot go below zero.")
                % {"count": left, "sku": sku},
                field="quantity",
                status=409,
            )
    return int(left)


@dataclass(frozen=True)
class LoadResult:
    products_created: int
    variants_created: int
    products_updated: int
    variants_updated: int


def load_catalogue(
    *, entries: Sequence[ProductEntry], today: dt.date, reset: bool = False
) -> LoadResult:
    """Create the products and variants of ``entries`` that are missing, idempotently.

    Existing rows are left as staff edited them (prices, stock, dates) unless ``reset``, which puts
    every listed field back to the data. Expected ship dates are ``today`` + the entry's days.
    French texts still empty are filled from the data (a catalogue loaded before they existed gets
    them), and a product without specifications or gallery images gets the data's.
    """
    counts = {"pc": 0, "vc": 0, "pu": 0, "vu": 0}
    with transaction.atomic():
        for entry in entries:
            french = {
                "name_fr": entry.name_fr,
                "summary_fr": entry.summary_fr,
                "description_fr": entry.description_fr,
            }
            product_fields = {
                **french,
                "name": entry.name,
                "category": entry.category,
                "summary": entry.summary,
                "description": entry.description,
                "image": entry.image,
                "is_featured": entry.featured,
                "position": entry.position,
            }
            product, created = Product.objects.get_or_create(
                slug=entry.slug, defaults=product_fields
            )
            counts["pc" if created else "pu"] += int(created or reset)
            if reset and not created:
                Product.objects.filter(pk=product.pk).update(is_active=True, **product_fields)
            elif not created:
                for field, text in french.items():
                    Product.objects.filter(pk=product.pk, **{field: ""}).update(**{field: text})
            _load_content(product, entry, reset=reset)
            for item in entry.variants:
                variant_fields = {
                    "product": product,
                    "colour": item.colour,
                    "colour_fr": item.colour_fr,
                    "price": item.price,
                    "stock_on_hand": item.stock,
                    "availability": item.availability.value,
                    "expected_ship_date": item.expected_ship_date(today),
                }
                _variant, v_created = Variant.objects.get_or_create(
                    sku=item.sku, defaults=variant_fields
                )
                counts["vc" if v_created else "vu"] += int(v_created or reset)
                if reset and not v_created:
                    Variant.objects.filter(sku=item.sku).update(**variant_fields)
                elif not v_created:
                    Variant.objects.filter(sku=item.sku, colour_fr="").update(
                        colour_fr=item.colour_fr
                    )
    return LoadResult(counts["pc"], counts["vc"], counts["pu"], counts["vu"])


def _load_content(product: Product, entry: ProductEntry, *, reset: bool) -> None:
    """The entry's specification rows and gallery images, where the product has none (or all of
    them again with ``reset``)."""
    if reset:
        product.specifications.all().delete()
        product.images.all().delete()
    if not product.specifications.exists():
        Specification.objects.bulk_create(
            Specification(
                product=product,
                position=10 * (n + 1),
                label=row.label,
                label_fr=row.label_fr,
                value=row.value,
                value_fr=row.value_fr,
            )
            for n, row in enumerate(entry.specifications)
        )
    if not product.images.exists():
        ProductImage.objects.bulk_create(
            ProductImage(
                product=product,
                position=10 * (n + 1),
                image=image.image,
                alt=image.alt,
                alt_fr=image.alt_fr,
            )
            for n, image in enumerate(entry.gallery)
        )
