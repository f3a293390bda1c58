"""Machine codes of the catalog app's :class:`hearth.core.errors.DomainError`."""

from __future__ import annotations

from enum import StrEnum


class CatalogErrorCode(StrEnum):
    UNKNOWN_PRODUCT = "unknown_product"
    UNKNOWN_SKU = "unknown_sku"
    OUT_OF_STOCK = "out_of_stock"
    INVALID_QUANTITY = "invalid_quantity"
    EXPECTED_SHIP_DATE_NOT_ALLOWED = "expected_ship_date_not_allowed"
