"""HTML forms of the checkout (TOS-4). Every form collecting personal information states its
purposes through privacy's ``NoticeFormMixin`` (PP-4). Prices are never taken from a form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from hearth.accounts.rules import PROVINCES
from hearth.checkout import rules
from hearth.core.email_address import valid_email_address
from hearth.core.errors import DomainError
from hearth.core.fields import EmailAddressField
from hearth.fulfilment.address import AddressCheck
from hearth.fulfilment.errors import AddressProblemCode
from hearth.fulfilment.selectors import check_delivery_address
from hearth.orders.selectors import TermsOffer
from hearth.privacy.notices import NoticeFormMixin
from hearth.privacy.rules import choices_conflict

PROVINCE_CHOICES = [("", _("Choose…"))] + [(code, code) for code in PROVINCES]
# Canada first; other countries are offered so that the shopper is told where to turn (TOS-16).
COUNTRY_CHOICES = [
    ("CA", _("Canada")),
    ("US", _("United States")),
    ("GB", _("United Kingdom")),
    ("FR", _("France")),
    ("DE", _("Germany")),
    ("AU", _("Australia")),
    ("OTHER", _("Another country")),
]


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a DomainError beside its field (or at the top of the form)."""
    placed = False
    for name, message in exc.fields.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


class AddToBasketForm(forms.Form):
    sku = forms.CharField(label=_("Product code"), max_length=40, widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=rules.MAX_LINE_QUANTITY, initial=1
    )


class ChangeQuantityForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=0,
        max_value=rules.MAX_LINE_QUANTITY,
        help_text=_("0 removes the item."),
    )


class AgeForm(forms.Form):
    """The 18+ question, asked before any personal information (issue #10 item 11, PP-13,
    TOS-3). It collects nothing personal: the answer only decides whether checkout goes on."""

    adult = forms.TypedChoiceField(
        label=_("Are you 18 or older?"),
        choices=[("yes", _("Yes, I am 18 or older.")), ("no", _("No, I am under 18."))],
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        error_messages={"required": _("Tell us whether you are 18 or older to go on.")},
    )


