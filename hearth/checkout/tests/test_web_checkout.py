"""The web checkout through HTTP with Django's test client (TOS-4), guest and signed in, and
every bad input of the issue: each a clear message, nothing charged twice, nothing lost."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from hearth.checkout.models import Basket
from hearth.checkout.selectors import basket_lines
from hearth.checkout.tests.conftest import AT, DECLINE_FUNDS, VISA, make_code
from hearth.orders.models import Order
from hearth.payments.models import Payment
from hearth.privacy.models import ConsentRecord
from hearth.privacy.selectors import may_contact

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")

CONTACT = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "613-555-0101"}
ADDRESS = {
    "lines": "12 Wellington Street",
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "k1a0b1",
    "country": "CA",
}


def text(response: Any) -> str:
    return response.content.decode()


def add(client: Client, sku: str = "EO-ONE-CHR", quantity: int = 1) -> Any:
    return client.post("/basket/add/", {"sku": sku, "quantity": str(quantity)})


def pay_on_provider_page(client: Client, card: str = VISA) -> Any:
    """Choose card, fill the sandbox provider's own page, come back with the token."""
    to_provider = client.post("/checkout/payment/", {"payment_method": "card"})
    assert to_provider.status_code == 302
    assert to_provider.url.startswith("/pay/sandbox/card/?session=cs_")
    session = parse_qs(urlsplit(to_provider.url).query)["session"][0]
    back = client.post(
        to_provider.url,
        {
            "session": session,
            "card_number": card,
            "exp_month": "12",
            "exp_year": "2030",
            "cvc": "1234" if card.startswith("3") else "123",  # Amex: 4 digits
        },
    )
    assert back.status_code == 302, text(back)
    assert "/checkout/payment/return/?payment_token=tok_" in back.url
    return client.get(back.url)


def to_review(
    client: Client, *, card: str = VISA, contact: dict[str, str] | None = None, code: str = ""
) -> str:
    add(client)
    assert client.get("/checkout/").url in ("/checkout/age/", "/checkout/details/")
    # The 18+ answer leads to the one-page form (test_one_page_checkout.py); these tests walk
    # the single-step pages, which stay for the review's "change" links and lost sessions.
    assert client.post("/checkout/age/", {"adult": "yes"}).url == "/checkout/details/"
    assert client.post("/checkout/contact/", contact or CONTACT).url == "/checkout/address/"
    assert client.post("/checkout/address/", ADDRESS).url == "/checkout/delivery/"
    delivered = client.post(
        "/checkout/delivery/", {"shipping_method": "standard", "discount_code": code}
    )
    assert delivered.url == "/checkout/payment/", text(delivered)
    assert pay_on_provider_page(client, card).url == "/checkout/review/"
    return text(client.get("/checkout/review/"))


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, name
    return match.group(1)


def place(client: Client, page: str, **overrides: str) -> Any:
    data = {
        "adult": "on",
        "end_user": "on",
        "accurate": "on",
        "place_token": hidden(page, "place_token"),
        "basket_version": hidden(page, "basket_version"),
    }
    data.update(overrides)
    return client.post("/checkout/review/", {k: v for k, v in data.items() if v is not None})


@pytest.mark.promise("TOS-4", "TOS-1", "TOS-13", "TOS-14")
def test_guest_checks_out_and_sees_the_confirmation(client: Client) -> None:
    page = to_review(client)
    # Prices before tax, each tax component with its rate, the delivery estimate (Mon 2 Nov
    # 10:00 Eastern: ships today, delivered Wed 4 to Thu 5 Nov), standard shipping free.
    for shown in [
        "$249.00",
        "HST (13%)",
        "$32.37",
        "$281.37",
        "If placed now: ships November 2, 2026, delivered between November 4, 2026 and "
        "November 5, 2026.",
        "Shipping: Standard",
    ]:
        assert shown in page, shown
    placed = place(client, page)
    assert placed.status_code == 302
    order = Order.objects.get()
    assert placed.url == f"/checkout/confirmation/{order.number}/"
    assert (order.email, order.grand_total, order.customer, order.channel) == (
        "ada@example.com",
        Decimal("281.37"),
        None,
        "web",
    )
    confirmation = text(client.get(placed.url))
    assert order.number in confirmation
    assert (
        "Expected to ship November 2, 2026 and to arrive between November 4, 2026"
        " and November 5, 2026." in confirmation
    )
    assert basket_lines(Basket.objects.get()) == []


