"""Basket services and selectors: quantities checked against stock, prices from the catalogue,
the guest's basket kept by the session and merged into the customer's at sign-in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from hearth.checkout import selectors, services
from hearth.checkout.models import Basket, BasketLine
from hearth.checkout.tests.conftest import AT, make_variant
from hearth.core.errors import DomainError

D = Decimal


@pytest.fixture
def basket(db: Any) -> Basket:
    return Basket.objects.create(session_key="guest-token", updated_at=AT)


def lines(basket: Basket) -> list[tuple[str, int]]:
    return selectors.basket_lines(basket)


def test_adding_the_same_sku_twice_adds_up_the_quantity(basket: Basket, speaker: Any) -> None:
    services.add_to_basket(basket=basket, sku="EO-ONE-CHR", quantity=2, at=AT)
    services.add_to_basket(basket=basket, sku="EO-ONE-CHR", quantity=1, at=AT)
    assert lines(basket) == [("EO-ONE-CHR", 3)]


def test_a_quantity_above_stock_is_refused_and_the_basket_is_unchanged(
    basket: Basket, speaker: Any
) -> None:
    services.add_to_basket(basket=basket, sku="EO-ONE-CHR", quantity=4, at=AT)
    with pytest.raises(DomainError) as caught:
        services.add_to_basket(basket=basket, sku="EO-ONE-CHR", quantity=2, at=AT)
    assert caught.value.code == "quantity_above_stock"
    assert caught.value.fields == {"quantity": "Only 5 left in stock: choose 5 or fewer."}
    assert lines(basket) == [("EO-ONE-CHR", 4)]


def test_an_out_of_stock_item_cannot_be_added(basket: Basket) -> None:
    make_variant("EO-SUB-WAL", stock=0)
    with pytest.raises(DomainError) as caught:
        services.add_to_basket(basket=basket, sku="EO-SUB-WAL", quantity=1, at=AT)
    assert caught.value.message == "Sorry, this item is out of stock."
    assert lines(basket) == []


def test_an_unknown_or_tampered_sku_is_refused_with_the_field(basket: Basket) -> None:
    with pytest.raises(DomainError) as caught:
        services.add_to_basket(basket=basket, sku="EO-FAKE-999", quantity=1, at=AT)
    assert caught.value.code == "unknown_sku"
    assert list(caught.value.fields) == ["sku"]
    assert lines(basket) == []


def test_preorder_items_are_not_limited_by_stock_on_hand(basket: Basket) -> None:
    make_variant(
        "EO-ARC-OAK", stock=0, availability="preorder", expected_ship_date=dt.date(2026, 12, 1)
    )
    services.add_to_basket(basket=basket, sku="EO-ARC-OAK", quantity=3, at=AT)
    assert lines(basket) == [("EO-ARC-OAK", 3)]


def test_change_quantity_sets_it_and_zero_removes_the_line(basket: Basket, speaker: Any) -> None:
    services.add_to_basket(basket=basket, sku="EO-ONE-CHR", quantity=1, at=AT)
    services.change_quantity(basket=basket, sku="EO-ONE-CHR", quantity=5, at=AT)
    assert lines(basket) == [("EO-ONE-CHR", 5)]
    with pytest.raises(DomainError) as caught:
        services.change_quantity(basket=basket, sku="EO-ONE-CHR", quantity=6, at=AT)
    assert caught.value.code == "quantity_above_stock"
    assert lines(basket) == [("EO-ONE-CHR", 5)]
    services.change_quantity(basket=basket, sku="EO-ONE-CHR", quantity=0, at=AT)
    assert lines(basket) == []


def test_changing_a_line_not_in_the_basket_is_a_404(basket: Basket, speaker: Any) -> None:
    with pytest.raises(DomainError) as caught:
        services.change_quantity(basket=basket, sku="EO-ONE-CHR", quantity=1, at=AT)
    assert (caught.value.code, caught.value.status) == ("not_in_basket", 404)


def test_remove_line_takes_only_that_sku_out(basket: Basket, speaker: Any) -> None:
    make_variant("EO-BAR-BLK", price="499.00")
    services.add_to_basket(basket=basket, sku="EO-ONE-CHR", quantity=1, at=AT)
    services.add_to_basket(basket=basket, sku="EO-BAR-BLK", quantity=1, at=AT)
    services.remove_line(basket=basket, sku="EO-ONE-CHR", at=AT)
    assert lines(basket) == [("EO-BAR-BLK", 1)]


@pytest.mark.promise("TOS-1")
def test_summary_prices_from_the_catalogue_and_shows_each_tax_component(
    basket: Basket, speaker: Any
) -> None:
    make_variant("EO-BAR-BLK", price="499.00")
    services.add_to_basket(basket=basket, sku="EO-ONE-CHR", quantity=2, at=AT)
    services.add_to_basket(basket=basket, sku="EO-BAR-BLK", quantity=1, at=AT)
    untaxed = selectors.basket_summary(basket)
    assert (untaxed.subtotal, untaxed.price, untaxed.total) == (D("997.00"), None, None)
    taxed = selectors.basket_summary(
        basket, "QC", dt.date(2026, 11, 2), discount=D("97.00"), shipping=D("24.95")
    )
    assert taxed.price is not None
    assert [(c.code, c.rate, c.amount) for c in taxed.price.tax] == [
        ("GST", D("0.05"), D("46.25")),
        ("QST", D("0.09975"), D("92.26")),
    ]
    assert taxed.price.subtotal.amount == D("924.95")
    assert taxed.total == D("1063.46")


def test_summary_flags_lines_no_longer_sold_or_above_stock_without_dropping_them(
    basket: Basket, speaker: Any
) -> None:
    BasketLine.objects.create(basket=basket, sku="EO-ONE-CHR", quantity=5, added_at=AT)
    BasketLine.objects.create(basket=basket, sku="EO-GONE-1", quantity=1, added_at=AT)
    speaker.stock_on_hand = 2
    speaker.save()
    summary = selectors.basket_summary(basket)
    assert [(x.sku, x.quantity, x.problem) for x in summary.lines] == [
        ("EO-GONE-1", 1, "This item is no longer sold: remove it to continue."),
        ("EO-ONE-CHR", 5, "Only 2 left in stock: choose 2 or fewer."),
    ]
    assert summary.subtotal == D("1245.00")


def test_guest_basket_is_kept_by_the_session(client: Any, speaker: Any) -> None:
    client.post(reverse("checkout:basket_add"), {"sku": "EO-ONE-CHR", "quantity": "2"})
    page = client.get(reverse("checkout:basket"))
    assert "Ember One" in page.content.decode()
    assert Basket.objects.get().session_key == client.session[selectors.SESSION_BASKET]
    assert lines(Basket.objects.get()) == [("EO-ONE-CHR", 2)]
    other = type(client)()
    assert "Your basket is empty." in other.get(reverse("checkout:basket")).content.decode()


def test_guest_basket_merges_into_the_customers_at_sign_in(
    client: Any, speaker: Any, fast_passwords: None
) -> None:
    user = get_user_model().objects.create_user(email="ada@example.com", password="pw-12345678x")
    make_variant("EO-BAR-BLK", price="499.00")
    own = Basket.objects.create(user=user, updated_at=AT)
    BasketLine.objects.create(basket=own, sku="EO-ONE-CHR", quantity=1, added_at=AT)
    client.post(reverse("checkout:basket_add"), {"sku": "EO-ONE-CHR", "quantity": "2"})
    client.post(reverse("checkout:basket_add"), {"sku": "EO-BAR-BLK", "quantity": "1"})
    response = client.post(
        reverse("accounts:sign_in"), {"email": "ada@example.com", "password": "pw-12345678x"}
    )
    assert response.status_code == 302
    assert Basket.objects.count() == 1
    assert lines(Basket.objects.get(user=user)) == [("EO-BAR-BLK", 1), ("EO-ONE-CHR", 3)]


def test_a_guests_first_add_makes_the_basket_and_a_refused_one_makes_none(
    client: Any, speaker: Any
) -> None:
    client.post(reverse("checkout:basket_add"), {"sku": "EO-ONE-CHR", "quantity": "9"})
    assert Basket.objects.count() == 0  # above the 5 in stock: refused, nothing kept
    client.post(reverse("checkout:basket_add"), {"sku": "EO-ONE-CHR", "quantity": "2"})
    client.post(reverse("checkout:basket_add"), {"sku": "EO-ONE-CHR", "quantity": "1"})
    basket = Basket.objects.get()
    assert basket.session_key == client.session[selectors.SESSION_BASKET]
    assert lines(basket) == [("EO-ONE-CHR", 3)]
