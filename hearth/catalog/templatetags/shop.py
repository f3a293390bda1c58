"""Template tags for pages outside the catalog app (the home page): featured products."""

from __future__ import annotations

from django import template

from hearth.catalog import selectors
from hearth.catalog.models import Product

register = template.Library()


@register.simple_tag
def featured_products(limit: int = 4) -> list[Product]:
    """``{% featured_products 4 as products %}``: featured products with prefetched variants."""
    return selectors.featured_products(limit=limit)
