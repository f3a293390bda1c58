"""Form fields shared by every app's forms."""

from __future__ import annotations

from typing import Any

from django import forms

from hearth.core.email_address import valid_email_address, validate_email_address


class EmailAddressField(forms.EmailField):
    """An email field checked by ``email-validator`` (``core.email_address``) rather than
    Django's regular expression, so that every form refuses and normalises addresses exactly as
    placing an order does; the widget and its ``type="email"`` stay Django's."""

    default_validators = [validate_email_address]

    def clean(self, value: Any) -> str:
        cleaned = super().clean(value)
        return (valid_email_address(cleaned) or cleaned) if cleaned else cleaned
