"""Phone orders through the back-office pages (TOS-5, TOS-12) and My Stuff orders (owner only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from hearth.accounts.tests.conftest import make_customer
from hearth.orders.models import Order, OrderStatus
from hearth.orders.services import place_order
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft
from hearth.payments.selectors import payment

PHONE = "/back-office/phone-orders/"


def _build_form(**overrides: str) -> dict[str, str]:
    data = {
        "lines": "EO-ONE-OAK 2",
        "name": "Grace Hopper",
        "phone": "+1 604 555 0100",
        "address_lines": "800 Robson Street",
        "city": "Vancouver",
        "province": "BC",
        "postal_code": "V6Z 2E7",
        "country": "CA",
        "adult": "on",
        "end_user": "on",
        "accurate": "on",
        "bc_pst_number": "PST-1234-5678",
        "discount_code": "",
        # Tampered fields a browser could add: the server never reads them.
        "unit_price": "1.00",
        "price": "1.00",
    }
    data.update(overrides)
    return data


@pytest.mark.promise("TOS-5")
@pytest.mark.promise("TOS-12")
def test_a_sales_agent_takes_a_bc_resale_order_by_phone(speaker, staff_client):
    agent = staff_client("sales_agent")
    assert agent.get(PHONE).status_code == 200
    response = agent.post(PHONE, {"email": "grace@example.com", "full_name": "Grace Hopper"})
    assert response.status_code == 302
    build_url = response["Location"]

    response = agent.post(build_url, _build_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    summary_url = response["Location"]

    summary = agent.get(summary_url).content.decode()
    assert "EO-ONE-OAK" in summary
    assert "398.00" in summary  # 2 × 199.00 before tax, from the catalogue
    assert "GST (5%)" in summary and "$19.90" in summary
    assert "PST" not in summary.replace("PST-1234-5678", "").replace("BC PST number", "")
    assert "417.90" in summary

    response = agent.post(summary_url)
    assert response.status_code == 302
    card_page = response["Location"]
    assert card_page.startswith("/pay/sandbox/agent-card/")
    session_id = parse_qs(urlsplit(card_page).query)["session"][0]
    assert agent.get(card_page).status_code == 200
    response = agent.post(
        card_page,
        {
            "session": session_id,
            "card_number": APPROVE_VISA,
            "exp_month": "12",
            "exp_year": "2030",
            "cvc": "123",
        },
    )
    assert response.status_code == 302
    place_url = response["Location"]
    assert "payment_token=tok_" in place_url
    assert agent.get(place_url).status_code == 200
    token = parse_qs(urlsplit(place_url).query)["payment_token"][0]
    response = agent.post(place_url.split("?")[0], {"payment_token": token})
    assert response.status_code == 302
    order = Order.objects.get()
    assert response["Location"] == f"{PHONE}placed/{order.number}/"
    assert agent.get(response["Location"]).status_code == 200
    assert (order.channel, order.status, order.bc_pst_number) == (
        "phone",
        "placed",
        "PST-1234-5678",
    )
    assert order.customer.email == "grace@example.com"
    assert order.tax_components == [{"code": "GST", "rate": "0.05", "amount": "19.90"}]
    assert order.grand_total == Decimal("417.90")
    assert payment(order.payment_id).amount == Decimal("417.90")
    assert order.events.get().actor.email == "sales_agent@example.com"
    # Posting again (double click) places nothing more.
    agent.post(place_url.split("?")[0], {"payment_token": token})
    assert Order.objects.count() == 1


@pytest.mark.promise("TOS-3")
def test_the_phone_order_page_refuses_an_attestation_not_read_out(speaker, staff_client):
    agent = staff_client("sales_agent")
    build_url = agent.post(PHONE, {"email": "grace@example.com", "full_name": ""})["Location"]
    response = agent.post(build_url, _build_form(end_user=""))
    assert response.status_code == 200
    assert "Confirm that you are the end user" in response.content.decode()


@pytest.mark.parametrize("role", ["care_agent", "warehouse", "finance"])
def test_only_sales_agents_take_phone_orders(staff_client, role):
    assert staff_client(role).get(PHONE).status_code == 403


def test_a_customer_or_a_visitor_is_sent_to_the_back_office_sign_in(customer):
    client = Client()
    client.force_login(customer)
    for who in (client, Client()):
        response = who.get(PHONE)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def _order_for(user) -> Order:
    return place_order(
        draft=draft(customer=user, email=user.email),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=f"k-{user.pk}",
        channel="web",
        at=T0,
    )


@pytest.mark.promise("TOS-11")
def test_my_stuff_lists_my_orders_with_status_and_the_invoice_to_download(speaker, customer):
    order = _order_for(customer)
    client = Client()
    client.force_login(customer)
    assert "/my-stuff/orders/" in client.get("/my-stuff/").content.decode()
    listing = client.get("/my-stuff/orders/").content.decode()
    assert order.number in listing and "Placed" in listing
    detail = client.get(f"/my-stuff/orders/{order.number}/").content.decode()
    assert "224.87" in detail and "HST" in detail
    pdf = client.get(f"/my-stuff/orders/{order.number}/invoice.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"123456789 RT0001" in pdf.content


def test_another_customers_order_and_invoice_are_not_found(speaker, customer):
    order = _order_for(customer)
    other = make_customer("bob@example.com", "Bob Example")
    client = Client()
    client.force_login(other)
    assert client.get(f"/my-stuff/orders/{order.number}/").status_code == 404
    assert client.get(f"/my-stuff/orders/{order.number}/invoice.pdf").status_code == 404
    assert order.number not in client.get("/my-stuff/orders/").content.decode()
    assert Client().get("/my-stuff/orders/").status_code == 302


def test_the_warehouse_sees_released_orders_to_ship_but_not_orders(speaker, customer, staff_client):
    order = _order_for(customer)
    warehouse = staff_client("warehouse")
    assert order.number not in warehouse.get("/admin/orders/ordertoship/").content.decode()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.RELEASED)
    page = warehouse.get("/admin/orders/ordertoship/").content.decode()
    assert order.number in page
    assert warehouse.get("/admin/orders/order/").status_code == 403
    assert warehouse.get(f"/admin/orders/ordertoship/{order.pk}/change/").status_code == 200


def test_the_phone_picker_shows_live_price_and_stock_and_takes_express(speaker, staff_client):
    import tomllib
    from pathlib import Path

    from hearth.orders.tests.conftest import make_variant

    make_variant(
        "EO-SUB-WAL",
        "499.00",
        0,
        availability="backorder",
        expected_ship_date=dt.date(2026, 4, 15),
        name="Ember Sub",
    )
    agent = staff_client("sales_agent")
    build_url = agent.post(PHONE, {"email": "grace@example.com", "full_name": "Grace H"})[
        "Location"
    ]
    page = agent.get(build_url).content.decode()
    assert (
        '<label for="id_qty_EO-ONE-OAK">Ember One – Oak (EO-ONE-OAK): 199.00 CAD, 5 in stock'
        in (page)
    )
    assert "EO-SUB-WAL): 499.00 CAD, Backorder, expected to ship 2026-04-15" in page
    assert "Express: " in page and "Standard: " in page
    form = _build_form(lines="", **{"qty_EO-ONE-OAK": "2", "shipping_method": "express"})
    response = agent.post(build_url, form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    summary = agent.get(response["Location"]).content.decode()
    assert "Express shipping" in summary
    assert "398.00" in summary
    # The form's own example SKU is one the catalogue sells.
    catalogue = tomllib.loads(
        (Path(__file__).resolve().parents[2] / "catalog/data/catalogue.toml").read_text()
    )
    skus = {v["sku"] for p in catalogue["product"] for v in p["variants"]}
    assert "EO-ONE-CHR" in skus
    assert "e.g. EO-ONE-CHR 2" in page


def test_the_phone_order_needs_a_product(speaker, staff_client):
    agent = staff_client("sales_agent")
    build_url = agent.post(PHONE, {"email": "grace@example.com", "full_name": "Grace H"})[
        "Location"
    ]
    response = agent.post(build_url, _build_form(lines=""))
    assert response.status_code == 200
    assert "Add at least one product." in response.content.decode()


def _phone_order(agent, **choices: str) -> Order:
    build_url = agent.post(PHONE, {"email": "grace@example.com", "full_name": "Grace Hopper"})[
        "Location"
    ]
    summary_url = agent.post(build_url, _build_form(**choices))["Location"]
    card_page = agent.post(summary_url)["Location"]
    session_id = parse_qs(urlsplit(card_page).query)["session"][0]
    place_url = agent.post(
        card_page,
        {
            "session": session_id,
            "card_number": APPROVE_VISA,
            "exp_month": "12",
            "exp_year": "2030",
            "cvc": "123",
        },
    )["Location"]
    token = parse_qs(urlsplit(place_url).query)["payment_token"][0]
    assert agent.post(place_url.split("?")[0], {"payment_token": token}).status_code == 302
    return Order.objects.get()


@pytest.mark.promise("PP-8")
@pytest.mark.promise("PP-5")
@pytest.mark.parametrize(
    ("choices", "records", "may"),
    [
        ({}, [("implied", True)], True),
        ({"marketing_opt_in": "on"}, [("express", True), ("implied", True)], True),
        ({"marketing_opt_out": "on"}, [("express", False), ("implied", True)], False),
    ],
)
def test_a_phone_order_records_the_two_marketing_answers(
    speaker, staff_client, choices, records, may
):
    from hearth.privacy.models import ConsentRecord
    from hearth.privacy.selectors import may_contact

    order = _phone_order(staff_client("sales_agent"), **choices)
    assert list(ConsentRecord.objects.order_by("id").values_list("kind", "granted")) == records
    assert may_contact(purpose="marketing_email", at=order.placed_at, user=order.customer) is may


@pytest.mark.promise("PP-8")
def test_a_phone_order_with_both_marketing_answers_is_sent_back_to_the_agent(speaker, staff_client):
    agent = staff_client("sales_agent")
    build_url = agent.post(PHONE, {"email": "grace@example.com", "full_name": "Grace Hopper"})[
        "Location"
    ]
    response = agent.post(build_url, _build_form(marketing_opt_in="on", marketing_opt_out="on"))
    assert response.status_code == 200
    assert "cannot both be chosen" in response.content.decode()
    assert Order.objects.count() == 0


@pytest.mark.promise("PP-8")
def test_the_phone_form_shows_a_customers_express_consent_ticked(speaker, staff_client):
    from hearth.accounts.models import User
    from hearth.privacy.services import record_consent

    agent = staff_client("sales_agent")
    build_url = agent.post(PHONE, {"email": "grace@example.com", "full_name": "Grace Hopper"})[
        "Location"
    ]
    unticked = agent.get(build_url).content.decode()
    tag = unticked.split('name="marketing_opt_in"')[1].split(">")[0]
    assert "checked" not in tag
    grace = User.objects.get(email="grace@example.com")
    grace.email_verified_at = T0  # a proven account: the phone order is theirs (PP-15)
    grace.save(update_fields=["email_verified_at"])
    record_consent(
        purpose="marketing_email",
        granted=True,
        kind="express",
        source="my_stuff",
        at=T0,
        user=grace,
    )
    build_url = agent.post(PHONE, {"email": "grace@example.com", "full_name": "Grace Hopper"})[
        "Location"
    ]
    ticked = agent.get(build_url).content.decode()
    assert "checked" in ticked.split('name="marketing_opt_in"')[1].split(">")[0]
    assert "checked" not in ticked.split('name="marketing_opt_out"')[1].split(">")[0]
