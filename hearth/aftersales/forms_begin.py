"""Forms for beginning a return or claim (customer, guest, care). Shape only: every rule is in
:mod:`hearth.aftersales.rules` and the services, whose refusals the views show beside the field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.aftersales.models import RmaKind
from hearth.aftersales.rules import RECEIPT_MAX_BYTES, ReturnMethod
from hearth.core.fields import EmailAddressField


class AnySerialField(forms.MultipleChoiceField):
    """Checkboxes of the order's serials; any value passes here, so that a serial that is not
    on the order gets the service's clear refusal (``unit_not_found``) beside the field."""

    def valid_value(self, value: Any) -> bool:
        return True


class BeginForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What would you like to do?"),
        choices=RmaKind.choices,
        widget=forms.RadioSelect,
        initial=RmaKind.RETURN,
    )
    serials = AnySerialField(
        label=_("Which products?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each product is named by its serial number, as shipped."),
    )
    return_method = forms.ChoiceField(
        label=_("How will the product come back?"),
        choices=[
            (ReturnMethod.LABEL.value, _("A prepaid return label by email (drop it off)")),
            (ReturnMethod.PICKUP.value, _("A free pickup at the delivery address")),
        ],
        widget=forms.RadioSelect,
        initial=ReturnMethod.LABEL.value,
        required=False,
        help_text=_("The free pickup is for 45-day returns delivered inside Canada."),
    )
    problem = forms.CharField(
        label=_("What is wrong? (optional for a return)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    advance_replacement = forms.BooleanField(
        label=_(
            "Warranty claims: send me a replacement in advance (a card authorisation of the "
            "standard price is needed)"
        ),
        required=False,
    )

    def clean_return_method(self) -> str:
        return str(self.cleaned_data.get("return_method") or ReturnMethod.LABEL.value)

    def __init__(self, *args: Any, serial_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        serials = self.fields["serials"]
        if isinstance(serials, forms.ChoiceField):
            serials.choices = serial_choices


class CareOrderForm(BeginForm):
    """Care begins one for a caller: the order number, then the serials as for the customer."""

    order_number = forms.CharField(label=_("Order number"), max_length=12)
    serials_text = forms.CharField(
        label=_("Serial numbers"),
        max_length=400,
        help_text=_("Separate several serial numbers with spaces or commas."),
    )

    field_order = ["order_number", "serials_text", "kind", "return_method", "problem"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, serial_choices=[], **kwargs)
        del self.fields["serials"]

    def serial_list(self) -> list[str]:
        raw = self.cleaned_data.get("serials_text", "")
        return [s for s in raw.replace(",", " ").split() if s]


class DealerForm(forms.Form):
    """Care begins a warranty claim for a dealer purchase: the unit, the retail date, the
    receipt, and who sends it back from where."""

    serial = forms.CharField(label=_("Serial number"), max_length=40)
    retail_purchased_on = forms.DateField(
        label=_("Retail purchase date (YYYY-MM-DD)"),
        input_formats=["%Y-%m-%d"],
        help_text=_("As printed on the dealer's receipt: the warranty runs one year from it."),
    )
    dealer = forms.CharField(label=_("Dealer"), max_length=120)
    receipt = forms.FileField(
        label=_("Receipt (photo or PDF, at most 5 MB)"),
        help_text=_("JPEG, PNG, WebP or PDF."),
    )
    contact_name = forms.CharField(label=_("Name"), max_length=120)
    email = EmailAddressField(label=_("Email address"))
    phone = forms.CharField(label=_("Phone"), max_length=30)
    address_line = forms.CharField(label=_("Street address"), max_length=200)
    city = forms.CharField(label=_("City"), max_length=80)
    province = forms.CharField(label=_("Province or territory (e.g. ON)"), max_length=2)
    postal_code = forms.CharField(label=_("Postal code"), max_length=7)
    problem = forms.CharField(
        label=_("What is wrong?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    advance_replacement = forms.BooleanField(
        label=_("Send a replacement in advance (a card authorisation is needed)"), required=False
    )

    def receipt_content(self) -> bytes:
        """The uploaded file, read up to one byte past the limit (the rule refuses bigger)."""
        upload = self.cleaned_data["receipt"]
        upload.seek(0)
        data: bytes = upload.read(RECEIPT_MAX_BYTES + 1)
        return data
