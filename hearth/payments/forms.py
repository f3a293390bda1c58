"""The sandbox provider's card form. It is the provider's page, not Hearth's, but it still states
why it asks (PP-4) through privacy's ``NoticeFormMixin``. The card number and CVC are never echoed
back into the page after a refused attempt."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from hearth.core import clock
from hearth.payments import cardtables, rules
from hearth.privacy.notices import NoticeFormMixin


class NoEchoTextInput(forms.TextInput):
    """A text box that never renders a submitted value back (card number, CVC)."""

    def format_value(self, value: Any) -> str | None:
        return None


MONTHS = [(m, f"{m:02d}") for m in range(1, 13)]


class CardForm(NoticeFormMixin, forms.Form):
    collection_point = "card_entry"

    session = forms.CharField(widget=forms.HiddenInput, max_length=40)
    card_number = forms.CharField(
        label=_("Card number"),
        max_length=32,
        strip=True,
        widget=NoEchoTextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
        help_text=_("Visa, MasterCard or American Express. Spaces or dashes are fine."),
    )
    exp_month = forms.TypedChoiceField(
        label=_("Expiry month"),
        choices=MONTHS,
        coerce=int,
        widget=forms.Select(attrs={"autocomplete": "cc-exp-month"}),
    )
    exp_year = forms.IntegerField(
        label=_("Expiry year"),
        min_value=0,
        max_value=2100,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-year", "placeholder": "2028"}),
    )
    cvc = forms.CharField(
        label=_("Security code (CVC)"),
        max_length=8,
        widget=NoEchoTextInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "size": "5"}
        ),
        help_text=_("3 digits on the back; 4 on the front of an American Express card."),
    )

    @sensitive_variables("data", "check")
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        check = rules.check_card(
            number=data["card_number"],
            exp_month=data["exp_month"],
            exp_year=rules.full_year(data["exp_year"]),
            cvc=data["cvc"],
            today=clock.today_eastern(),
            brands=cardtables.brands(),
        )
        for problem in check.problems:
            field = "exp_year" if problem.field == "expiry" else problem.field
            self.add_error(field, gettext(problem.message) % dict(problem.params))
        return data
