"""Forms of the returns bench (scanner), the inspection, and care's unit search and hold release
(labels translated; the scanner types into one autofocused field and presses Enter)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.aftersales import rules
from hearth.aftersales.models_receiving import Disposition, InspectionCondition

_SCANNER = {"autofocus": True, "autocomplete": "off", "spellcheck": "false"}


class LabelScanForm(forms.Form):
    label = forms.CharField(
        label=_("RMA label"),
        max_length=40,
        help_text=_("Scan the return label's barcode, or type the RMA number (RMA-...)."),
        widget=forms.TextInput(attrs=_SCANNER),
    )


class SerialScanForm(forms.Form):
    serial = forms.CharField(
        label=_("Serial number"),
        max_length=40,
        help_text=_("Scan the serial barcode on the unit itself; the scanner presses Enter."),
        widget=forms.TextInput(attrs=_SCANNER),
    )


EXCLUSION_LABELS = {
    rules.Exclusion.ACCIDENT: _("Accident"),
    rules.Exclusion.ABUSE_OR_MISUSE: _("Abuse or misuse"),
    rules.Exclusion.AGAINST_INSTRUCTIONS: _("Use against the instructions"),
    rules.Exclusion.SERIAL_MISSING_OR_ALTERED: _("Serial number missing or altered"),
    rules.Exclusion.HOUSING_OPENED: _("Housing opened or tampered with"),
    rules.Exclusion.THIRD_PARTY_ACCESSORY: _("Damage from a third-party accessory"),
}


class InspectionForm(forms.Form):
    """Condition and packaging decide a 45-day return (TOS-22); exclusions a warranty claim
    (TOS-23). The exclusions field is only offered for a warranty claim."""

    condition = forms.ChoiceField(
        label=_("Condition"), choices=InspectionCondition.choices, widget=forms.RadioSelect
    )
    original_packaging = forms.TypedChoiceField(
        label=_("Original packaging with all materials"),
        choices=(("yes", _("Yes, complete")), ("no", _("No, something is missing"))),
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
    )
    exclusions = forms.MultipleChoiceField(
        label=_("Warranty exclusions found"),
        choices=[(e.value, label) for e, label in EXCLUSION_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick each one you found; none ticked means the claim is covered."),
    )
    disposition = forms.ChoiceField(
        label=_("Where the unit goes"), choices=Disposition.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind == rules.ClaimKind.WARRANTY:
            self.fields["condition"].required = False
            self.fields["original_packaging"].required = False
        else:
            del self.fields["exclusions"]


class UnitSearchForm(forms.Form):
    serial = forms.CharField(
        label=_("Serial number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ReleaseHoldForm(forms.Form):
    note = forms.CharField(
        label=_("Why the unit is accepted against this RMA"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
