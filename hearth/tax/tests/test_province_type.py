"""Provinces as a typed value: the 13 jurisdictions the tax engine knows, parsed leniently."""

from __future__ import annotations

import pytest

from hearth.core.places import Province
from hearth.tax.rules import provinces


def test_province_codes_are_exactly_the_tax_engines_thirteen():
    assert sorted(p.value for p in Province) == provinces()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ON", Province.ON), (" qc ", Province.QC), ("bc", Province.BC), ("XX", None), ("", None)],
)
def test_province_parse_ignores_case_and_spaces_and_refuses_the_rest(raw, expected):
    assert Province.parse(raw) is expected


def test_province_parse_refuses_a_non_string():
    assert Province.parse(None) is None
    assert Province.parse(13) is None
