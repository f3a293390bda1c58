"""Tax labels (issue #16 item 2): a reader sees "TPS"/"TVQ" in French, "GST"/"QST" in English,
Manitoba's retail sales tax by its name, never a raw code with a raw rate."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from hearth.tax.labels import tax_label, tax_name
from hearth.tax.rates import default_rate_table


@pytest.mark.parametrize(
    ("code", "province", "english", "french"),
    [
        ("GST", "QC", "GST", "TPS"),
        ("QST", "QC", "QST", "TVQ"),
        ("HST", "ON", "HST", "TVH"),
        ("PST", "BC", "PST", "TVP"),
        ("PST", "SK", "PST", "TVP"),
        ("PST", "MB", "RST", "TVD"),
        ("PST", None, "PST", "TVP"),
        ("gst", None, "GST", "TPS"),
    ],
)
def test_tax_label_in_each_language(
    code: str, province: str | None, english: str, french: str
) -> None:
    with translation.override("en"):
        assert tax_label(code, province) == english
    with translation.override("fr-ca"):
        assert tax_label(code, province) == french


def test_full_names_are_french_in_french() -> None:
    with translation.override("fr-ca"):
        assert tax_name("GST") == "Taxe sur les produits et services"
        assert tax_name("QST") == "Taxe de vente du Québec"
        assert tax_name("HST") == "Taxe de vente harmonisée"


def test_every_component_in_the_rate_data_has_a_label() -> None:
    table = default_rate_table()
    codes = {record.component for record in table.records}
    with translation.override("fr-ca"):
        for code in codes:
            assert tax_label(code) != code, code


def test_unknown_code_is_shown_as_it_is() -> None:
    assert tax_label("XYZ") == "XYZ"


def test_template_filter_labels_the_component_for_the_province() -> None:
    compiled = Template("{% load tax_labels %}{{ code|tax_label:province }}")
    with translation.override("fr-ca"):
        assert compiled.render(Context({"code": "PST", "province": "MB"})) == "TVD"
        assert compiled.render(Context({"code": "QST", "province": "QC"})) == "TVQ"