@pytest.mark.promise("TOS-4")
def test_a_double_click_or_replayed_form_places_one_order_and_charges_once(
    client: Client,
) -> None:
    page = to_review(client)
    first = place(client, page)
    second = place(client, page)
    assert second.status_code == 302
    assert second.url == first.url
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


@pytest.mark.promise("PP-8")
@pytest.mark.promise("PP-5")
def test_the_checkout_offers_news_and_a_separate_opt_out_both_unticked(client: Client) -> None:
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    contact_page = text(client.get("/checkout/contact/"))
    assert "Email me news and offers" in contact_page
    assert "Do not email me about products related to my purchase" in contact_page
    assert "Leave this unticked to opt out" not in contact_page
    for name in ("marketing_email", "marketing_opt_out"):
        tag = contact_page.split(f'name="{name}"')[1].split(">")[0]
        assert "checked" not in tag, name
    place(client, to_review(client))  # both left unticked: not an opt-out
    assert list(ConsentRecord.objects.values_list("kind", "granted", "source")) == [
        ("implied", True, "order (web)")
    ]
    assert may_contact(purpose="marketing_email", at=AT, email="ada@example.com") is True


@pytest.mark.promise("PP-8")
def test_the_opt_out_box_at_checkout_is_a_withdrawal_the_purchase_does_not_override(
    client: Client,
) -> None:
    place(client, to_review(client, contact={**CONTACT, "marketing_opt_out": "on"}))
    assert list(
        ConsentRecord.objects.order_by("id").values_list("kind", "granted", "evidence")
    ) == [
        ("express", False, f"order {Order.objects.get().number}: opt-out box ticked"),
        ("implied", True, f"order {Order.objects.get().number} placed"),
    ]
    assert may_contact(purpose="marketing_email", at=AT, email="ada@example.com") is False


@pytest.mark.promise("PP-8")
def test_both_boxes_ticked_is_refused_at_the_field(client: Client) -> None:
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    response = client.post(
        "/checkout/contact/",
        {**CONTACT, "marketing_email": "on", "marketing_opt_out": "on"},
    )
    assert response.status_code == 200
    assert "untick one of the two boxes" in text(response)
    assert ConsentRecord.objects.count() == 0


@pytest.mark.promise("PP-8")
def test_ticking_news_and_offers_at_checkout_is_recorded_as_a_grant(client: Client) -> None:
    place(client, to_review(client, contact={**CONTACT, "marketing_email": "on"}))
    record = ConsentRecord.objects.get(kind="express")
    assert (record.purpose, record.granted) == ("marketing_email", True)


def test_checkout_forms_state_their_purposes_and_mark_fields(client: Client) -> None:
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    page = text(client.get("/checkout/contact/"))
    assert 'data-collection-point="checkout_contact"' in page
    assert "Email address (required)" in page
    assert "Phone (optional)" in page
    assert '<label for="id_email">' in page


@pytest.mark.promise("TOS-9")
def test_a_declined_card_says_why_charges_nothing_and_keeps_the_basket(client: Client) -> None:
    page = to_review(client, card=DECLINE_FUNDS)
    declined = place(client, page)
    assert declined.url == "/checkout/payment/"
    shown = text(client.get(declined.url))
    assert Order.objects.count() == 0
    assert "Your card was declined for insufficient funds. Please use another card or PayPal." in (
        shown
    )
    assert basket_lines(Basket.objects.get()) == [("EO-ONE-CHR", 1)]
    # A new card, then the order goes through.
    assert pay_on_provider_page(client, VISA).url == "/checkout/review/"
    assert place(client, text(client.get("/checkout/review/"))).status_code == 302
    assert Order.objects.count() == 1


@pytest.mark.promise("TOS-3")
def test_missing_attestations_are_shown_beside_the_field_and_nothing_is_placed(
    client: Client,
) -> None:
    page = to_review(client)
    refused = place(client, page, end_user=None)
    assert refused.status_code == 200
    body = text(refused)
    assert "Confirm that you are an end user to place the order." in body
    assert 'id="id_end_user_errors"' in body
    assert Order.objects.count() == 0


