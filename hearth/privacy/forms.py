from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.core.fields import EmailAddressField
from hearth.privacy.models import DataRequestKind
from hearth.privacy.notices import NoticeFormMixin


class AcknowledgePolicyForm(NoticeFormMixin, forms.Form):
    """A signed-in customer confirms having read the material changes."""

    collection_point = "policy_acknowledgement"

    confirm = forms.BooleanField(label=_("I have read the changes"), required=True)
    next = forms.CharField(widget=forms.HiddenInput, required=False)


class DataRequestForm(NoticeFormMixin, forms.Form):
    """Anyone, with or without an account, asks for access, a copy, a correction or erasure."""

    collection_point = "data_request"

    email = EmailAddressField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send a link there; the request opens when you follow it."),
    )
    kind = forms.ChoiceField(label=_("What would you like?"), choices=DataRequestKind.choices)
    note = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a correction: what is wrong and what it should say."),
    )
