"""Credit notes priced through the one pricing path (issue #13, TOS-22, TOS-24): each tax
component reversed at the invoice's rate, and never, over any sequence of partial returns, more
than the invoice per component (a hypothesis property over orders and return sequences)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearth.core.money import Money
from hearth.core.places import Province
from hearth.orders.pricing import (
    PriceLine,
    PricingDraft,
    credit_price,
    discount_shares,
    price_order,
    returned_discount,
)

ON_DAY = dt.date(2026, 3, 2)


def _draft(lines, *, province=Province.ON, on=ON_DAY, discount="0.00", shipping="0.00", pst=None):
    return PricingDraft(
        lines=tuple(PriceLine(sku, Money(D(price)), qty) for sku, price, qty in lines),
        province=province,
        on=on,
        shipping_method="express" if D(shipping) else "standard",
        shipping_fee=Money(D(shipping)),
        discount=Money(D(discount)),
        bc_pst_number=pst,
    )


@pytest.mark.promise("TOS-22")
@pytest.mark.promise("TOS-24")
def test_returning_one_unit_in_ontario_reverses_hst_at_the_invoiced_rate():
    draft = _draft([("EO-ONE-OAK", "199.00", 2)])
    note = credit_price(draft, price_order(draft), before={}, now={"EO-ONE-OAK": 1})
    assert [(c.code, c.rate, c.amount) for c in note.tax] == [("HST", D("0.13"), D("25.87"))]
    assert (note.goods, note.subtotal, note.total) == (
        Money(D("199.00")),
        Money(D("199.00")),
        Money(D("224.87")),
    )


@pytest.mark.promise("TOS-22")
def test_a_return_carries_its_share_of_the_discount_and_shipping_comes_back_with_the_last_unit():
    draft = _draft(
        [("A", "100.00", 1), ("B", "50.00", 2)],
        province=Province.QC,
        discount="20.00",
        shipping="24.95",
    )
    invoice = price_order(draft)
    first = credit_price(draft, invoice, before={}, now={"A": 1})
    assert first.discount == Money(D("10.00"))  # A is half of the goods: half the discount
    assert first.shipping == Money(D("0.00"))
    last = credit_price(draft, invoice, before={"A": 1}, now={"B": 2})
    assert last.shipping == Money(D("24.95"))
    assert first.total + last.total == invoice.total


def test_discount_shares_add_up_to_the_discount_exactly():
    lines = tuple(PriceLine(s, Money(D("33.33")), 1) for s in "ABC")
    shares = discount_shares(lines, Money(D("10.00")))
    assert sum(s.amount for s in shares) == D("10.00")
    assert sorted(s.amount for s in shares) == [D("3.33"), D("3.33"), D("3.34")]


def test_the_last_unit_of_a_line_takes_what_is_left_of_its_share():
    share = Money(D("10.00"))
    carried = [returned_discount(share, quantity=3, returned=k).amount for k in range(4)]
    assert carried == [D("0.00"), D("3.33"), D("6.66"), D("10.00")]


def test_returning_more_than_was_sold_is_refused():
    draft = _draft([("A", "10.00", 1)])
    with pytest.raises(ValueError):
        credit_price(draft, price_order(draft), before={"A": 1}, now={"A": 1})


def test_a_rate_other_than_the_invoiced_one_is_refused():
    draft = _draft([("A", "10.00", 1)])
    other = price_order(_draft([("A", "10.00", 1)], on=dt.date(2009, 1, 1)))  # 8% PST + 5% GST
    with pytest.raises(ValueError):
        credit_price(draft, other, before={}, now={"A": 1})


SKUS = ("A", "B", "C")


@st.composite
def orders_and_returns(draw):
    count = draw(st.integers(1, 3))
    lines = [
        (SKUS[i], f"{draw(st.integers(1, 99999)) / 100:.2f}", draw(st.integers(1, 4)))
        for i in range(count)
    ]
    goods = sum(D(price) * qty for _sku, price, qty in lines)
    discount = D(draw(st.integers(0, int(goods * 100)))) / 100
    province = draw(st.sampled_from(list(Province)))
    on = draw(st.dates(dt.date(2006, 1, 1), dt.date(2026, 11, 30)))
    shipping = draw(st.sampled_from(["0.00", "9.95", "24.95"]))
    pst = draw(st.sampled_from([None, "PST-1234-5678"])) if province == Province.BC else None
    draft = _draft(
        lines, province=province, on=on, discount=f"{discount:.2f}", shipping=shipping, pst=pst
    )
    units = [sku for sku, _price, qty in lines for _ in range(qty)]
    order = draw(st.permutations(units))
    cuts = (
        sorted(draw(st.sets(st.integers(1, len(units) - 1), max_size=len(units) - 1)))
        if len(units) > 1
        else []
    )
    returns, start = [], 0
    for cut in [*cuts, len(units)]:
        batch: dict[str, int] = {}
        for sku in order[start:cut]:
            batch[sku] = batch.get(sku, 0) + 1
        returns.append(batch)
        start = cut
    stop = draw(st.integers(1, len(returns)))  # some sequences stop before everything is back
    return draft, returns[:stop], stop == len(returns)


@pytest.mark.promise("TOS-22")
@pytest.mark.promise("TOS-24")
@settings(max_examples=300, deadline=None)
@given(orders_and_returns())
def test_credit_notes_never_exceed_the_invoice_per_tax_component(case):
    draft, returns, everything = case
    invoice = price_order(draft)
    charged = {c.code: c.amount for c in invoice.tax}
    credited = {code: D("0.00") for code in charged}
    total = D("0.00")
    before: dict[str, int] = {}
    for batch in returns:
        note = credit_price(draft, invoice, before=before, now=batch)
        for component in note.tax:
            assert component.amount >= 0
            assert component.rate == next(c.rate for c in invoice.tax if c.code == component.code)
            credited[component.code] += component.amount
            assert credited[component.code] <= charged[component.code]
        assert note.total.amount >= 0
        total += note.total.amount
        assert total <= invoice.total.amount
        for sku, units in batch.items():
            before[sku] = before.get(sku, 0) + units
    if everything:  # the whole order back: exactly the invoice, component by component
        assert credited == charged
        assert total == invoice.total.amount
