"""Comms' forms: unsubscribing by email when a link no longer works."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.core.fields import EmailAddressField
from hearth.privacy.notices import NoticeFormMixin


class UnsubscribeByEmailForm(NoticeFormMixin, forms.Form):
    collection_point = "unsubscribe_request"

    email = EmailAddressField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We email it a link that unsubscribes it."),
    )
