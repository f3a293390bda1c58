"""The tax rules of PROMISES.md, as a table of orders with exact expected amounts (TOS-11, TOS-12).

Unless a case says otherwise the order is one line of 100.00 with no shipping, so each expected
amount reads as the rate in percent. Every rate change since 2006 appears as the day before and
the day of the change.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearth.core.errors import DomainError
from hearth.core.money import round_cents
from hearth.tax.errors import TaxErrorCode
from hearth.tax.rules import (
    TaxComponent,
    TaxLine,
    TaxQuote,
    normalise_bc_pst_number,
    provinces,
    quote,
    rates_on,
)

D = Decimal
ONE_HUNDRED = (TaxLine(D("100.00"), 1),)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def components(spec: str) -> tuple[TaxComponent, ...]:
    """ "GST 0.05 5.00 + PST 0.07 7.00" -> the TaxComponents, in that order."""
    parts = [item.split() for item in spec.split("+")]
    return tuple(TaxComponent(code, D(rate), D(amount)) for code, rate, amount in parts)


def expected_quote(spec: str, subtotal: str) -> TaxQuote:
    parts = components(spec)
    total = sum((c.amount for c in parts), D("0.00"))
    return TaxQuote(parts, total, D(subtotal), D(subtotal) + total)


# (province, date, expected components) for one line of 100.00 and no shipping.
# fmt: off
RATE_CHANGE_CASES = [
    # GST 7% -> 6% (2006-07-01) -> 5% (2008-01-01), in a GST-only province and the territories.
    ("AB", "2006-01-01", "GST 0.07 7.00"),
    ("AB", "2006-06-30", "GST 0.07 7.00"),
    ("AB", "2006-07-01", "GST 0.06 6.00"),
    ("AB", "2007-12-31", "GST 0.06 6.00"),
    ("AB", "2008-01-01", "GST 0.05 5.00"),
    ("NU", "2006-06-30", "GST 0.07 7.00"),
    ("NT", "2006-07-01", "GST 0.06 6.00"),
    ("YT", "2007-12-31", "GST 0.06 6.00"),
    ("YT", "2008-01-01", "GST 0.05 5.00"),
    ("NT", "2026-03-01", "GST 0.05 5.00"),
    ("NU", "2026-03-01", "GST 0.05 5.00"),
    ("YT", "2026-03-01", "GST 0.05 5.00"),
    # Nova Scotia HST 15 -> 14 -> 13 -> 15 (2010-07-01) -> 14 (2025-04-01).
    ("NS", "2006-06-30", "HST 0.15 15.00"),
    ("NS", "2006-07-01", "HST 0.14 14.00"),
    ("NS", "2007-12-31", "HST 0.14 14.00"),
    ("NS", "2008-01-01", "HST 0.13 13.00"),
    ("NS", "2010-06-30", "HST 0.13 13.00"),
    ("NS", "2010-07-01", "HST 0.15 15.00"),
    ("NS", "2025-03-31", "HST 0.15 15.00"),
    ("NS", "2025-04-01", "HST 0.14 14.00"),
    # New Brunswick HST 15 -> 14 -> 13 -> 15 (2016-07-01).
    ("NB", "2006-06-30", "HST 0.15 15.00"),
    ("NB", "2006-07-01", "HST 0.14 14.00"),
    ("NB", "2007-12-31", "HST 0.14 14.00"),
    ("NB", "2008-01-01", "HST 0.13 13.00"),
    ("NB", "2016-06-30", "HST 0.13 13.00"),
    ("NB", "2016-07-01", "HST 0.15 15.00"),
    # Newfoundland and Labrador, the same steps.
    ("NL", "2006-06-30", "HST 0.15 15.00"),
    ("NL", "2006-07-01", "HST 0.14 14.00"),
    ("NL", "2007-12-31", "HST 0.14 14.00"),
    ("NL", "2008-01-01", "HST 0.13 13.00"),
    ("NL", "2016-06-30", "HST 0.13 13.00"),
    ("NL", "2016-07-01", "HST 0.15 15.00"),
    # Ontario: RST 8% (shown as PST) with GST, then HST 13% from 2010-07-01.
    ("ON", "2006-06-30", "GST 0.07 7.00 + PST 0.08 8.00"),
    ("ON", "2006-07-01", "GST 0.06 6.00 + PST 0.08 8.00"),
    ("ON", "2007-12-31", "GST 0.06 6.00 + PST 0.08 8.00"),
    ("ON", "2008-01-01", "GST 0.05 5.00 + PST 0.08 8.00"),
    ("ON", "2010-06-30", "GST 0.05 5.00 + PST 0.08 8.00"),
    ("ON", "2010-07-01", "HST 0.13 13.00"),
    # British Columbia: PST 7%, HST 12% 2010-07-01..2013-03-31, PST 7% again.
    ("BC", "2006-06-30", "GST 0.07 7.00 + PST 0.07 7.00"),
    ("BC", "2006-07-01", "GST 0.06 6.00 + PST 0.07 7.00"),
    ("BC", "2007-12-31", "GST 0.06 6.00 + PST 0.07 7.00"),
    ("BC", "2008-01-01", "GST 0.05 5.00 + PST 0.07 7.00"),
    ("BC", "2010-06-30", "GST 0.05 5.00 + PST 0.07 7.00"),
    ("BC", "2010-07-01", "HST 0.12 12.00"),
    ("BC", "2013-03-31", "HST 0.12 12.00"),
    ("BC", "2013-04-01", "GST 0.05 5.00 + PST 0.07 7.00"),
    # Prince Edward Island: PST 10% on price plus GST, HST 14% (2013-04-01), 15% (2016-10-01).
    ("PE", "2006-06-30", "GST 0.07 7.00 + PST 0.10 10.70"),
    ("PE", "2006-07-01", "GST 0.06 6.00 + PST 0.10 10.60"),
    ("PE", "2007-12-31", "GST 0.06 6.00 + PST 0.10 10.60"),
    ("PE", "2008-01-01", "GST 0.05 5.00 + PST 0.10 10.50"),
    ("PE", "2013-03-31", "GST 0.05 5.00 + PST 0.10 10.50"),
    ("PE", "2013-04-01", "HST 0.14 14.00"),
    ("PE", "2016-09-30", "HST 0.14 14.00"),
    ("PE", "2016-10-01", "HST 0.15 15.00"),
    # Quebec: QST 7.5%, 8.5% (2011), 9.5% (2012) on price plus GST; 9.975% on price (2013).
    ("QC", "2006-06-30", "GST 0.07 7.00 + QST 0.075 8.03"),
    ("QC", "2006-07-01", "GST 0.06 6.00 + QST 0.075 7.95"),
    ("QC", "2007-12-31", "GST 0.06 6.00 + QST 0.075 7.95"),
    ("QC", "2008-01-01", "GST 0.05 5.00 + QST 0.075 7.88"),
    ("QC", "2010-12-31", "GST 0.05 5.00 + QST 0.075 7.88"),
    ("QC", "2011-01-01", "GST 0.05 5.00 + QST 0.085 8.93"),
    ("QC", "2011-12-31", "GST 0.05 5.00 + QST 0.085 8.93"),
    ("QC", "2012-01-01", "GST 0.05 5.00 + QST 0.095 9.98"),
    ("QC", "2012-12-31", "GST 0.05 5.00 + QST 0.095 9.98"),
    ("QC", "2013-01-01", "GST 0.05 5.00 + QST 0.09975 9.98"),
    # Saskatchewan PST 7% -> 5% (2006-10-28) -> 6% (2017-03-23).
    ("SK", "2006-06-30", "GST 0.07 7.00 + PST 0.07 7.00"),
    ("SK", "2006-07-01", "GST 0.06 6.00 + PST 0.07 7.00"),
    ("SK", "2006-10-27", "GST 0.06 6.00 + PST 0.07 7.00"),
    ("SK", "2006-10-28", "GST 0.06 6.00 + PST 0.05 5.00"),
    ("SK", "2008-01-01", "GST 0.05 5.00 + PST 0.05 5.00"),
    ("SK", "2017-03-22", "GST 0.05 5.00 + PST 0.05 5.00"),
    ("SK", "2017-03-23", "GST 0.05 5.00 + PST 0.06 6.00"),
    # Manitoba RST (shown as PST) 7% -> 8% (2013-07-01) -> 7% (2019-07-01).
    ("MB", "2006-06-30", "GST 0.07 7.00 + PST 0.07 7.00"),
    ("MB", "2006-07-01", "GST 0.06 6.00 + PST 0.07 7.00"),
    ("MB", "2013-06-30", "GST 0.05 5.00 + PST 0.07 7.00"),
    ("MB", "2013-07-01", "GST 0.05 5.00 + PST 0.08 8.00"),
    ("MB", "2019-06-30", "GST 0.05 5.00 + PST 0.08 8.00"),
    ("MB", "2019-07-01", "GST 0.05 5.00 + PST 0.07 7.00"),
    # Future dates use the latest rates known.
    ("ON", "2040-01-01", "HST 0.13 13.00"),
    ("QC", "2040-01-01", "GST 0.05 5.00 + QST 0.09975 9.98"),
]
# fmt: on


@pytest.mark.promise("TOS-11")
@pytest.mark.parametrize(("province", "on", "expected"), RATE_CHANGE_CASES)
def test_each_province_is_taxed_at_the_rates_in_force_on_the_order_date(
    province: str, on: str, expected: str
) -> None:
    result = quote(lines=ONE_HUNDRED, shipping=D("0.00"), province=province, on=day(on))
    assert result == expected_quote(expected, "100.00")


# (case, province, date, lines "price x qty, ...", shipping, discount, expected, subtotal)
# fmt: off
ORDER_CASES = [
    ("DESIGN.md example", "ON", "2026-03-01", "199.00x2", "0.00", "0.00",
     "HST 0.13 51.74", "398.00"),
    ("shipping is taxed", "ON", "2026-03-01", "100.00x1", "20.00", "0.00",
     "HST 0.13 15.60", "120.00"),
    ("shipping is taxed by every component", "QC", "2026-03-01", "100.00x1", "15.00", "0.00",
     "GST 0.05 5.75 + QST 0.09975 11.47", "115.00"),
    ("discount comes off before tax", "ON", "2026-03-01", "200.00x1", "0.00", "50.00",
     "HST 0.13 19.50", "150.00"),
    ("discount and shipping, QST on price plus GST", "QC", "2012-06-01", "100.00x1", "10.00",
     "10.00", "GST 0.05 5.00 + QST 0.095 9.98", "100.00"),
    ("several lines", "SK", "2026-03-01", "49.99x2, 19.95x3", "0.00", "0.00",
     "GST 0.05 7.99 + PST 0.06 9.59", "159.83"),
    ("half a cent rounds up: 0.005 -> 0.01", "AB", "2026-03-01", "0.10x1", "0.00", "0.00",
     "GST 0.05 0.01", "0.10"),
    ("half a cent rounds up: 0.065 -> 0.07", "ON", "2026-03-01", "0.50x1", "0.00", "0.00",
     "HST 0.13 0.07", "0.50"),
    ("under half a cent rounds down: 0.013 -> 0.01", "ON", "2026-03-01", "0.10x1", "0.00",
     "0.00", "HST 0.13 0.01", "0.10"),
    ("each component rounded once: 0.0075, 0.01496", "QC", "2026-03-01", "0.15x1", "0.00",
     "0.00", "GST 0.05 0.01 + QST 0.09975 0.01", "0.15"),
    # 9.5% x (50.68 + 2.53) = 5.05495 -> 5.05, but 9.975% x 50.68 = 5.05533 -> 5.06.
    ("QST 2012 on price plus rounded GST", "QC", "2012-12-31", "50.68x1", "0.00", "0.00",
     "GST 0.05 2.53 + QST 0.095 5.05", "50.68"),
    ("QST 2013 on the price", "QC", "2013-01-01", "50.68x1", "0.00", "0.00",
     "GST 0.05 2.53 + QST 0.09975 5.06", "50.68"),
    # 10% x (50.14 + 2.51 rounded GST) = 5.265 -> 5.27; with the unrounded GST it would be 5.26.
    ("PEI PST on price plus rounded GST", "PE", "2010-05-05", "50.14x1", "0.00", "0.00",
     "GST 0.05 2.51 + PST 0.10 5.27", "50.14"),
    ("a free line", "AB", "2026-03-01", "0.00x1", "0.00", "0.00",
     "GST 0.05 0.00", "0.00"),
    ("whole-dollar amounts", "MB", "2026-03-01", "10x3", "5", "0",
     "GST 0.05 1.75 + PST 0.07 2.45", "35.00"),
]

# (case, province, date, bc_pst_number, shipping, expected, subtotal), one line of 100.00.
BC_PST_CASES = [
    ("BC with PST-1234-5678: GST only", "BC", "2026-03-01", "PST-1234-5678", "0.00",
     "GST 0.05 5.00", "100.00"),
    ("BC with the plain 8 digits: GST only", "BC", "2026-03-01", "12345678", "10.00",
     "GST 0.05 5.50", "110.00"),
    ("BC, first day of the new PST", "BC", "2013-04-01", "pst-8765-4321", "0.00",
     "GST 0.05 5.00", "100.00"),
    ("BC before the HST: GST 6% still", "BC", "2007-05-01", "PST-1234-5678", "0.00",
     "GST 0.06 6.00", "100.00"),
    ("BC during the HST: HST still", "BC", "2012-06-01", "PST-1234-5678", "0.00",
     "HST 0.12 12.00", "100.00"),
    ("BC without a number pays PST", "BC", "2026-03-01", None, "0.00",
     "GST 0.05 5.00 + PST 0.07 7.00", "100.00"),
    ("Ontario order: no effect", "ON", "2026-03-01", "PST-1234-5678", "0.00",
     "HST 0.13 13.00", "100.00"),
    ("Saskatchewan order: SK PST stays", "SK", "2026-03-01", "12345678", "0.00",
     "GST 0.05 5.00 + PST 0.06 6.00", "100.00"),
]
# fmt: on


def parse_lines(text: str) -> list[TaxLine]:
    """ "49.99x2, 19.95x3" -> two TaxLines."""
    pairs = [item.strip().split("x") for item in text.split(",")]
    return [TaxLine(D(price), int(quantity)) for price, quantity in pairs]


@pytest.mark.promise("TOS-11")
@pytest.mark.parametrize(
    ("province", "on", "lines", "shipping", "discount", "expected", "subtotal"),
    [pytest.param(*rest, id=case) for case, *rest in ORDER_CASES],
)
def test_order_tax_is_each_component_on_lines_less_discount_plus_shipping_rounded_once(
    province: str,
    on: str,
    lines: str,
    shipping: str,
    discount: str,
    expected: str,
    subtotal: str,
) -> None:
    result = quote(
        lines=parse_lines(lines),
        shipping=D(shipping),
        discount=D(discount),
        province=province,
        on=day(on),
    )
    assert result == expected_quote(expected, subtotal)


@pytest.mark.promise("TOS-12")
@pytest.mark.parametrize(
    ("province", "on", "number", "shipping", "expected", "subtotal"),
    [pytest.param(*rest, id=case) for case, *rest in BC_PST_CASES],
)
def test_valid_bc_pst_number_removes_bc_pst_but_never_gst(
    province: str, on: str, number: str | None, shipping: str, expected: str, subtotal: str
) -> None:
    result = quote(
        lines=ONE_HUNDRED,
        shipping=D(shipping),
        province=province,
        on=day(on),
        bc_pst_number=number,
    )
    assert result == expected_quote(expected, subtotal)


@pytest.mark.promise("TOS-12")
@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("PST-1234-5678", "PST-1234-5678"),
        ("pst-1234-5678", "PST-1234-5678"),
        ("12345678", "PST-1234-5678"),
        ("  PST-0000-0001 ", "PST-0000-0001"),
    ],
)
def test_bc_pst_number_is_accepted_in_its_two_forms(raw: str, normalised: str) -> None:
    assert normalise_bc_pst_number(raw) == normalised


@pytest.mark.promise("TOS-12")
@pytest.mark.parametrize(
    "raw",
    [
        "",
        "PST-1234-567",
        "PST-12345-678",
        "PST12345678",
        "1234-5678",
        "1234567",
        "123456789",
        "PST-ABCD-EFGH",
        "GST-1234-5678",
        "PST 1234 5678",
        "１２３４５６７８",  # full-width digits are not the plain form
    ],
)
def test_any_other_bc_pst_number_form_is_a_clear_error(raw: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalise_bc_pst_number(raw)
    assert caught.value.code == TaxErrorCode.INVALID_BC_PST_NUMBER
    assert set(caught.value.fields) == {"bc_pst_number"}
    assert "PST-1234-5678" in caught.value.fields["bc_pst_number"]


@pytest.mark.promise("TOS-12")
def test_a_malformed_bc_pst_number_is_an_error_even_outside_bc() -> None:
    with pytest.raises(DomainError) as caught:
        quote(
            lines=ONE_HUNDRED,
            shipping=D("0"),
            province="ON",
            on=day("2026-03-01"),
            bc_pst_number="PST-1",
        )
    assert caught.value.code == TaxErrorCode.INVALID_BC_PST_NUMBER


@pytest.mark.promise("TOS-11")
@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"province": "XX"}, TaxErrorCode.UNKNOWN_PROVINCE, "province"),
        ({"province": "on"}, TaxErrorCode.UNKNOWN_PROVINCE, "province"),
        ({"province": "CA"}, TaxErrorCode.UNKNOWN_PROVINCE, "province"),
        ({"on": day("2005-12-31")}, TaxErrorCode.DATE_BEFORE_RATE_DATA, "date"),
        ({"lines": []}, TaxErrorCode.NO_LINES, "lines"),
        ({"lines": [TaxLine(D("1.00"), 0)]}, TaxErrorCode.INVALID_QUANTITY, "lines.0.quantity"),
        ({"lines": [TaxLine(D("1.00"), -1)]}, TaxErrorCode.INVALID_QUANTITY, "lines.0.quantity"),
        (
            {"lines": [TaxLine(D("1.00"), 1), TaxLine(D("1.00"), True)]},
            TaxErrorCode.INVALID_QUANTITY,
            "lines.1.quantity",
        ),
        ({"lines": [TaxLine(D("-1.00"), 1)]}, TaxErrorCode.INVALID_AMOUNT, "lines.0.unit_price"),
        ({"lines": [TaxLine(D("1.001"), 1)]}, TaxErrorCode.INVALID_AMOUNT, "lines.0.unit_price"),
        ({"lines": [TaxLine(D("NaN"), 1)]}, TaxErrorCode.INVALID_AMOUNT, "lines.0.unit_price"),
        ({"shipping": D("-0.01")}, TaxErrorCode.INVALID_AMOUNT, "shipping"),
        ({"shipping": D("0.005")}, TaxErrorCode.INVALID_AMOUNT, "shipping"),
        ({"discount": D("100.01")}, TaxErrorCode.DISCOUNT_EXCEEDS_LINES, "discount"),
        ({"discount": D("-1")}, TaxErrorCode.INVALID_AMOUNT, "discount"),
        (
            {"lines": [TaxLine(D("999999999999.99"), 2)]},
            TaxErrorCode.AMOUNT_TOO_LARGE,
            "lines",
        ),
    ],
)
def test_bad_input_is_a_domain_error_naming_the_field(
    kwargs: dict[str, object], code: TaxErrorCode, field: str
) -> None:
    arguments: dict[str, object] = {
        "lines": ONE_HUNDRED,
        "shipping": D("0.00"),
        "province": "ON",
        "on": day("2026-03-01"),
    }
    arguments.update(kwargs)
    with pytest.raises(DomainError) as caught:
        quote(**arguments)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert list(caught.value.fields) == [field]


def test_the_order_date_must_be_a_date_not_a_datetime() -> None:
    with pytest.raises(TypeError):
        quote(
            lines=ONE_HUNDRED,
            shipping=D("0"),
            province="ON",
            on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        )


@pytest.mark.promise("TOS-11")
def test_the_engine_knows_the_thirteen_provinces_and_territories() -> None:
    assert provinces() == [
        "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
    ]  # fmt: skip


@pytest.mark.promise("TOS-11")
def test_rates_on_lists_the_components_with_base_and_source() -> None:
    qst_2012 = rates_on("QC", day("2012-12-31"))
    assert [(r.code, r.rate, r.base) for r in qst_2012] == [
        ("GST", D("0.05"), "price"),
        ("QST", D("0.095"), "price_plus_gst"),
    ]
    assert qst_2012[1].effective_from == day("2012-01-01")
    assert qst_2012[1].effective_to == day("2012-12-31")
    assert all(r.source for r in qst_2012)
    ns_now = rates_on("NS", day("2025-04-01"))
    assert [(r.code, r.rate, r.effective_to) for r in ns_now] == [("HST", D("0.14"), None)]


def test_rates_on_refuses_an_unknown_province_and_a_date_before_2006() -> None:
    with pytest.raises(DomainError) as caught:
        rates_on("ZZ", day("2026-03-01"))
    assert caught.value.code == TaxErrorCode.UNKNOWN_PROVINCE
    with pytest.raises(DomainError) as caught:
        rates_on("ON", day("2005-12-31"))
    assert caught.value.code == TaxErrorCode.DATE_BEFORE_RATE_DATA


# --- properties -------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
order_lines = st.lists(
    st.builds(TaxLine, unit_price=cents, quantity=st.integers(min_value=1, max_value=50)),
    min_size=1,
    max_size=8,
)
order_dates = st.dates(min_value=dt.date(2006, 1, 1), max_value=dt.date(2035, 12, 31))


@pytest.mark.promise("TOS-11")
@settings(max_examples=300, deadline=None)
@given(
    lines=order_lines,
    shipping=cents,
    province=st.sampled_from(provinces()),
    on=order_dates,
    bc_pst_number=st.sampled_from([None, "PST-1234-5678", "12345678"]),
    discount_share=st.fractions(min_value=0, max_value=1),
)
def test_total_tax_is_the_sum_of_the_components_and_grand_total_adds_up(
    lines: list[TaxLine],
    shipping: Decimal,
    province: str,
    on: dt.date,
    bc_pst_number: str | None,
    discount_share: Fraction,
) -> None:
    goods = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    discount = round_cents(goods * discount_share.numerator / discount_share.denominator)
    discount = min(discount, goods)
    result = quote(
        lines=lines,
        shipping=shipping,
        province=province,
        on=on,
        bc_pst_number=bc_pst_number,
        discount=discount,
    )
    assert result.total_tax == sum((c.amount for c in result.components), Decimal("0"))
    assert result.grand_total == result.subtotal + result.total_tax
    assert result.subtotal == goods - discount + shipping
    for component in result.components:
        assert component.amount == round_cents(component.amount)  # whole cents
        assert component.amount >= 0
    codes = [c.code for c in result.components]
    assert codes in (["GST"], ["HST"], ["GST", "PST"], ["GST", "QST"])
    if "HST" in codes:
        assert province in {"NS", "NB", "NL", "ON", "BC", "PE"}
    if "PST" in codes:
        assert province in {"BC", "ON", "MB", "SK", "PE"}
    if "QST" in codes:
        assert province == "QC"
    if bc_pst_number is not None and province == "BC":
        assert "PST" not in codes


@pytest.mark.promise("TOS-11")
@settings(max_examples=200, deadline=None)
@given(subtotal=cents, province=st.sampled_from(provinces()), on=order_dates)
def test_each_component_is_its_rate_times_its_base_rounded_half_up(
    subtotal: Decimal, province: str, on: dt.date
) -> None:
    result = quote(lines=[TaxLine(subtotal, 1)], shipping=Decimal("0"), province=province, on=on)
    gst = next((c.amount for c in result.components if c.code == "GST"), Decimal("0"))
    for component, rate in zip(result.components, rates_on(province, on), strict=True):
        base = subtotal + gst if rate.base == "price_plus_gst" else subtotal
        assert component.amount == round_cents(base * rate.rate)


def test_an_error_message_does_not_echo_a_huge_input_back() -> None:
    with pytest.raises(DomainError) as caught:
        quote(lines=ONE_HUNDRED, shipping=D("0"), province="X" * 10_000, on=day("2026-03-01"))
    assert len(caught.value.fields["province"]) < 200
    with pytest.raises(DomainError) as caught:
        normalise_bc_pst_number("9" * 10_000)
    assert len(caught.value.fields["bc_pst_number"]) < 200
