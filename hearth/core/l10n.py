"""Locale formats (issue #16 item 3): money, percentages and dates as a reader of the language
expects them, through Babel (CLDR data), never by hand.

- ``money(Decimal("1234.56"))`` is ``"$1,234.56"`` in English and ``"1 234,56 $"`` in French
  (the spaces are no-break spaces, so a line never breaks inside an amount);
- ``percent(Decimal("0.09975"))`` is ``"9.975%"`` / ``"9,975 %"``; ``percent("0.05")`` ``"5%"`` /
  ``"5 %"`` (a rate is a fraction, as the tax data stores it; every significant digit is kept);
- ``human_date(date(2026, 11, 29))`` is ``"November 29, 2026"`` / ``"29 novembre 2026"``;
- ``human_datetime(...)`` adds the shop's (Toronto) wall-clock time: ``"November 29, 2026,
  2:05 p.m."`` / ``"29 novembre 2026, 14 h 05"``.

Each takes an optional ``language`` (a Django language code, ``"en"`` or ``"fr-ca"``); without
it, the active language (``translation.override`` around an email or a PDF sets it). An
unsupported language reads as English, the shop's default. Templates use the same functions as
the filters ``money``, ``percent``, ``human_date`` and ``human_datetime`` of
``{% load l10n_money %}``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache, lru_cache

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_percent
from django.utils import translation

from hearth.core.clock import EASTERN
from hearth.core.languages import choose_language
from hearth.core.money import Money, round_cents

#: Django language code -> Babel locale. English is Canadian English ("$" for the Canadian
#: dollar, not "CA$"); French is Quebec French.
_LOCALES = {"en": "en_CA", "fr-ca": "fr_CA", "fr": "fr_CA"}
_DEFAULT = "en"


def babel_locale(language: str | None = None) -> str:
    """The Babel locale for ``language`` (default: the active language)."""
    return _locale_of(language if language else translation.get_language())


@lru_cache(maxsize=256)
def _locale_of(code: str | None) -> str:
    return _LOCALES.get(choose_language(code), _LOCALES[_DEFAULT])


def _decimal(value: Decimal | Money | str | int) -> Decimal:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, (bool, float)):
        raise TypeError("amounts are Decimal, Money, int or a decimal string, never float")
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value).strip())


# Babel takes 20-90 us a call (it applies CLDR's pattern afresh each time); a page or a document
# shows the same few prices, rates and days again and again, so each answer is kept, per locale.
@lru_cache(maxsize=8192)
def _money(amount: Decimal, locale: str) -> str:
    return str(format_currency(amount, "CAD", locale=_babel(locale)))


@lru_cache(maxsize=1024)
def _percent(value: Decimal, locale: str) -> str:
    return str(format_percent(value, locale=_babel(locale), decimal_quantization=False))


@lru_cache(maxsize=4096)
def _date(day: dt.date, locale: str) -> str:
    return str(format_date(day, format="long", locale=_babel(locale)))


@cache
def _babel(locale: str) -> Locale:
    return Locale.parse(locale)


def money(value: Decimal | Money | str | int, language: str | None = None) -> str:
    """An amount in Canadian dollars, to the cent: ``"$1,234.56"`` / ``"1 234,56 $"``."""
    return _money(round_cents(_decimal(value)), babel_locale(language))


def percent(rate: Decimal | str | int, language: str | None = None) -> str:
    """A rate given as a fraction (``"0.05"``) as a percentage: ``"5%"`` / ``"5 %"``; every
    significant digit kept (QST ``"9.975%"`` / ``"9,975 %"``)."""
    return _percent(_decimal(rate), babel_locale(language))


def human_date(day: dt.date | dt.datetime, language: str | None = None) -> str:
    """A day in words: ``"November 29, 2026"`` / ``"29 novembre 2026"``. A timezone-aware
    datetime is read on the shop's wall clock (America/Toronto) first."""
    if isinstance(day, dt.datetime):
        if day.tzinfo is None:
            raise ValueError("human_date() needs a date or a timezone-aware datetime")
        day = day.astimezone(EASTERN).date()
    return _date(day, babel_locale(language))


def human_datetime(moment: dt.datetime, language: str | None = None) -> str:
    """A moment on the shop's wall clock (America/Toronto), in words:
    ``"November 29, 2026, 2:05 p.m."`` / ``"29 novembre 2026, 14 h 05"``."""
    if moment.tzinfo is None:
        raise ValueError("human_datetime() needs a timezone-aware datetime")
    local = moment.astimezone(EASTERN)
    locale = babel_locale(language)
    day = format_date(local.date(), format="long", locale=locale)
    time = format_time(local, format="short", locale=locale, tzinfo=EASTERN)
    pattern = str(Locale.parse(locale).datetime_formats["medium"])
    return pattern.replace("{1}", str(day)).replace("{0}", str(time))
