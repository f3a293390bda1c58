"""Back office: staff edit products, prices (before tax) and stock. Who may is in roles.toml.

Every save of a variant, from its own page, the variant list or the product's inline, changes
the expected ship date through :func:`hearth.catalog.services.set_expected_ship_date`, so the
customers of open orders hear of a new date (TOS-20).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hearth.catalog import services
from hearth.catalog.models import Product, Variant
from hearth.core import clock


def _save_variant(request: HttpRequest, variant: Variant) -> None:
    """Save ``variant`` with its stored ship date, then change that date through the service."""
    wanted = variant.expected_ship_date
    if variant.pk is not None:
        stored = Variant.objects.filter(pk=variant.pk).values_list("expected_ship_date", flat=True)
        variant.expected_ship_date = stored.first()
    variant.save()
    if variant.expected_ship_date != wanted:
        services.set_expected_ship_date(
            sku=variant.sku, expected_ship_date=wanted, actor=request.user, at=clock.now()
        )
        variant.expected_ship_date = wanted


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
            "price",
            "stock_on_hand",
            "low_stock_threshold",
            "availability",
            "expected_ship_date",
        )

    def clean_low_stock_threshold(self) -> int:
        value = self.cleaned_data.get("low_stock_threshold")
        if value is None:
            return int(self.instance.low_stock_threshold)
        return int(value)


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantForm
    extra = 0
    fields = (
        "sku",
        "colour",
        "price",
        "stock_on_hand",
        "low_stock_threshold",
        "availability",
        "expected_ship_date",
    )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "is_active", "is_featured", "position")
    list_filter = ("category", "is_active", "is_featured")
    list_editable = ("is_active", "is_featured", "position")
    search_fields = ("name", "slug", "variants__sku")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (VariantInline,)

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
class VariantAdmin(admin.ModelAdmin):
    """Prices and stock at a glance, editable in the list."""

    form = VariantForm

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
    list_editable = ("price", "stock_on_hand", "availability", "expected_ship_date")
    list_filter = ("availability", "product__category")
    search_fields = ("sku", "product__name", "colour")
    list_select_related = ("product",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Variant]:
        return super().get_queryset(request).select_related("product")

    def save_model(self, request: HttpRequest, obj: Variant, form: Any, change: bool) -> None:
        _save_variant(request, obj)
