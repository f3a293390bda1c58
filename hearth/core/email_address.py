"""One check of an email address before anything is charged or sent (issue #10 item 19).

Syntax by the ``email-validator`` library (no DNS lookups: ``check_deliverability=False``), and
no carriage return or line feed anywhere (they would inject mail headers). Used by the web
checkout form, the JSON checkout API, phone orders and placing itself.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def valid_email_address(value: str) -> str | None:
    """The address, normalised (domain lower-cased), or None if it is not a usable address."""
    if not isinstance(value, str) or "\r" in value or "\n" in value or "\x00" in value:
        return None
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return str(checked.normalized)


def validate_email_address(value: str) -> None:
    """A Django validator with the same check (so every form and model field agrees)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext

    if valid_email_address(value) is None:
        raise ValidationError(
            gettext("Enter a valid email address, such as name@example.com."), code="invalid"
        )