class ContactForm(NoticeFormMixin, forms.Form):
    collection_point = "checkout_contact"

    email = EmailAddressField(
        label=_("Email address"),
        max_length=254,
        help_text=_("Your order confirmation and tax invoice are sent here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        help_text=_("Only for the carrier, if they cannot find the address."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    # PP-5, PP-8, PP-9: two separate choices, each saying what it does. The express box is
    # unticked unless the customer's express consent is in force (leaving it unticked is not an
    # opt-out); the opt-out box refuses the email a purchase would otherwise allow (implied
    # consent, 2 years). Every message also has an unsubscribe link.
    marketing_email = forms.BooleanField(
        label=_("Email me news and offers"),
        required=False,
        initial=False,
        help_text=_("You can unsubscribe from any email we send."),
    )
    marketing_opt_out = forms.BooleanField(
        label=_("Do not email me about products related to my purchase"),
        required=False,
        initial=False,
        help_text=_(
            "Without this, we may email you about products related to your purchase for two "
            "years after it (unless you ask for news and offers above)."
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if choices_conflict(
            express_ticked=cleaned.get("marketing_email"),
            opted_out=bool(cleaned.get("marketing_opt_out")),
        ):
            self.add_error(
                "marketing_opt_out",
                _(
                    "You asked for news and offers and also not to be emailed about products: "
                    "untick one of the two boxes."
                ),
            )
        return cleaned

    def clean_email(self) -> str:
        # The same check as placing (issue #10 item 19): syntax, and no CR/LF header injection.
        checked = valid_email_address(self.cleaned_data["email"])
        if checked is None:
            raise forms.ValidationError(
                _("Enter a valid email address, such as name@example.com."), code="invalid"
            )
        return checked.lower()


class AddressForm(NoticeFormMixin, forms.Form):
    """The delivery address, checked against the address rules at the field (TOS-16, TOS-17)."""

    collection_point = "checkout_address"

    lines = forms.CharField(
        label=_("Street address"),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        help_text=_("One line per row: number and street, then unit or suite."),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    province = forms.ChoiceField(
        label=_("Province or territory"), choices=PROVINCE_CHOICES, required=False
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES, initial="CA")

    outside_service_region = False
    check: AddressCheck | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        result = check_delivery_address(
            lines=[line for line in data["lines"].splitlines() if line.strip()],
            city=data["city"],
            province=data.get("province") or "",
            postal_code=data["postal_code"],
            country=data["country"],
        )
        self.check = result
        if any(p.code == AddressProblemCode.OUTSIDE_SERVICE_REGION for p in result.problems):
            self.outside_service_region = True
            return data
        for problem in result.problems:
            field = problem.field if problem.field in self.fields else None
            self.add_error(field, problem.message)
        if result.accepted:
            data["postal_code"] = result.postal_code or data["postal_code"]
            data["province"] = result.province or data.get("province")
        return data

    def address(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "lines": [line.strip() for line in data["lines"].splitlines() if line.strip()],
            "city": data["city"].strip(),
            "province": data.get("province") or "",
            "postal_code": data["postal_code"],
            "country": data["country"],
        }


NEW_ADDRESS = "new"


def describe_address(address: Any) -> str:
    """One line naming a saved address for the radio list: label, street, city, province,
    postal code."""
    place = " ".join(p for p in (address.city, address.province, address.postal_code) if p)
    text = ", ".join([*address.line_list, place])
    return f"{address.label}: {text}" if address.label else text


class SavedAddressForm(forms.Form):
    """At the one-page checkout, a signed-in customer delivers to one of their saved addresses
    (a radio list, no JavaScript) or to a new one, which they may save in My Stuff (issue #16).
    Only the customer's own addresses are choices: any other value (another customer's address
    id) is refused beside the field."""

    saved_address = forms.ChoiceField(label=_("Deliver to"), widget=forms.RadioSelect)
    save_address = forms.BooleanField(
        label=_("Save this new address in My Stuff for next time"), required=False
    )

    def __init__(self, *args: Any, addresses: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.addresses = {str(a.pk): a for a in addresses}
        if not addresses:
            del self.fields["saved_address"]
            return
        field = cast(forms.ChoiceField, self.fields["saved_address"])
        field.choices = [(key, describe_address(a)) for key, a in self.addresses.items()] + [
            (NEW_ADDRESS, _("A new address (enter it below)"))
        ]
        field.initial = field.initial or next(iter(self.addresses))

    def chosen(self) -> Any | None:
        """The saved address chosen, or None for a new one."""
        return self.addresses.get(self.cleaned_data.get("saved_address") or NEW_ADDRESS)


class DeliveryForm(forms.Form):
    """Shipping method (the fee and window are in each choice's label: TOS-15) and discount."""

    shipping_method = forms.ChoiceField(
        label=_("Shipping method"), widget=forms.RadioSelect, initial="standard"
    )
    discount_code = forms.CharField(
        label=_("Discount code (optional)"), max_length=40, required=False
    )

    def __init__(self, *args: Any, methods: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["shipping_method"]).choices = methods


class PaymentMethodForm(forms.Form):
    payment_method = forms.ChoiceField(
        label=_("Payment method"),
        widget=forms.RadioSelect,
        choices=[
            ("card", _("Credit card (Visa, MasterCard, American Express)")),
            ("paypal", _("PayPal")),
        ],
        initial="card",
    )


def _language_name(code: str) -> str:
    """A language's own name ("Français", "English"): a version is named in its language."""
    return str(translation.get_language_info(code)["name_local"]).capitalize()


class PlaceOrderForm(NoticeFormMixin, forms.Form):
    """The attestations of TOS-3 and the one-time token that stops a second placement."""

    collection_point = "checkout_attestations"

    adult = forms.BooleanField(
        label=_("I am 18 or older (and authorised to buy for my company, if I buy for one)."),
        error_messages={"required": _("Confirm that you are 18 or older to place the order.")},
    )
    end_user = forms.BooleanField(
        label=_("I am buying as an end user and will not resell these products."),
        error_messages={"required": _("Confirm that you are an end user to place the order.")},
    )
    accurate = forms.BooleanField(
        label=_("The information I gave is accurate and complete."),
        error_messages={
            "required": _("Confirm that your information is accurate to place the order.")
        },
    )
    # Issue #16: asked only where the law names the terms' first language (Quebec): French first
    # and chosen unless the buyer picks another version.
    terms_language = forms.ChoiceField(
        label=_("The version of the terms of sale I accept"),
        widget=forms.RadioSelect,
        choices=(),
        required=False,  # none chosen: the version offered first (French in Quebec)
    )
    place_token = forms.CharField(widget=forms.HiddenInput)
    basket_version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, terms: TermsOffer | None = None, **kwargs: Any) -> None:
        asked = terms is not None and terms.law_names_first
        if not asked:
            # Left out before the form is built, so the privacy notice (made as the form is
            # built) lists exactly the fields shown (PP-4).
            self.base_fields = {  # type: ignore[misc]  # this instance's fields only
                name: field
                for name, field in type(self).base_fields.items()
                if name != "terms_language"
            }
        super().__init__(*args, **kwargs)
        if terms is None or not asked:
            return
        field = cast(forms.ChoiceField, self.fields["terms_language"])
        field.choices = [(code, _language_name(code)) for code in terms.languages]
        field.initial = terms.first
        self.terms_offer = terms
