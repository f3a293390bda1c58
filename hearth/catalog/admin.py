"""Back office: staff edit products, prices (before tax) and stock. Who may is in roles.toml."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from hearth.catalog.models import Product, Variant


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ("sku", "colour", "price", "stock_on_hand", "availability", "expected_ship_date")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "is_active", "is_featured", "position")
    list_filter = ("category", "is_active", "is_featured")
    list_editable = ("is_active", "is_featured", "position")
    search_fields = ("name", "slug", "variants__sku")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (VariantInline,)


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    """Prices and stock at a glance, editable in the list."""

    list_display = (
        "sku",
        "product",
        "colour",
        "price",
        "stock_on_hand",
        "availability",
        "expected_ship_date",
    )
    list_editable = ("price", "stock_on_hand", "availability", "expected_ship_date")
    list_filter = ("availability", "product__category")
    search_fields = ("sku", "product__name", "colour")
    list_select_related = ("product",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Variant]:
        return super().get_queryset(request).select_related("product")