@pytest.mark.promise("TOS-17")
def test_a_po_box_is_refused_beside_the_street_field(client: Client) -> None:
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    refused = client.post("/checkout/address/", {**ADDRESS, "lines": "PO Box 123"})
    assert refused.status_code == 200
    body = text(refused)
    assert 'id="id_lines_errors"' in body
    assert re.search(r"post office box|PO box", body, re.IGNORECASE)


@pytest.mark.promise("TOS-16", "TOS-19", "TOS-2")
def test_a_destination_outside_canada_is_sent_to_customer_care_with_the_duties_note(
    client: Client,
) -> None:
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    sent = client.post(
        "/checkout/address/",
        {"lines": "1 Main Street", "city": "Boston", "postal_code": "02101", "country": "US"},
    )
    assert sent.url == "/checkout/outside-canada/?country=US"
    body = text(client.get(sent.url))
    assert "We sell online for delivery in Canada only." in body
    assert "Customer care: care@example.com, 1-800-555-0199." in body
    assert "Import duties and taxes of the destination country" in body
    assert "Customs can delay delivery" in body
    assert "Shipping outside Canada costs extra" in body
    assert basket_lines(Basket.objects.get()) == [("EO-ONE-CHR", 1)]


@pytest.mark.promise("TOS-15", "TOS-14")
def test_delivery_options_show_each_fee_and_window_before_choosing(client: Client) -> None:
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    client.post("/checkout/address/", ADDRESS)
    body = text(client.get("/checkout/delivery/"))
    assert (
        "Standard: free, ships November 2, 2026, delivered November 4, 2026 to November 5, 2026"
        in body
    )
    from hearth.checkout.placing import SHIPPING_METHOD_SUPPORTED

    if SHIPPING_METHOD_SUPPORTED:
        assert "Express: $24.95, ships November 2, 2026, delivered November 3, 2026" in body


def test_an_empty_basket_cannot_check_out(client: Client) -> None:
    response = client.get("/checkout/", follow=True)
    assert response.redirect_chain[-1][0] == "/basket/"
    assert "Your basket is empty: add a product before checking out." in text(response)


def test_a_quantity_above_stock_is_a_clear_message(client: Client) -> None:
    response = client.post("/basket/add/", {"sku": "EO-ONE-CHR", "quantity": "6"}, follow=True)
    assert "Only 5 left in stock: choose 5 or fewer." in text(response)
    assert Basket.objects.filter(lines__isnull=False).count() == 0


def test_a_tampered_product_id_is_refused(client: Client) -> None:
    response = client.post("/basket/add/", {"sku": "EO-ONE-CHR'--", "quantity": "1"}, follow=True)
    assert "There is no product with the code EO-ONE-CHR&#x27;--." in text(response)


def test_a_tampered_price_in_the_form_is_ignored(client: Client) -> None:
    page = to_review(client)
    place(client, page, price="1.00", grand_total="1.00", unit_price="0.01")
    assert Order.objects.get().grand_total == Decimal("281.37")


def test_a_basket_changed_after_review_asks_to_review_again(client: Client) -> None:
    page = to_review(client)
    add(client)  # in another tab
    refused = place(client, page)
    assert refused.status_code == 200
    assert "Your basket or its prices changed since you reviewed it." in text(refused)
    assert Order.objects.count() == 0


def test_an_expired_session_mid_checkout_says_so_and_charges_nothing(client: Client) -> None:
    page = to_review(client)
    fresh = Client()  # the session cookie is gone
    add(fresh)
    response = place(fresh, page)
    assert response.status_code == 302
    followed = fresh.get(response.url, follow=True)
    assert "expired" in text(followed)
    assert Order.objects.count() == 0
    assert Payment.objects.count() == 0


