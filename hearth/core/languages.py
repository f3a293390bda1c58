"""The shop's languages (issue #16 item 2): which codes are supported, and whose language a
message to a person is written in.

A person's language is chosen in one place: :func:`choose_language` takes the preferences in
order (the customer's stored choice, then the order's, then the page's) and returns the first
one the shop supports, or the default language (English). Anything else (``de``, a forged
value, an empty string) is never an error: it falls through to the next preference.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation


def supported_language(code: object) -> str | None:
    """``code`` as one of ``settings.LANGUAGES`` ("en", "fr-ca"), or None when unsupported.

    Case and ``_`` are forgiven ("fr_CA", "FR-ca"), and a bare "fr" reads as the shop's only
    French ("fr-ca"); anything else ("de", "", "x" * 500) is None."""
    if not isinstance(code, str) or not code or len(code) > 20:
        return None
    wanted = code.strip().lower().replace("_", "-")
    codes = [c for c, _name in settings.LANGUAGES]
    if wanted in codes:
        return wanted
    generic = wanted.split("-")[0]
    for candidate in codes:
        if candidate == generic or candidate.split("-")[0] == generic:
            return candidate
    return None


def choose_language(*preferences: object) -> str:
    """The first supported language among ``preferences`` (most wanted first), else the
    default language (``settings.LANGUAGE_CODE``)."""
    for preference in preferences:
        found = supported_language(preference)
        if found is not None:
            return found
    return settings.LANGUAGE_CODE


def active_language() -> str:
    """The language of the request being served (or of ``translation.override``), supported."""
    return choose_language(translation.get_language())


def remember_language(response: HttpResponse, language: str) -> None:
    """Set the language cookie (``django_language``, strictly necessary and a session cookie in
    the inventory) that ``LocaleMiddleware`` reads on the next request."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        choose_language(language),
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )
