"""Every form's email field is email-validator's check (issue #17 item 6): the same addresses are
refused and normalised on sign-up, support, returns, care and checkout as at placing."""

from __future__ import annotations

import pytest
from django import forms

from hearth.core.fields import EmailAddressField


class _Form(forms.Form):
    email = EmailAddressField()


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  ada@Example.COM ", "ada@example.com"),
        ("ada.lovelace+shop@sub.example.ca", "ada.lovelace+shop@sub.example.ca"),
        ("ada@bücher.ca", "ada@bücher.ca"),
        ("ada@example", None),  # no dot in the domain
        ("ada@@example.com", None),
        ("ada@exa mple.com", None),
        ("ada@example.com\r\nBcc: all@example.com", None),
        ("ada..lovelace@example.com", None),
        ("@example.com", None),
        ("ada@-example.com", None),
    ],
)
def test_email_fields_accept_and_refuse_as_email_validator_does(given, cleaned):
    form = _Form({"email": given})
    if cleaned is None:
        assert not form.is_valid()
        assert form.errors["email"]
    else:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["email"] == cleaned
