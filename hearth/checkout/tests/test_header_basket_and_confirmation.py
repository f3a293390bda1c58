"""The header's basket count (read with the session, never a query on the basket per page) and
the confirmation's tax breakdown, read from what the order stored at placing (issue #16 item 6)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hearth.checkout.models import Basket, BasketLine
from hearth.checkout.tests.conftest import AT, make_variant
from hearth.checkout.tests.test_web_checkout import add, pay_on_provider_page, place, text
from hearth.discounts.tests.factories import make_code
from hearth.orders.models import Order

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")

QUEBEC = {
    "lines": "12 rue Saint-Paul",
    "city": "Montréal",
    "province": "QC",
    "postal_code": "H2Y 1H1",
    "country": "CA",
}


def header_count(page: str) -> int | None:
    """The badge's number in the header, None when the header shows no badge."""
    match = re.search(r'<span class="basket-count" aria-hidden="true">(\d+)</span>', page)
    return int(match.group(1)) if match else None


def test_the_header_counts_the_basket_items_on_every_page_without_reading_the_basket() -> None:
    client = Client()
    make_variant("EO-GO-RED", price="179.00", slug="ember-go", name="Ember Go")
    add(client, "EO-ONE-CHR", 2)
    add(client, "EO-GO-RED", 1)
    basket = client.get("/basket/")
    assert header_count(text(basket)) == 3
    for url in ("/", "/shop/", "/shop/ember-one/"):
        with CaptureQueriesContext(connection) as captured:
            page = text(client.get(url))
        assert header_count(page) == 3, url
        assert ", 3 items</span>" in page  # what a screen reader says after "Basket"
        assert not [q for q in captured.captured_queries if "checkout_basket" in q["sql"]], url


def test_a_visitor_without_a_basket_sees_no_count_and_hears_zero_items() -> None:
    page = text(Client().get("/"))
    assert header_count(page) is None
    assert ", 0 items</span>" in page


def test_changing_and_removing_a_line_updates_the_count_on_the_basket_page_and_after() -> None:
    client = Client()
    add(client, "EO-ONE-CHR", 2)
    assert header_count(text(client.get("/basket/"))) == 2
    changed = client.post("/basket/EO-ONE-CHR/change/", {"EO-ONE-CHR-quantity": "4"}, follow=True)
    assert header_count(text(changed)) == 4
    assert header_count(text(client.get("/"))) == 4
    removed = client.post("/basket/EO-ONE-CHR/remove/", follow=True)
    assert header_count(text(removed)) is None
    assert header_count(text(client.get("/"))) is None


def test_signing_in_shows_the_count_of_the_customers_own_basket() -> None:
    user = get_user_model().objects.create_user(email="ada@example.com", password="pw-12345678x")
    saved = Basket.objects.create(user=user, updated_at=AT)
    BasketLine.objects.create(basket=saved, sku="EO-ONE-CHR", quantity=2, added_at=AT)
    client = Client()
    add(client, "EO-ONE-CHR", 1)  # a guest line, merged into the customer's at sign-in
    client.force_login(user)
    assert header_count(text(client.get("/"))) == 3


def _to_quebec_review(client: Client) -> str:
    add(client)
    assert client.post("/checkout/age/", {"adult": "yes"}).url == "/checkout/details/"
    contact = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": ""}
    assert client.post("/checkout/contact/", contact).url == "/checkout/address/"
    assert client.post("/checkout/address/", QUEBEC).url == "/checkout/delivery/"
    delivered = client.post("/checkout/delivery/", {"shipping_method": "standard"})
    assert delivered.url == "/checkout/payment/"
    assert pay_on_provider_page(client).url == "/checkout/review/"
    return text(client.get("/checkout/review/"))


def _breakdown(page: str) -> list[tuple[str, str]]:
    """(row heading, amount) of the confirmation's totals table, in order."""
    table = page.split("data-tax-breakdown", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table)
    return [(re.sub(r"<[^>]+>", "", head).strip(), amount.strip()) for head, amount in rows]


@pytest.mark.promise("TOS-11")
def test_the_confirmation_breaks_the_tax_down_by_component_with_rate_and_amount() -> None:
    client = Client()
    placed = place(client, _to_quebec_review(client))
    order = Order.objects.get()
    assert order.tax_components == [
        {"code": "GST", "rate": "0.05", "amount": "12.45"},
        {"code": "QST", "rate": "0.09975", "amount": "24.84"},
    ]
    page = text(client.get(placed.url))
    assert _breakdown(page) == [
        ("Items before tax", "$249.00"),
        ("Shipping", "free"),
        ("Subtotal before tax", "$249.00"),
        ("GST (5%)", "$12.45"),
        ("QST (9.975%)", "$24.84"),
        ("Total", "$286.29"),
    ]
    # Placing emptied the basket: the header says so at once.
    assert header_count(page) is None


def test_the_confirmation_shows_the_stored_charge_not_a_new_computation() -> None:
    """What the order stored at placing is what the customer was charged; a later rate change
    (simulated by storing other figures) must not change what the confirmation says."""
    client = Client()
    placed = place(client, _to_quebec_review(client))
    Order.objects.update(
        tax_components=[
            {"code": "GST", "rate": "0.07", "amount": "17.43"},
            {"code": "QST", "rate": "0.075", "amount": "19.98"},
        ],
        total_tax=Decimal("37.41"),
        grand_total=Decimal("286.41"),
    )
    rows = dict(_breakdown(text(client.get(placed.url))))
    assert rows["GST (7%)"] == "$17.43"
    assert rows["QST (7.5%)"] == "$19.98"
    assert rows["Subtotal before tax"] == "$249.00"
    assert rows["Total"] == "$286.41"


def test_the_confirmation_names_the_discount_and_paid_shipping() -> None:
    make_code("WELCOME10")
    client = Client()
    add(client)
    client.post("/checkout/age/", {"adult": "yes"})
    contact = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": ""}
    client.post("/checkout/contact/", contact)
    client.post(
        "/checkout/address/",
        QUEBEC | {"province": "ON", "city": "Ottawa", "postal_code": "K1A 0B1"},
    )
    client.post("/checkout/delivery/", {"shipping_method": "express", "discount_code": "WELCOME10"})
    pay_on_provider_page(client)
    placed = place(client, text(client.get("/checkout/review/")))
    order = Order.objects.get()
    rows = _breakdown(text(client.get(placed.url)))
    assert rows[0] == ("Items before tax", "$249.00")
    assert rows[1] == ("Discount WELCOME10", f"−${order.discount}")
    assert rows[2] == ("Shipping", f"${order.shipping}")
    assert order.shipping > 0
    assert rows[3] == ("Subtotal before tax", f"${order.grand_total - order.total_tax}")
    assert rows[4] == ("HST (13%)", f"${order.tax_components[0]['amount']}")
    assert rows[-1] == ("Total", f"${order.grand_total}")
