"""Forms of the warehouse pages and the guest's tracking look-up (labels translated)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.core.fields import EmailAddressField
from hearth.fulfilment.models import AdjustmentReason


class ScanForm(forms.Form):
    serial = forms.CharField(
        label=_("Serial number"),
        max_length=40,
        help_text=_("Scan the unit's serial barcode; the scanner presses Enter."),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "spellcheck": "false"}
        ),
    )


class ReceiptForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=40)
    quantity = forms.IntegerField(label=_("Units received"))
    reference = forms.CharField(
        label=_("Reference"),
        max_length=80,
        help_text=_("The supplier's packing list or purchase order number."),
    )
    rest_expected_ship_date = forms.DateField(
        label=_("Expected ship date for the rest"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Required when orders for this SKU would still wait after this receipt (see the "
            "list of waiting orders): they are re-dated and each customer is emailed. Not in "
            "the past."
        ),
    )


class AdjustmentForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=40)
    change = forms.IntegerField(
        label=_("Change in units"), help_text=_("Negative to take units away, e.g. -2.")
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=AdjustmentReason.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class GuestLookupForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=20)
    email = EmailAddressField(label=_("Email address"), max_length=254)
    postal_code = forms.CharField(label=_("Postal code it ships to"), max_length=10)
