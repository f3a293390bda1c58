"""The one-page checkout through HTTP (issue #12 item 3): the 18+ question first, then contact,
address, delivery and payment method on one form without JavaScript, each error beside its
field; then the provider's card page, review and place, with the same one-time token."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from hearth.checkout.tests.conftest import VISA, make_code
from hearth.checkout.tests.test_web_checkout import ADDRESS, CONTACT, add, hidden, place, text
from hearth.checkout.views import SESSION_STATE
from hearth.orders.models import Order
from hearth.payments.models import Payment

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")

DETAILS = {
    **CONTACT,
    **ADDRESS,
    "shipping_method": "standard",
    "discount_code": "",
    "payment_method": "card",
}


def to_details(client: Client) -> None:
    add(client)
    assert client.get("/checkout/").url == "/checkout/age/"
    assert client.post("/checkout/age/", {"adult": "yes"}).url == "/checkout/details/"


def pay(client: Client, to_provider: Any) -> str:
    """Fill the sandbox provider's card page; back on our review page."""
    assert to_provider.status_code == 302, text(to_provider)
    assert to_provider.url.startswith("/pay/sandbox/card/?session=cs_")
    session = parse_qs(urlsplit(to_provider.url).query)["session"][0]
    back = client.post(
        to_provider.url,
        {"session": session, "card_number": VISA, "exp_month": "12", "exp_year": "2030"}
        | {"cvc": "123"},
    )
    assert back.status_code == 302
    assert client.get(back.url).url == "/checkout/review/"
    return text(client.get("/checkout/review/"))


@pytest.mark.promise("TOS-4", "TOS-13")
def test_a_guest_gives_every_detail_on_one_page_then_pays_reviews_and_places(
    client: Client,
) -> None:
    to_details(client)
    page = text(client.get("/checkout/details/"))
    for name in ("email", "name", "phone", "marketing_email", "lines", "city", "province"):
        assert f'name="{name}"' in page, name
    for name in ("postal_code", "country", "shipping_method", "discount_code", "payment_method"):
        assert f'name="{name}"' in page, name
    for label in ('for="id_email"', 'for="id_lines"', 'for="id_discount_code"'):
        assert label in page
    assert "<script" not in page
    # PP-4: both collection points state their purposes on the one page.
    assert 'data-collection-point="checkout_contact"' in page
    assert 'data-collection-point="checkout_address"' in page
    review = pay(client, client.post("/checkout/details/", DETAILS))
    for shown in ("$249.00", "HST (13%)", "$32.37", "$281.37", "Ada Lovelace", "Ottawa"):
        assert shown in review, shown
    placed = place(client, review)
    order = Order.objects.get()
    assert placed.url == f"/checkout/confirmation/{order.number}/"
    assert (order.email, order.grand_total, order.channel) == (
        "ada@example.com",
        Decimal("281.37"),
        "web",
    )
    assert Payment.objects.count() == 1


def test_the_one_page_form_keeps_what_was_entered_when_the_shopper_comes_back(
    client: Client,
) -> None:
    to_details(client)
    pay(client, client.post("/checkout/details/", DETAILS))
    again = text(client.get("/checkout/details/"))
    assert 'value="ada@example.com"' in again
    assert "12 Wellington Street" in again
    assert 'value="K1A 0B1"' in again


@pytest.mark.promise("TOS-4")
def test_an_empty_post_shows_every_required_field_error_beside_its_field_and_keeps_nothing(
    client: Client,
) -> None:
    to_details(client)
    refused = client.post("/checkout/details/", {})
    assert refused.status_code == 200
    body = text(refused)
    for name in ("email", "name", "lines", "city", "postal_code", "shipping_method"):
        assert f'id="id_{name}_errors"' in body, name
    assert 'id="id_phone_errors"' not in body
    assert 'id="id_discount_code_errors"' not in body
    assert set(client.session[SESSION_STATE]) == {"age", "touched_at"}


def test_an_invalid_email_is_shown_beside_the_email_field_only(client: Client) -> None:
    to_details(client)
    refused = client.post("/checkout/details/", {**DETAILS, "email": "ada@@example"})
    assert refused.status_code == 200
    body = text(refused)
    assert 'id="id_email_errors"' in body
    assert "Enter a valid email address" in body
    assert 'id="id_lines_errors"' not in body
    assert "contact" not in client.session[SESSION_STATE]


@pytest.mark.promise("TOS-17")
def test_a_po_box_is_refused_beside_the_street_field_on_the_one_page(client: Client) -> None:
    to_details(client)
    refused = client.post("/checkout/details/", {**DETAILS, "lines": "PO Box 123"})
    assert refused.status_code == 200
    body = text(refused)
    assert 'id="id_lines_errors"' in body
    assert re.search(r"post office box|PO box", body, re.IGNORECASE)
    assert 'value="ada@example.com"' in body  # what was typed is kept
    assert "address" not in client.session[SESSION_STATE]


