"""Placing when the last unit sells between the stock check and the reservation (which comes
after the authorisation): no order, no discount redemption, the authorisation voided, the same
``out_of_stock`` error; a declined card reserved nothing. The payment provider's test adapter
makes the race certain: another buyer takes the stock while it authorises."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from hearth.catalog.models import Variant
from hearth.core.errors import DomainError
from hearth.discounts.models import DiscountRedemption
from hearth.discounts.tests.factories import make_code
from hearth.orders.errors import PaymentDeclined
from hearth.orders.models import Order
from hearth.orders.services import place_order
from hearth.orders.tests.conftest import APPROVE_VISA, DECLINE_FUNDS, T0, card_token, draft
from hearth.payments.models import Payment
from hearth.payments.providers import ProviderAuthorisation, SandboxProvider

SOLD_ELSEWHERE = f"{__name__}.LastUnitSoldDuringAuthorisation"


class LastUnitSoldDuringAuthorisation(SandboxProvider):
    """The sandbox, while another buyer takes every unit left of each in-stock variant."""

    def authorise(self, **kwargs: Any) -> ProviderAuthorisation:
        Variant.objects.filter(availability="in_stock").update(stock_on_hand=0)
        return super().authorise(**kwargs)


@pytest.fixture
def sold_elsewhere(settings: Any) -> None:
    settings.HEARTH_PAYMENT_PROVIDER = SOLD_ELSEWHERE


def _place(number: str = APPROVE_VISA, **changes: Any) -> Order:
    return place_order(
        draft=dataclasses.replace(draft(), **changes),
        payment_token=card_token(number),
        payment_method="card",
        idempotency_key="race-1",
        channel="web",
        at=T0,
    )


@pytest.mark.usefixtures("sold_elsewhere")
def test_a_unit_sold_during_authorisation_voids_it_and_keeps_no_order(speaker: Variant) -> None:
    with pytest.raises(DomainError) as caught:
        _place()
    assert (caught.value.code, caught.value.fields) == (
        "out_of_stock",
        {"lines.EO-ONE-OAK": "EO-ONE-OAK is out of stock."},
    )
    assert Order.objects.count() == 0
    assert list(Payment.objects.values_list("status", flat=True)) == ["voided"]


@pytest.mark.usefixtures("sold_elsewhere")
def test_a_race_lost_after_authorisation_keeps_no_discount_redemption(speaker: Variant) -> None:
    make_code("SPRING10")
    with pytest.raises(DomainError) as caught:
        _place(discount_code="SPRING10")
    assert caught.value.code == "out_of_stock"
    assert DiscountRedemption.objects.count() == 0
    assert Order.objects.count() == 0
    payment = Payment.objects.get()
    assert (payment.status, payment.amount) == ("voided", Decimal("202.38"))


@pytest.mark.promise("TOS-9")
def test_a_declined_card_reserves_nothing_so_releases_nothing(speaker: Variant) -> None:
    with pytest.raises(PaymentDeclined):
        _place(DECLINE_FUNDS)
    assert Variant.objects.get(sku="EO-ONE-OAK").stock_on_hand == 5
    assert Order.objects.count() == 0
    assert list(Payment.objects.values_list("status", flat=True)) == ["declined"]


def test_the_unit_checked_before_payment_refuses_without_authorising(speaker: Variant) -> None:
    with pytest.raises(DomainError) as caught:
        _place(lines=[("EO-ONE-OAK", 6)])
    assert caught.value.fields == {"lines.EO-ONE-OAK": "Only 5 of EO-ONE-OAK left in stock."}
    assert Payment.objects.count() == 0


@pytest.mark.usefixtures("sold_elsewhere")
def test_a_voided_authorisation_is_never_replayed_into_an_order(speaker: Variant) -> None:
    token = card_token(APPROVE_VISA)
    placing = {
        "draft": draft(),
        "payment_token": token,
        "payment_method": "card",
        "idempotency_key": "race-1",
        "channel": "web",
        "at": T0,
    }
    with pytest.raises(DomainError):
        place_order(**placing)
    Variant.objects.filter(sku="EO-ONE-OAK").update(stock_on_hand=5)  # restocked
    with pytest.raises(DomainError) as caught:
        place_order(**placing)  # the same key and token: the client retried
    assert caught.value.code == "token_used"
    assert Order.objects.count() == 0
