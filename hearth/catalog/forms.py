"""The catalogue filter: a GET form, so filtered pages are plain links that work without JS."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.catalog.models import Category


class CatalogueFilterForm(forms.Form):
    """Category, colour, highest price (before tax) and in-stock-only. No personal information."""

    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
    )
    colour = forms.ChoiceField(label=_("Colour"), required=False)
    max_price = forms.DecimalField(
        label=_("Highest price (before tax), CAD"),
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
    )
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)

    def __init__(self, *args: Any, colours: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        colour_field = self.fields["colour"]
        assert isinstance(colour_field, forms.ChoiceField)  # noqa: S101 - narrows the type
        colour_field.choices = [("", _("All colours")), *((c, c) for c in colours)]

    def filters(self) -> dict[str, Any]:
        """The valid filters as catalogue() keyword arguments (invalid ones dropped)."""
        data = getattr(self, "cleaned_data", {})
        return {
            "category": data.get("category") or None,
            "colour": data.get("colour") or None,
            "max_price": data.get("max_price"),
            "in_stock_only": bool(data.get("in_stock")),
        }
