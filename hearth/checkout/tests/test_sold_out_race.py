"""The last unit sold to someone else while this buyer's card was being authorised.

Placing takes the stock row last (after the authorisation), so a unit can go between the check
and the reservation. The buyer then gets no order, the authorisation is voided, and the same
out-of-stock message as before payment. The race is made certain by the payment provider's test
adapter: another buyer takes the last unit while it authorises (the outside world faked, the
database real, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hearth.catalog.models import Variant
from hearth.checkout.models import Basket
from hearth.checkout.selectors import basket_lines
from hearth.checkout.tests.test_web_checkout import hidden, place, text, to_review
from hearth.comms.models import OutboundMessage
from hearth.orders.models import Order
from hearth.orders.tests.test_placing_race import SOLD_ELSEWHERE
from hearth.payments.models import Payment, PaymentOperation


@pytest.mark.promise("TOS-4")
@pytest.mark.usefixtures("frozen_clock", "speaker")
def test_the_last_unit_sold_during_authorisation_places_nothing_and_voids_the_card(
    client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    page = to_review(client)
    settings.HEARTH_PAYMENT_PROVIDER = SOLD_ELSEWHERE
    with django_capture_on_commit_callbacks() as callbacks:
        refused = place(client, page)
    assert refused.status_code == 200
    assert "EO-ONE-CHR is out of stock." in text(refused)  # the message shown before payment
    assert Order.objects.count() == 0
    voided = Payment.objects.get()
    assert voided.status == "voided"
    assert list(
        PaymentOperation.objects.filter(payment=voided)
        .order_by("id")
        .values_list("kind", flat=True)
    ) == ["authorise", "void"]
    assert OutboundMessage.objects.count() == 0
    assert callbacks == []  # no task or email is queued for the order that was not placed
    assert basket_lines(Basket.objects.get()) == [("EO-ONE-CHR", 1)]
    assert Variant.objects.get(sku="EO-ONE-CHR").stock_on_hand == 0  # the other buyer's


@pytest.mark.usefixtures("frozen_clock", "speaker")
def test_placing_again_after_a_voided_authorisation_asks_for_the_payment_again(
    client: Client, settings: Any
) -> None:
    page = to_review(client)
    settings.HEARTH_PAYMENT_PROVIDER = SOLD_ELSEWHERE
    refused = text(place(client, page))
    # A new key for the next try: the voided authorisation is recorded under the first.
    assert hidden(refused, "place_token") != hidden(page, "place_token")
    settings.HEARTH_PAYMENT_PROVIDER = "hearth.payments.providers.SandboxProvider"
    Variant.objects.filter(sku="EO-ONE-CHR").update(stock_on_hand=3)  # restocked
    again = place(client, refused)
    assert again.status_code == 302
    assert again.url == "/checkout/payment/"  # the card's token is spent: pay again
    assert "This payment was already used" in text(client.get(again.url))
    assert Order.objects.count() == 0
    assert list(Payment.objects.values_list("status", flat=True)) == ["voided"]
