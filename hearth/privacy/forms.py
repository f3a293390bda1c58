from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.privacy.notices import NoticeFormMixin


class AcknowledgePolicyForm(NoticeFormMixin, forms.Form):
    """A signed-in customer confirms having read the material changes."""

    collection_point = "policy_acknowledgement"

    confirm = forms.BooleanField(label=_("I have read the changes"), required=True)
    next = forms.CharField(widget=forms.HiddenInput, required=False)