@pytest.mark.promise("TOS-16")
def test_a_destination_outside_canada_goes_to_the_care_page_from_the_one_page(
    client: Client,
) -> None:
    to_details(client)
    outside = {**DETAILS, "lines": "1 Main Street", "city": "Boston", "postal_code": "02101"}
    sent = client.post("/checkout/details/", {**outside, "country": "US", "province": ""})
    assert sent.url == "/checkout/outside-canada/?country=US"
    assert "address" not in client.session[SESSION_STATE]
    assert Payment.objects.count() == 0


@pytest.mark.promise("TOS-9")
def test_a_refused_discount_code_is_shown_beside_its_field_on_the_one_page(
    client: Client,
) -> None:
    make_code("WINTER", valid_until=None, min_spend=Decimal("300.00"))
    to_details(client)
    refused = client.post("/checkout/details/", {**DETAILS, "discount_code": "winter"})
    assert refused.status_code == 200
    body = text(refused)
    assert 'id="id_discount_code_errors"' in body
    assert "needs a subtotal of at least $300.00 before tax; your basket comes to $249.00" in body
    assert "delivery" not in client.session[SESSION_STATE]
    assert Payment.objects.count() == 0


def test_an_unknown_shipping_or_payment_method_is_refused_beside_its_field(
    client: Client,
) -> None:
    to_details(client)
    refused = client.post(
        "/checkout/details/", {**DETAILS, "shipping_method": "drone", "payment_method": "gold"}
    )
    body = text(refused)
    assert refused.status_code == 200
    assert 'id="id_shipping_method_errors"' in body
    assert 'id="id_payment_method_errors"' in body


@pytest.mark.promise("PP-13", "TOS-3")
def test_the_one_page_form_is_never_shown_or_accepted_before_the_age_answer(
    client: Client,
) -> None:
    add(client)
    assert client.get("/checkout/details/").url == "/checkout/age/"
    refused = client.post("/checkout/details/", DETAILS)
    assert refused.url == "/checkout/age/"
    assert SESSION_STATE not in client.session or "contact" not in client.session[SESSION_STATE]
    assert Payment.objects.count() == 0


@pytest.mark.promise("TOS-3")
def test_each_of_the_three_attestations_is_required_beside_its_box(client: Client) -> None:
    to_details(client)
    review = pay(client, client.post("/checkout/details/", DETAILS))
    for box, message in (
        ("adult", "Confirm that you are 18 or older to place the order."),
        ("end_user", "Confirm that you are an end user to place the order."),
        ("accurate", "Confirm that your information is accurate to place the order."),
    ):
        refused = place(client, review, **{box: None})
        assert refused.status_code == 200
        assert message in text(refused)
        assert f'id="id_{box}_errors"' in text(refused)
    assert Order.objects.count() == 0


@pytest.mark.promise("TOS-4")
def test_placing_twice_with_the_same_token_places_one_order(client: Client) -> None:
    to_details(client)
    review = pay(client, client.post("/checkout/details/", DETAILS))
    first = place(client, review)
    second = place(client, review)
    order = Order.objects.get()
    assert first.url == second.url == f"/checkout/confirmation/{order.number}/"
    assert Payment.objects.count() == 1
    assert hidden(review, "place_token")


def test_the_marketing_box_is_unticked_for_a_guest(client: Client) -> None:
    to_details(client)
    page = text(client.get("/checkout/details/"))
    box = page.split('name="marketing_email"')[1].split(">")[0]
    assert "checked" not in box


def checkout_link(client: Client) -> str:
    """Where the basket page's "Checkout now" link points."""
    found = re.search(
        r'<a class="button button--large" href="([^"]+)">', text(client.get("/basket/"))
    )
    assert found is not None
    return found.group(1)


@pytest.mark.promise("PP-13")
def test_the_basket_checkout_link_goes_straight_to_the_age_question_for_a_new_checkout(
    client: Client,
) -> None:
    add(client)
    assert checkout_link(client) == "/checkout/age/"
    assert client.get("/checkout/").url == "/checkout/age/"  # the start says the same


def test_the_basket_checkout_link_goes_to_the_one_page_form_after_the_age_answer(
    client: Client,
) -> None:
    to_details(client)
    assert checkout_link(client) == "/checkout/details/"


def test_the_basket_checkout_link_goes_to_review_once_every_step_is_done(client: Client) -> None:
    to_details(client)
    pay(client, client.post("/checkout/details/", DETAILS))
    assert checkout_link(client) == "/checkout/review/"
    assert client.get("/checkout/").url == "/checkout/review/"


def test_the_basket_checkout_link_goes_to_the_start_when_a_line_needs_attention(
    client: Client, speaker: Any
) -> None:
    add(client, quantity=3)
    speaker.stock_on_hand = 1
    speaker.save()
    assert checkout_link(client) == "/checkout/"
    refused = client.get("/checkout/")
    assert refused.url == "/basket/"
