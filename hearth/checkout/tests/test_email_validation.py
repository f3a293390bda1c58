"""Issue #10 item 19: an order's email is checked (syntax, no header injection) before any
payment, in the web checkout, the JSON checkout API and phone orders."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hearth.checkout.forms import ContactForm
from hearth.checkout.tests.conftest import ADDRESS, VISA, card_token
from hearth.orders.forms import PhoneCustomerForm
from hearth.orders.models import Order
from hearth.payments.models import Payment

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")

BAD = [
    "not-an-email",
    "ada@",
    "ada@example",
    "ada@example.com\r\nBcc: everyone@example.com",
    "ada@example.com\nSubject: hi",
    "ada example@example.com",
]


def _order(email: str, token: str) -> dict[str, Any]:
    return {
        "email": email,
        "name": "Ada Lovelace",
        "shipping_address": {**ADDRESS},
        "attestations": {"adult": True, "end_user": True, "accurate": True},
        "payment_method": "card",
        "payment_token": token,
        "lines": [{"sku": "EO-ONE-CHR", "quantity": 1}],
    }


@pytest.mark.promise("TOS-7")
@pytest.mark.promise("TOS-11")
@pytest.mark.parametrize("email", BAD)
def test_the_checkout_api_refuses_a_bad_email_before_charging(api_client: Client, email: str):
    response = api_client.post(
        "/api/v1/checkout/orders",
        json.dumps(_order(email, card_token(VISA))),
        content_type="application/json",
        headers={"Idempotency-Key": "bad-email-1"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid_email", ["email"])
    assert Order.objects.count() == 0
    assert Payment.objects.count() == 0  # nothing authorised, nothing charged


@pytest.mark.promise("TOS-7")
def test_the_checkout_api_places_a_good_email(api_client: Client):
    response = api_client.post(
        "/api/v1/checkout/orders",
        json.dumps(_order("Ada.Lovelace@Example.COM", card_token(VISA))),
        content_type="application/json",
        headers={"Idempotency-Key": "good-email-1"},
    )
    assert response.status_code == 201
    assert Order.objects.count() == 1


@pytest.mark.parametrize("email", BAD)
def test_the_web_contact_step_shows_a_bad_email_beside_the_field(email: str):
    form = ContactForm({"email": email, "name": "Ada Lovelace"})
    assert not form.is_valid()
    assert form.errors["email"]
    assert list(form.errors) == ["email"]


@pytest.mark.parametrize("email", BAD)
def test_the_phone_order_form_refuses_a_bad_email(email: str):
    form = PhoneCustomerForm({"email": email, "full_name": "Ada Lovelace"})
    assert not form.is_valid()
    assert list(form.errors) == ["email"]


def test_good_emails_pass_the_forms_normalised():
    form = ContactForm({"email": "Ada@Example.COM", "name": "Ada Lovelace"})
    assert form.is_valid()
    assert form.cleaned_data["email"] == "ada@example.com"
