"""``{% load tax_labels %}``: ``{{ component.code|tax_label:order.province }}`` is "GST" / "TPS",
"QST" / "TVQ", Manitoba's PST "RST" / "TVD" (:mod:`hearth.tax.labels`)."""

from __future__ import annotations

from django import template

from hearth.tax import labels

register = template.Library()


@register.filter
def tax_label(code: str, province: str | None = None) -> str:
    return labels.tax_label(code, province or None)


@register.filter
def tax_name(code: str, province: str | None = None) -> str:
    return labels.tax_name(code, province or None)
