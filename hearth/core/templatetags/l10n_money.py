"""Locale formats in templates (issue #16 item 3), ``{% load l10n_money %}``:

- ``{{ amount|money }}``: ``"$1,234.56"`` / ``"1 234,56 $"``;
- ``{{ rate|percent }}``: a fraction as a percentage, ``"9.975%"`` / ``"9,975 %"``;
- ``{{ day|human_date }}``: ``"November 29, 2026"`` / ``"29 novembre 2026"``;
- ``{{ moment|human_datetime }}``: ``"November 29, 2026, 2:05 p.m."`` / ``"29 novembre 2026,
  14 h 05"`` (Toronto time).

Each formats in the active language, or in the language given as the filter's argument
(``{{ amount|money:order.language }}``). An empty value (None, "") shows as nothing. The same
functions serve PDFs and plain text: :mod:`hearth.core.l10n`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template

from hearth.core import l10n
from hearth.core.money import Money

register = template.Library()


@register.filter
def money(value: Decimal | Money | str | int | None, language: str | None = None) -> str:
    if value is None or value == "":
        return ""
    return l10n.money(value, language or None)


@register.filter
def percent(value: Decimal | str | int | None, language: str | None = None) -> str:
    if value is None or value == "":
        return ""
    return l10n.percent(value, language or None)


@register.filter
def human_date(value: dt.date | dt.datetime | None, language: str | None = None) -> str:
    if value is None or value == "":
        return ""
    return l10n.human_date(value, language or None)


@register.filter
def human_datetime(value: dt.datetime | None, language: str | None = None) -> str:
    if value is None or value == "":
        return ""
    return l10n.human_datetime(value, language or None)
