"""Warranty outcomes as pure rules: coverage chains, quote prices, the advance replacement's
authorisation (TOS-23, TOS-24)."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.aftersales import warranty_rules as wr
from hearth.aftersales.rules import warranty_end
from hearth.core.errors import DomainError

DATA = Path(__file__).resolve().parents[1] / "data" / "warranty_terms.toml"
CATALOG_FORMATS = Path(__file__).resolve().parents[2] / "catalog" / "data" / "serial_formats.toml"

# A chain step: replace the current unit, repair it, or sell it to a new owner.
steps = st.lists(st.sampled_from(["replace", "repair", "new_owner"]), max_size=12)


@pytest.mark.promise("TOS-23")
@given(
    start=st.dates(min_value=dt.date(2006, 1, 1), max_value=dt.date(2098, 12, 31)),
    chain=steps,
)
def test_every_serial_of_a_replacement_chain_ends_on_the_original_warranty_end(
    start: dt.date, chain: list[str]
) -> None:
    original = wr.original_coverage(serial="S0", start=start)
    current = original
    coverages = {original.serial: original}
    for number, step in enumerate(chain, start=1):
        if step == "replace":
            current = wr.replacement_coverage(current, serial=f"S{number}")
        elif step == "repair":
            current = wr.after_repair(current)
        else:
            current = wr.after_new_owner(current)
        coverages[current.serial] = current
    for coverage in coverages.values():
        assert coverage.end == original.end == warranty_end(start)
        assert coverage.start == original.start
        assert wr.chain_root(coverages, coverage.serial) == original


@pytest.mark.promise("TOS-23")
def test_a_replacement_records_the_serial_it_replaced_and_keeps_the_dates() -> None:
    original = wr.original_coverage(serial="EO1C26000001", start=dt.date(2026, 3, 2))
    replacement = wr.replacement_coverage(original, serial="EO1C26000002")
    assert replacement.replaces == "EO1C26000001"
    assert (replacement.start, replacement.end) == (dt.date(2026, 3, 2), dt.date(2027, 3, 2))


def test_a_replacement_with_the_original_serial_is_refused() -> None:
    original = wr.original_coverage(serial="EO1C26000001", start=dt.date(2026, 3, 2))
    with pytest.raises(DomainError) as refused:
        wr.replacement_coverage(original, serial="EO1C26000001")
    assert refused.value.code == wr.WarrantyErrorCode.SAME_SERIAL


@pytest.mark.parametrize(
    ("standard", "percent", "expected"),
    [
        ("249.00", "30", "174.30"),
        ("549.00", "30", "384.30"),
        ("179.00", "35", "116.35"),
        ("189.00", "35", "122.85"),
        ("0.05", "50", "0.03"),  # half a cent rounds up (PROMISES.md rounding)
        ("899.00", "0", "899.00"),
        ("899.00", "100", "0.00"),
    ],
)
def test_a_discounted_replacement_is_the_standard_price_less_the_percentage(
    standard: str, percent: str, expected: str
) -> None:
    assert wr.discounted_price(Decimal(standard), Decimal(percent)) == Decimal(expected)


@pytest.mark.promise("TOS-23")
def test_quote_options_price_a_repair_by_sku_and_a_replacement_off_the_standard_price() -> None:
    terms = wr.WarrantyTerms("EO-ONE-CHR", Decimal("79.00"), Decimal("30"), True)
    repair = wr.option_price(wr.QuoteOption.PAID_REPAIR, terms=terms, standard_price=Decimal(249))
    replace = wr.option_price(
        wr.QuoteOption.DISCOUNTED_REPLACEMENT, terms=terms, standard_price=Decimal(249)
    )
    assert (repair, replace) == (Decimal("79.00"), Decimal("174.30"))
    assert wr.resolution_of(wr.QuoteOption.PAID_REPAIR) == wr.Resolution.REPAIR
    assert wr.resolution_of(wr.QuoteOption.DISCOUNTED_REPLACEMENT) == wr.Resolution.REPLACEMENT


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("authorised", "current", "charge", "refund"),
    [
        ("281.37", "281.37", "281.37", "0.00"),  # price unchanged: the authorisation
        ("281.37", "259.90", "259.90", "21.47"),  # price fell: charge it, give the rest back
        ("281.37", "310.00", "281.37", "0.00"),  # price rose: never above the authorisation
    ],
)
def test_capturing_an_advance_replacement_charges_the_then_current_price_up_to_the_hold(
    authorised: str, current: str, charge: str, refund: str
) -> None:
    plan = wr.capture_plan(authorised=Decimal(authorised), current_price=Decimal(current))
    assert (plan.charge, plan.refund) == (Decimal(charge), Decimal(refund))


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        ("authorised", "covered", "released"),
        ("authorised", "not_covered", "captured"),
        ("authorised", "not_arrived", "captured"),
        ("authorised", "charge_failed", "capture_failed"),
        ("capture_failed", "charged_later", "captured"),
        ("released", "not_arrived", None),
        ("released", "not_covered", None),
        ("captured", "covered", None),
        ("captured", "not_arrived", None),
        ("capture_failed", "covered", None),
    ],
)
def test_the_advance_replacement_payment_moves_only_along_its_table(
    state: str, event: str, expected: str | None
) -> None:
    if expected is None:
        with pytest.raises(DomainError) as refused:
            wr.advance_move(state, event)
        assert refused.value.code == wr.WarrantyErrorCode.ADVANCE_MOVE_NOT_ALLOWED
        assert refused.value.status == 409
    else:
        assert wr.advance_move(state, event) == expected


def test_the_terms_file_covers_every_serialised_sku_and_nothing_else() -> None:
    terms = wr.parse_terms(tomllib.loads(DATA.read_text()))
    formats = tomllib.loads(CATALOG_FORMATS.read_text())["format"]
    serialised = {f["sku"] for f in formats if f.get("serialised", True)}
    assert set(terms) == serialised
    assert wr.advance_replacement_qualifies(terms["EO-ONE-CHR"])
    assert not wr.advance_replacement_qualifies(terms["HEARTH-AMP-GRA"])
    assert not wr.advance_replacement_qualifies(None)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"repair_price": "1", "replacement_discount_percent": "1"}, "no sku"),
        ({"sku": "X", "replacement_discount_percent": "1", "advance_replacement": True}, "repair"),
        (
            {
                "sku": "X",
                "repair_price": "-1",
                "replacement_discount_percent": "1",
                "advance_replacement": True,
            },
            "zero or more",
        ),
        (
            {
                "sku": "X",
                "repair_price": "1",
                "replacement_discount_percent": "101",
                "advance_replacement": True,
            },
            "100 percent",
        ),
        (
            {
                "sku": "X",
                "repair_price": "1",
                "replacement_discount_percent": "1",
                "advance_replacement": "yes",
            },
            "true or false",
        ),
    ],
)
def test_a_malformed_terms_entry_is_refused_naming_it(
    entry: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        wr.parse_terms({"terms": [entry]})


def test_terms_for_an_unknown_sku_is_a_refusal() -> None:
    with pytest.raises(DomainError) as refused:
        wr.terms_for({}, "ACC-CABLE-3M")
    assert refused.value.code == wr.WarrantyErrorCode.UNKNOWN_TERMS