def test_a_cancelled_paypal_approval_charges_nothing_and_returns_to_payment(
    client: Client,
) -> None:
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    client.post("/checkout/address/", ADDRESS)
    client.post("/checkout/delivery/", {"shipping_method": "standard"})
    to_paypal = client.post("/checkout/payment/", {"payment_method": "paypal"})
    assert to_paypal.url.startswith("/pay/sandbox/paypal/")
    cancelled = client.post(to_paypal.url, {"action": "cancel"})
    assert cancelled.url.endswith("/checkout/payment/cancelled/")
    body = text(client.get(cancelled.url, follow=True))
    assert "You cancelled the PayPal approval. Nothing was charged; choose how to pay." in body
    assert basket_lines(Basket.objects.get()) == [("EO-ONE-CHR", 1)]
    assert Payment.objects.count() == 0


def test_paypal_approval_places_the_order(client: Client) -> None:
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    client.post("/checkout/address/", ADDRESS)
    client.post("/checkout/delivery/", {"shipping_method": "standard"})
    to_paypal = client.post("/checkout/payment/", {"payment_method": "paypal"})
    approved = client.post(to_paypal.url, {"action": "approve"})
    assert client.get(approved.url).url == "/checkout/review/"
    page = text(client.get("/checkout/review/"))
    assert "PayPal (approved)" in page
    place(client, page)
    assert Order.objects.get().payment_method == "paypal"


@pytest.mark.promise("TOS-9")
def test_an_invalid_discount_code_is_shown_beside_the_field(client: Client) -> None:
    make_code("WINTER", valid_until=None, min_spend=Decimal("300.00"))
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    client.post("/checkout/address/", ADDRESS)
    refused = client.post(
        "/checkout/delivery/", {"shipping_method": "standard", "discount_code": "winter"}
    )
    assert refused.status_code == 200
    body = text(refused)
    assert 'id="id_discount_code_errors"' in body
    assert "needs a subtotal of at least $300.00 before tax; your basket comes to $249.00" in body


def test_a_valid_discount_code_is_applied_before_tax(client: Client) -> None:
    make_code("SPRING10")
    page = to_review(client, code="spring10")
    assert "Discount SPRING10 (10% off)" in page
    place(client, page)
    order = Order.objects.get()
    assert (order.discount, order.grand_total) == (Decimal("24.90"), Decimal("253.23"))


@pytest.mark.promise("TOS-4")
def test_a_signed_in_customer_checks_out_and_the_order_is_theirs(
    client: Client, fast_passwords: None
) -> None:
    user = get_user_model().objects.create_user(email="grace@example.com", password="pw-1234567x")
    client.force_login(user)
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    contact_page = text(client.get("/checkout/contact/"))
    assert 'value="grace@example.com"' in contact_page
    page = to_review(client, contact={**CONTACT, "email": "grace@example.com"})
    placed = place(client, page)
    order = Order.objects.get()
    assert order.customer == user
    assert client.get(placed.url).status_code == 200
    assert Client().get(placed.url).status_code == 404  # nobody else sees it


@pytest.mark.promise("TOS-15", "TOS-2")
def test_express_shipping_is_charged_as_shown_and_taxed(client: Client) -> None:
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    client.post("/checkout/address/", ADDRESS)
    client.post("/checkout/delivery/", {"shipping_method": "express"})
    assert pay_on_provider_page(client, VISA).url == "/checkout/review/"
    page = text(client.get("/checkout/review/"))
    for shown in [
        "Shipping: Express",
        "$24.95",
        "$35.61",
        "$309.56",
        "delivered between November 3, 2026 and November 3, 2026",
    ]:
        assert shown in page, shown
    place(client, page)
    order = Order.objects.get()
    assert (order.shipping_method, order.shipping, order.grand_total, order.delivery_latest) == (
        "express",
        Decimal("24.95"),
        Decimal("309.56"),
        dt.date(2026, 11, 3),
    )


def test_stock_sold_out_before_placing_is_a_clear_message_and_nothing_is_charged(
    client: Client,
) -> None:
    from hearth.catalog.models import Variant

    page = to_review(client)
    Variant.objects.filter(sku="EO-ONE-CHR").update(stock_on_hand=0)
    refused = place(client, page)
    assert refused.status_code == 200
    assert "EO-ONE-CHR is out of stock." in text(refused)
    assert Order.objects.count() == 0
    assert Payment.objects.count() == 0
    assert basket_lines(Basket.objects.get()) == [("EO-ONE-CHR", 1)]
