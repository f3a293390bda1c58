"""Locale formats (issue #16 item 3): money, percentages and dates in English and Quebec French,
through the Python functions and the template filters (one table of cases for both)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from hearth.core import l10n
from hearth.core.clock import EASTERN
from hearth.core.money import Money

NBSP = "\u00a0"

MONEY = [
    (Decimal("1234.56"), "$1,234.56", f"1{NBSP}234,56{NBSP}$"),
    (Decimal("0"), "$0.00", f"0,00{NBSP}$"),
    (Decimal("5"), "$5.00", f"5,00{NBSP}$"),
    (Decimal("1234567.8"), "$1,234,567.80", f"1{NBSP}234{NBSP}567,80{NBSP}$"),
    (Decimal("-12.5"), "-$12.50", f"-12,50{NBSP}$"),
    (Decimal("0.005"), "$0.01", f"0,01{NBSP}$"),  # half-up to the cent, core's one rounding
    (Money(Decimal("199.00")), "$199.00", f"199,00{NBSP}$"),
    ("51.74", "$51.74", f"51,74{NBSP}$"),  # the stored tax components' decimal strings
    (3, "$3.00", f"3,00{NBSP}$"),
]

PERCENT = [
    ("0.05", "5%", f"5{NBSP}%"),
    (Decimal("0.13"), "13%", f"13{NBSP}%"),
    ("0.09975", "9.975%", f"9,975{NBSP}%"),  # QST keeps its three decimals
    ("0.07", "7%", f"7{NBSP}%"),
    ("0.070", "7%", f"7{NBSP}%"),
    ("0.15", "15%", f"15{NBSP}%"),
]

DATES = [
    (dt.date(2026, 11, 29), "November 29, 2026", "29 novembre 2026"),
    (dt.date(2026, 1, 1), "January 1, 2026", "1 janvier 2026"),
    (dt.date(2027, 8, 15), "August 15, 2027", "15 août 2027"),
    # 00:30 UTC on 1 December is still 30 November in Toronto, the shop's day
    (dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC), "November 30, 2026", "30 novembre 2026"),
]


@pytest.mark.parametrize(("value", "english", "french"), MONEY)
def test_money_reads_as_each_language_writes_it(value: object, english: str, french: str) -> None:
    assert l10n.money(value, "en") == english  # type: ignore[arg-type]
    assert l10n.money(value, "fr-ca") == french  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "english", "french"), PERCENT)
def test_tax_rate_reads_as_a_percentage(value: object, english: str, french: str) -> None:
    assert l10n.percent(value, "en") == english  # type: ignore[arg-type]
    assert l10n.percent(value, "fr-ca") == french  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "english", "french"), DATES)
def test_date_reads_in_words(value: dt.date, english: str, french: str) -> None:
    assert l10n.human_date(value, "en") == english
    assert l10n.human_date(value, "fr-ca") == french


@pytest.mark.parametrize(
    ("template", "value", "english", "french"),
    [
        ("{{ v|money }}", Decimal("1234.56"), "$1,234.56", f"1{NBSP}234,56{NBSP}$"),
        ("{{ v|percent }}", "0.09975", "9.975%", f"9,975{NBSP}%"),
        ("{{ v|human_date }}", dt.date(2026, 11, 29), "November 29, 2026", "29 novembre 2026"),
    ],
)
def test_template_filters_follow_the_active_language(
    template: str, value: object, english: str, french: str
) -> None:
    compiled = Template("{% load l10n_money %}" + template)
    for language, expected in (("en", english), ("fr-ca", french)):
        with translation.override(language):
            assert compiled.render(Context({"v": value})) == expected


def test_template_filter_argument_names_the_language() -> None:
    compiled = Template("{% load l10n_money %}{{ v|money:lang }} {{ d|human_date:lang }}")
    with translation.override("en"):
        rendered = compiled.render(
            Context({"v": Decimal("1234.56"), "d": dt.date(2026, 11, 29), "lang": "fr-ca"})
        )
    assert rendered == f"1{NBSP}234,56{NBSP}$ 29 novembre 2026"


def test_empty_values_show_as_nothing_not_as_zero() -> None:
    compiled = Template("{% load l10n_money %}[{{ a|money }}][{{ b|percent }}][{{ c|human_date }}]")
    assert compiled.render(Context({"a": None, "b": "", "c": None})) == "[][][]"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr-ca", "fr-ca"),
        ("fr-CA", "fr-ca"),
        ("fr_CA", "fr-ca"),
        ("fr", "fr-ca"),
        ("en", "en"),
        ("en-GB", "en"),
        ("", "en"),
        (None, "en"),
        ("de", "en"),
        ("zz-top", "en"),
    ],
)
def test_unsupported_language_reads_as_english(code: str | None, expected: str) -> None:
    assert l10n.babel_locale(code or "xx") == ("fr_CA" if expected == "fr-ca" else "en_CA")


def test_unsupported_language_formats_as_english_without_error() -> None:
    with translation.override("fr-ca"):  # even on a French page: the language asked for is "de"
        assert l10n.money(Decimal("1234.56"), "de") == "$1,234.56"
    assert l10n.human_date(dt.date(2026, 11, 29), "xx") == "November 29, 2026"


def test_float_amount_is_refused() -> None:
    with pytest.raises(TypeError):
        l10n.money(12.5)  # type: ignore[arg-type]


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        l10n.human_date(dt.datetime(2026, 11, 29, 12, 0))


def test_aware_datetime_in_toronto_keeps_its_day() -> None:
    evening = dt.datetime(2026, 11, 29, 23, 59, tzinfo=EASTERN)
    assert l10n.human_date(evening, "fr-ca") == "29 novembre 2026"


@pytest.mark.parametrize(
    ("moment", "english", "french"),
    [
        (
            dt.datetime(2026, 11, 29, 19, 5, tzinfo=dt.UTC),
            "November 29, 2026, 2:05\u202fp.m.",
            "29 novembre 2026, 14 h 05",
        ),
        (
            dt.datetime(2026, 7, 1, 9, 30, tzinfo=EASTERN),
            "July 1, 2026, 9:30\u202fa.m.",
            "1 juillet 2026, 09 h 30",  # CLDR fr-CA: HH h mm
        ),
    ],
)
def test_moment_reads_in_words_on_the_shops_clock(
    moment: dt.datetime, english: str, french: str
) -> None:
    assert l10n.human_datetime(moment, "en") == english
    assert l10n.human_datetime(moment, "fr-ca") == french
