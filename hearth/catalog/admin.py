"""Back office: staff edit products and prices (before tax). Who may is in roles.toml.

Stock on hand is shown, never edited here: a new variant starts at 0 and units come and go
only through the warehouse's receiving (with a reference) and adjustments (with a reason), each
audited (issue #11). The variant's page links there.

Every save of a variant, from its own page, the variant list or the product's inline, changes
the expected ship date through :func:`hearth.catalog.services.set_expected_ship_date`, so the
customers of open orders hear of a new date (TOS-20).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import BooleanField, Case, QuerySet, Value, When
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hearth.catalog import selectors, services
from hearth.catalog.models import Product, ProductImage, Specification, Variant
from hearth.core import clock


def _save_variant(request: HttpRequest, variant: Variant) -> None:
    """Save ``variant`` through the service (audited; a new ship date tells its listeners)."""
    services.save_variant(variant=variant, actor=request.user, at=clock.now())


class VariantForm(forms.ModelForm):
    """A variant's form: left empty, the low-stock threshold keeps its value (or the default)."""

    low_stock_threshold = forms.IntegerField(
        label=_("low-stock threshold"),
        min_value=0,
        required=False,
        help_text=_(
            "The warehouse's home lists the variant when stock on hand is at or below this."
        ),
    )

    class Meta:
        model = Variant
        fields = (
            "product",
            "sku",
            "colour",
            "colour_fr",
            "price",
            "low_stock_threshold",
            "availability",
            "expected_ship_date",
        )

    def clean_low_stock_threshold(self) -> int:
        value = self.cleaned_data.get("low_stock_threshold")
        if value is None:
            return int(self.instance.low_stock_threshold)
        return int(value)


class StockReadOnly:
    """Stock on hand shown read-only, with the way to change it: the warehouse's stock page."""

    @admin.display(description=_("stock on hand"))
    def current_stock(self, variant: Variant) -> str:
        if variant.pk is None:
            return str(_("0 (receive stock on the warehouse's stock page)"))
        return format_html(
            '{} <a href="{}">{}</a>',
            variant.stock_on_hand,
            reverse("fulfilment:stock"),
            _("Receive or adjust on the warehouse's stock page"),
        )


class VariantInline(StockReadOnly, admin.TabularInline):
    model = Variant
    form = VariantForm
    extra = 0
    fields = (
        "sku",
        "colour",
        "colour_fr",
        "price",
        "current_stock",
        "low_stock_threshold",
        "availability",
        "expected_ship_date",
    )
    readonly_fields = ("current_stock",)


class SpecificationInline(admin.TabularInline):
    model = Specification
    extra = 0
    fields = ("position", "label", "label_fr", "value", "value_fr")


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ("position", "image", "alt", "alt_fr")


class FrenchMissingFilter(admin.SimpleListFilter):
    """Products whose French is incomplete: the storefront shows their English to French readers."""

    title = _("French text")
    parameter_name = "french"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("missing", _("French missing")), ("complete", _("French complete"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.value() == "missing":
            return queryset.filter(selectors.french_missing())
        if self.value() == "complete":
            return queryset.exclude(selectors.french_missing())
        return queryset


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "is_active", "is_featured", "position", "french_missing")
    list_filter = (FrenchMissingFilter, "category", "is_active", "is_featured")
    list_editable = ("is_active", "is_featured", "position")
    search_fields = ("name", "name_fr", "slug", "variants__sku")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (VariantInline, SpecificationInline, ProductImageInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        missing = Case(
            When(selectors.french_missing(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        return super().get_queryset(request).annotate(french_is_missing=missing)

    @admin.display(description=_("French missing"), boolean=True, ordering="french_is_missing")
    def french_missing(self, product: Product) -> bool:
        return bool(getattr(product, "french_is_missing", False))

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not Variant:
            super().save_formset(request, form, formset, change)
            return
        variants = formset.save(commit=False)
        for gone in formset.deleted_objects:
            gone.delete()
        for variant in variants:
            _save_variant(request, variant)
        formset.save_m2m()


@admin.register(Variant)
class VariantAdmin(StockReadOnly, admin.ModelAdmin):
    """Prices and stock at a glance; prices, availability and dates editable in the list, stock
    on hand only through the warehouse's audited receiving and adjustments."""

    form = VariantForm
    fields = (
        "product",
        "sku",
        "colour",
        "colour_fr",
        "price",
        "current_stock",
        "low_stock_threshold",
        "availability",
        "expected_ship_date",
    )
    readonly_fields = ("current_stock",)

    list_display = (
        "sku",
        "product",
        "colour",
        "price",
        "stock_on_hand",
        "low_stock_threshold",
        "availability",
        "expected_ship_date",
    )
    list_editable = ("price", "availability", "expected_ship_date")
    list_filter = ("availability", "product__category")
    search_fields = ("sku", "product__name", "colour")
    list_select_related = ("product",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Variant]:
        return super().get_queryset(request).select_related("product")

    def save_model(self, request: HttpRequest, obj: Variant, form: Any, change: bool) -> None:
        _save_variant(request, obj)
