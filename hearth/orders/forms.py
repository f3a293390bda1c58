"""Back-office forms for phone orders (TOS-5, TOS-12), with the privacy notice (PP-4)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hearth.core.email_address import valid_email_address
from hearth.core.fields import EmailAddressField
from hearth.privacy.notices import NoticeFormMixin
from hearth.privacy.rules import choices_conflict


class PhoneCustomerForm(NoticeFormMixin, forms.Form):
    collection_point = "phone_order"

    email = EmailAddressField(label=_("Customer's email address"))
    full_name = forms.CharField(
        label=_("Customer's name (for a new customer)"), max_length=200, required=False
    )

    def clean_email(self) -> str:
        # The same check as placing (issue #10 item 19): syntax, and no CR/LF header injection.
        checked = valid_email_address(self.cleaned_data["email"])
        if checked is None:
            raise forms.ValidationError(
                _("Enter a valid email address, such as name@example.com."), code="invalid"
            )
        return checked.lower()


class PhoneOrderForm(NoticeFormMixin, forms.Form):
    collection_point = "phone_order"

    lines = forms.CharField(
        label=_("Or type products: one line per product, SKU then quantity (e.g. EO-ONE-CHR 2)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    shipping_method = forms.ChoiceField(
        label=_("Shipping"),
        choices=(),
        initial="standard",
        widget=forms.RadioSelect,
        required=False,  # standard when none is chosen
    )
    name = forms.CharField(label=_("Name for delivery"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address_lines = forms.CharField(
        label=_("Street address (one line per row)"), widget=forms.Textarea(attrs={"rows": 2})
    )
    city = forms.CharField(label=_("City"), max_length=100)
    province = forms.CharField(label=_("Province or territory (e.g. ON)"), max_length=2)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10)
    country = forms.CharField(label=_("Country"), max_length=2, initial="CA")
    adult = forms.BooleanField(
        label=_(
            "Read to the customer and confirmed: 18 or older (and authorised, if buying for a "
            "company)"
        ),
        required=False,
    )
    end_user = forms.BooleanField(
        label=_("Read to the customer and confirmed: an end user who will not resell"),
        required=False,
    )
    accurate = forms.BooleanField(
        label=_("Read to the customer and confirmed: the information is accurate and complete"),
        required=False,
    )
    bc_pst_number = forms.CharField(
        label=_("BC PST number (purchase for resale, BC only)"), max_length=20, required=False
    )
    discount_code = forms.CharField(label=_("Discount code"), max_length=40, required=False)
    # PP-5, PP-8, PP-9: two questions asked separately. Not ticking the first is not an opt-out
    # (it withdraws only an express consent the customer had); the second is.
    marketing_opt_in = forms.BooleanField(
        label=_('Asked and answered yes: "Email me news and offers"'), required=False
    )
    marketing_opt_out = forms.BooleanField(
        label=_('Asked and answered yes: "Do not email me about products related to my purchase"'),
        required=False,
    )
    # Issue #16: the order's emails and documents are in this language.
    language = forms.ChoiceField(
        label=_("Customer's language (emails and documents)"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        required=False,  # none given: English
    )

    def __init__(
        self,
        *args: Any,
        picker: list[tuple[str, Any]] | None = None,
        methods: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``picker``: (SKU, label with price and live stock) per variant on sale, each a
        quantity field ``qty_<SKU>``; ``methods``: shipping choices with fee and dates."""
        super().__init__(*args, **kwargs)
        self.picker_skus: list[str] = []
        for sku, label in picker or []:
            self.fields[f"qty_{sku}"] = forms.IntegerField(
                label=label, min_value=0, max_value=99, required=False
            )
            self.picker_skus.append(sku)
        method = self.fields["shipping_method"]
        if isinstance(method, forms.ChoiceField):
            method.choices = methods or [("standard", _("Standard"))]

    def picker_fields(self) -> list[Any]:
        return [self[f"qty_{sku}"] for sku in self.picker_skus]

    def other_fields(self) -> list[Any]:
        return [f for f in self if not f.name.startswith("qty_") and f.name != "shipping_method"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines = list(data.get("lines") or [])
        for sku in self.picker_skus:
            quantity = data.get(f"qty_{sku}")
            if quantity:
                lines.append([sku, int(quantity)])
        if not lines and "lines" not in self.errors:
            self.add_error("lines", _("Add at least one product."))
        data["lines"] = lines
        if choices_conflict(
            express_ticked=data.get("marketing_opt_in"),
            opted_out=bool(data.get("marketing_opt_out")),
        ):
            self.add_error(
                "marketing_opt_out",
                _("News and offers and the opt-out cannot both be chosen: ask the customer again."),
            )
        return data

    def clean_lines(self) -> list[list[Any]]:
        parsed: list[list[Any]] = []
        for number, row in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            parts = row.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) < 1:
                raise forms.ValidationError(
                    _("Line %(n)d: write the SKU, a space, then a quantity of 1 or more.")
                    % {"n": number}
                )
            parsed.append([parts[0].upper(), int(parts[1])])
        return parsed


# --- Back office: acceptance review (TOS-6, TOS-9, TOS-21) and refunds.


def _non_acceptance_choices() -> list[tuple[str, Any]]:
    from hearth.orders import rules
    from hearth.orders.models import CancellationReason

    return [(r.value, CancellationReason(r.value).label) for r in rules.NON_ACCEPTANCE]


class NonAcceptanceForm(forms.Form):
    """Cancel a held order for one of TOS-9's reasons (refund or void, and an email)."""

    reason = forms.ChoiceField(label=_("Reason the order is not accepted"), choices=())
    note = forms.CharField(
        label=_("Note for the record (optional)"), max_length=500, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        if isinstance(reason, forms.ChoiceField):
            reason.choices = _non_acceptance_choices()


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount in CAD (leave empty to refund everything not yet refunded)"),
        max_digits=10,
        decimal_places=2,
        required=False,
    )
    reason = forms.CharField(label=_("Reason (the customer reads it in the email)"), max_length=500)
