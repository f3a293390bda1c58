"""Address rules (TOS-16, TOS-17): service region, province, postal code, refused places."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.fulfilment.address import (
    ALLOWANCES,
    BAD_POSTAL_LETTERS_MESSAGE,
    MESSAGES,
    NON_MATCHES,
    PATTERNS,
    AddressProblem,
    ForwarderAddress,
    check_address,
    forwarder_line_key,
    line_problem_codes,
    load_address_patterns,
    load_known_forwarders,
    load_postal_prefixes,
    normalise_postal_code,
    normalise_text,
)
from hearth.fulfilment.errors import AddressProblemCode

OTTAWA = {"city": "Ottawa", "province": "ON", "postal_code": "K2P 1L4", "country": "CA"}
MONTREAL = {"city": "Montréal", "province": "QC", "postal_code": "H2W 1T8", "country": "CA"}
QUEBEC = {"city": "Québec", "province": "QC", "postal_code": "G1R 4P5", "country": "CA"}


def codes(lines: list[str], where: dict[str, str]) -> list[tuple[str, str]]:
    result = check_address(lines=lines, **where)
    return [(p.code, p.field) for p in result.problems]


# (address lines, city/province/postal/country, expected (code, field) problems in order)
CASES: list[tuple[list[str], dict[str, str], list[tuple[str, str]]]] = [
    # PO boxes, English
    (["PO Box 123"], OTTAWA, [("po_box", "lines")]),
    (["P.O. Box 45"], OTTAWA, [("po_box", "lines")]),
    (["p.o.box 9"], OTTAWA, [("po_box", "lines")]),
    (["Post Office Box 12"], OTTAWA, [("po_box", "lines")]),
    (["Box 123"], OTTAWA, [("po_box", "lines")]),
    (["RR 2 Box 15"], OTTAWA, [("po_box", "lines")]),
    # PO boxes, French
    (["Case postale 123"], MONTREAL, [("po_box", "lines")]),
    (["C.P. 456"], MONTREAL, [("po_box", "lines")]),
    (["CP 789, succ. Centre-ville"], MONTREAL, [("po_box", "lines")]),
    (["Boîte postale 33"], QUEBEC, [("po_box", "lines")]),
    (["BOITE POSTALE 4"], QUEBEC, [("po_box", "lines")]),
    # General Delivery / Poste restante
    (["General Delivery"], OTTAWA, [("general_delivery", "lines")]),
    (["GD STN MAIN"], OTTAWA, [("general_delivery", "lines")]),
    (["Poste restante"], MONTREAL, [("general_delivery", "lines")]),
    # armed services
    (["CFPO 5000"], OTTAWA, [("armed_services", "lines")]),
    (["Bldg 10", "CFB Petawawa"], OTTAWA, [("armed_services", "lines")]),
    (["Canadian Forces Base Borden"], OTTAWA, [("armed_services", "lines")]),
    (["BFC Valcartier"], QUEBEC, [("armed_services", "lines")]),
    (["Base des Forces canadiennes Bagotville"], QUEBEC, [("armed_services", "lines")]),
    # hotels
    (["Grand Hotel", "100 King St W"], OTTAWA, [("hotel", "lines")]),
    (["HÔTEL LE GERMAIN", "2050 rue Mansfield"], MONTREAL, [("hotel", "lines")]),
    (["Sunset Motel, Room 12"], OTTAWA, [("hotel", "lines")]),
    # freight forwarders, by pattern and by known address
    (["c/o Fast Freight Forwarding", "100 Main St"], OTTAWA, [("freight_forwarder", "lines")]),
    (["Transitaire ABC inc.", "1 rue Principale"], QUEBEC, [("freight_forwarder", "lines")]),
    (
        ["2500 Meyerside Drive, Suite 4411"],
        {"city": "Mississauga", "province": "ON", "postal_code": "l5t1v3", "country": "CA"},
        [("freight_forwarder", "lines")],
    ),
    # several reasons at once, in order: fields first, then one problem per line code
    (["PO Box 12", "Grand Hotel"], OTTAWA, [("po_box", "lines"), ("hotel", "lines")]),
    (["PO Box 1", "C.P. 2"], MONTREAL, [("po_box", "lines")]),
    # service region (TOS-16)
    (
        ["1600 Pennsylvania Ave NW"],
        {**OTTAWA, "country": "US"},
        [("outside_service_region", "country")],
    ),
    (
        ["PO Box 5"],
        {**OTTAWA, "country": "fr", "province": ""},
        [("outside_service_region", "country")],
    ),
    # missing fields
    (["1 Main St"], {**OTTAWA, "country": " "}, [("missing_field", "country")]),
    (["", "  "], OTTAWA, [("missing_field", "lines")]),
    ([], OTTAWA, [("missing_field", "lines")]),
    (["1 Main St"], {**OTTAWA, "city": ""}, [("missing_field", "city")]),
    (["1 Main St"], {**OTTAWA, "province": ""}, [("missing_field", "province")]),
    (["1 Main St"], {**OTTAWA, "postal_code": " "}, [("missing_field", "postal_code")]),
    # province and postal code
    (["1 Main St"], {**OTTAWA, "province": "XX"}, [("invalid_province", "province")]),
    (["1 Main St"], {**OTTAWA, "province": "Ontario"}, [("invalid_province", "province")]),
    (
        ["1 Main St"],
        {**OTTAWA, "postal_code": "V6B 1A1"},
        [("postal_code_province_mismatch", "postal_code")],
    ),
    (["1 Main St"], {**OTTAWA, "postal_code": "12345"}, [("invalid_postal_code", "postal_code")]),
    (["1 Main St"], {**OTTAWA, "postal_code": "D2P 1L4"}, [("invalid_postal_code", "postal_code")]),
    (["1 Main St"], {**OTTAWA, "postal_code": "W2P 1L4"}, [("invalid_postal_code", "postal_code")]),
    (
        ["1 Main St"],
        {"city": "Yellowknife", "province": "NT", "postal_code": "X0A 0H0", "country": "CA"},
        [("postal_code_province_mismatch", "postal_code")],
    ),
    # accepted: real street names that look like refusals
    (["123 Box Elder Street"], OTTAWA, []),
    (["45 Boxwood Cres"], OTTAWA, []),
    (["10 Post Road"], OTTAWA, []),
    (["1 rue Hôtel-Dieu"], MONTREAL, []),
    (["12 rue du Cap"], QUEBEC, []),
    (["1 Capital Way"], OTTAWA, []),
    (["8 CPR Lane"], OTTAWA, []),
    (["5 Hotel Street"], OTTAWA, []),
    (["20 Cape Breton Rd"], OTTAWA, []),
    (["12 Forward Ave"], OTTAWA, []),
    (["9 rue de l'Hôtel-de-Ville"], QUEBEC, []),
    (
        ["Unit 5", "2500 Meyerside Drive"],
        {"city": "Mississauga", "province": "ON", "postal_code": "L5T 2N7", "country": "CA"},
        [],
    ),
    # accepted: case, spacing and spellings normalised
    (
        ["  1 Main   St "],
        {"city": "Ottawa", "province": " on ", "postal_code": "k2p1l4", "country": "ca"},
        [],
    ),
    (["1 Main St"], {**OTTAWA, "country": "Canada"}, []),
    (
        ["1 Main St"],
        {"city": "Iqaluit", "province": "NU", "postal_code": "X0A 0H0", "country": "CA"},
        [],
    ),
    (
        ["1 Main St"],
        {"city": "Yellowknife", "province": "NT", "postal_code": "X1A 2P8", "country": "CA"},
        [],
    ),
    (
        ["1 Main St"],
        {"city": "Gatineau", "province": "QC", "postal_code": "K1A 0C5", "country": "CA"},
        [],
    ),
    (
        ["1 Main St"],
        {"city": "Montréal", "province": "QC", "postal_code": "H2W 1Z5", "country": "CA"},
        [],
    ),
]


@pytest.mark.promise("TOS-16", "TOS-17")
@pytest.mark.parametrize(("lines", "where", "expected"), CASES)
def test_address_check_reports_every_reason_with_code_and_field(
    lines: list[str], where: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    result = check_address(lines=lines, **where)
    assert [(p.code, p.field) for p in result.problems] == expected
    assert result.accepted is (expected == [])


def test_there_are_at_least_35_address_cases() -> None:
    assert len(CASES) >= 35


@pytest.mark.promise("TOS-17")
def test_po_box_refusal_carries_a_clear_message() -> None:
    result = check_address(lines=["PO Box 123"], city="Ottawa", province="ON",
                           postal_code="K1A 0B1", country="CA")  # fmt: skip
    assert result == check_address(
        lines=["PO Box 123"], city="Ottawa", province="ON", postal_code="k1a0b1", country="CA"
    )
    assert result.accepted is False
    assert result.problems == (
        AddressProblem(
            code="po_box",
            field="lines",
            message=(
                "We cannot deliver to a post office box (PO Box, case postale). Please give a "
                "street address where someone can receive the parcel."
            ),
        ),
    )
    assert (result.postal_code, result.province, result.country) == ("K1A 0B1", "ON", "CA")


@pytest.mark.promise("TOS-16")
def test_outside_canada_points_to_customer_care_and_checks_nothing_else() -> None:
    result = check_address(lines=["PO Box 1"], city="", province="ZZ", postal_code="90210",
                           country="us")  # fmt: skip
    assert result.problems == (
        AddressProblem(
            "outside_service_region", "country", MESSAGES[AddressProblemCode.OUTSIDE_SERVICE_REGION]
        ),
    )
    assert "customer care" in result.problems[0].message
    assert (result.country, result.postal_code, result.province) == ("US", None, None)


def test_postal_code_with_letters_canada_post_never_uses_says_so() -> None:
    result = check_address(lines=["1 Main St"], **{**OTTAWA, "postal_code": "K2P 1O4"})
    assert result.problems == (
        AddressProblem("invalid_postal_code", "postal_code", BAD_POSTAL_LETTERS_MESSAGE),
    )


def test_mismatch_is_not_reported_when_the_province_is_invalid() -> None:
    assert codes(["1 Main St"], {**OTTAWA, "province": "XX", "postal_code": "V6B 1A1"}) == [
        ("invalid_province", "province")
    ]


# --- postal codes -------------------------------------------------------------------------

NORMALISED = [
    ("k1a0b1", "K1A 0B1"),
    ("K1A 0B1", "K1A 0B1"),
    (" k1a  0b1 ", "K1A 0B1"),
    ("K1A-0B1", "K1A 0B1"),
    ("h2w1z5", "H2W 1Z5"),
    ("T2W 1W1", "T2W 1W1"),
    ("X0A 0H0", "X0A 0H0"),
]
INVALID_POSTAL = [
    "",
    "K1A 0B",
    "K1A 0B11",
    "KKA 0B1",
    "11A 0B1",
    "K1A0B1X",
    "90210",
    *(f"{letter}1A 0B1" for letter in "DFIOQUWZ"),
    *(f"K1{letter} 0B1" for letter in "DFIOQU"),
    *(f"K1A 0{letter}1" for letter in "DFIOQU"),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALISED)
def test_postal_code_is_normalised_to_a1a_1a1(raw: str, expected: str) -> None:
    assert normalise_postal_code(raw) == expected


@pytest.mark.parametrize("raw", INVALID_POSTAL)
def test_postal_code_with_bad_shape_or_letters_is_refused(raw: str) -> None:
    assert normalise_postal_code(raw) is None


POSTAL_LETTER = st.sampled_from("ABCEGHJKLMNPRSTVWXYZ")
POSTAL_FIRST = st.sampled_from("ABCEGHJKLMNPRSTVXY")
DIGIT = st.sampled_from("0123456789")


@given(
    chars=st.tuples(POSTAL_FIRST, DIGIT, POSTAL_LETTER, DIGIT, POSTAL_LETTER, DIGIT),
    lower=st.booleans(),
    gap=st.sampled_from(["", " ", "  ", "-"]),
)
def test_every_well_formed_postal_code_normalises_the_same_way(
    chars: tuple[str, ...], lower: bool, gap: str
) -> None:
    compact = "".join(chars)
    raw = compact[:3] + gap + compact[3:]
    expected = f"{compact[:3]} {compact[3:]}"
    assert normalise_postal_code(raw.lower() if lower else raw) == expected
    assert normalise_postal_code(expected) == expected


# --- pattern data -------------------------------------------------------------------------


@pytest.mark.promise("TOS-17")
@pytest.mark.parametrize(("code", "example"), [(p.code, e) for p in PATTERNS for e in p.examples])
def test_every_pattern_example_is_refused_with_its_code(code: str, example: str) -> None:
    assert code in line_problem_codes(example)


@pytest.mark.parametrize("line", NON_MATCHES)
def test_real_street_names_pass_every_pattern(line: str) -> None:
    assert line_problem_codes(line) == ()


@pytest.mark.parametrize(("code", "example"), [(a.code, e) for a in ALLOWANCES for e in a.examples])
def test_allowance_examples_are_not_refused_for_their_code(code: str, example: str) -> None:
    assert code not in line_problem_codes(example)


def test_every_pattern_has_english_and_french_forms_where_both_exist() -> None:
    languages = {(p.code, p.language) for p in PATTERNS}
    for code in ("po_box", "general_delivery", "armed_services", "hotel", "freight_forwarder"):
        assert {(code, "en"), (code, "fr")} <= languages


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("P.O. Box 45", "p o box 45"),
        ("rue de l’Hôtel-Dieu", "rue de l hotel dieu"),
        ("BOÎTE  POSTALE", "boite postale"),
        ("Straße", "strasse"),
    ],
)
def test_text_is_normalised_without_case_accents_or_punctuation(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


# --- known forwarders ---------------------------------------------------------------------


def test_staff_added_forwarder_is_refused_at_its_postal_code_only() -> None:
    staff = [ForwarderAddress("77 Parcel Depot Road", "m9w 5l7", "seen on returned parcels")]
    refused = check_address(
        lines=["Unit 880", "77 Parcel Depot Rd."],
        city="Toronto",
        province="ON",
        postal_code="M9W 5L7",
        country="CA",
        known_forwarders=staff,
    )
    elsewhere = check_address(
        lines=["77 Parcel Depot Rd"],
        city="Toronto",
        province="ON",
        postal_code="M9W 5L8",
        country="CA",
        known_forwarders=staff,
    )
    without = check_address(
        lines=["77 Parcel Depot Rd"],
        city="Toronto",
        province="ON",
        postal_code="M9W 5L7",
        country="CA",
    )
    assert [p.code for p in refused.problems] == ["freight_forwarder"]
    assert (elsewhere.accepted, without.accepted) == (True, True)


def test_forwarder_line_must_match_whole_words() -> None:
    staff = [ForwarderAddress("7 Parcel Depot Rd", "M9W 5L7")]
    result = check_address(
        lines=["77 Parcel Depot Rd"],
        city="Toronto",
        province="ON",
        postal_code="M9W 5L7",
        country="CA",
        known_forwarders=staff,
    )
    assert result.accepted is True


def test_forwarder_key_folds_street_types_and_units() -> None:
    assert forwarder_line_key("2500 Meyerside Drive, Suite 4") == "2500 meyerside dr unit 4"


# --- table validation ---------------------------------------------------------------------


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "table.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_shipped_tables_load() -> None:
    assert len(load_postal_prefixes()) == 13
    assert load_known_forwarders()
    assert load_address_patterns()[0] == PATTERNS


@pytest.mark.parametrize(
    "doc",
    [
        {"patterns": [{"code": "nope", "language": "en", "regex": "x", "description": "d",
                       "source": "s", "examples": ["x"]}]},
        {"patterns": [{"code": "po_box", "language": "en", "regex": "(", "description": "d",
                       "source": "s", "examples": ["x"]}]},
        {"patterns": [{"code": "po_box", "language": "de", "regex": "x", "description": "d",
                       "source": "s", "examples": ["x"]}]},
        {"patterns": [{"code": "po_box", "language": "en", "regex": "x", "description": "d",
                       "examples": ["x"]}]},
        {"patterns": [{"code": "po_box", "language": "en", "regex": "x", "description": "d",
                       "source": "s", "examples": ["x"]}]},
    ],
)  # fmt: skip
def test_bad_pattern_table_is_refused_when_loaded(tmp_path: Path, doc: object) -> None:
    with pytest.raises(ValueError):
        load_address_patterns(write(tmp_path, doc))


@pytest.mark.parametrize(
    "doc",
    [
        {"provinces": [{"code": "ON", "name": "Ontario", "source": "s", "prefixes": ["K"]}]},
        {"provinces": [{"code": "on", "name": "Ontario", "source": "s", "prefixes": ["K"]}]},
        {"provinces": [{"code": "ON", "name": "Ontario", "source": "s", "prefixes": ["D"]}]},
        [],
    ],
)
def test_bad_postal_prefix_table_is_refused_when_loaded(tmp_path: Path, doc: object) -> None:
    with pytest.raises(ValueError):
        load_postal_prefixes(write(tmp_path, doc))


@pytest.mark.parametrize(
    "doc",
    [
        {"forwarders": [{"line": "1 Main St", "postal_code": "D1A 1A1", "source": "s"}]},
        {"forwarders": [{"line": "", "postal_code": "K1A 0B1", "source": "s"}]},
        {"forwarders": [{"line": "1 Main St", "postal_code": "K1A 0B1"}]},
    ],
)
def test_bad_forwarder_table_is_refused_when_loaded(tmp_path: Path, doc: object) -> None:
    with pytest.raises(ValueError):
        load_known_forwarders(write(tmp_path, doc))
