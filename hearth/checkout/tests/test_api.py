"""The checkout API (/api/v1/checkout/) through HTTP: basket, quote, place with Idempotency-Key."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from hearth.checkout.tests.conftest import ADDRESS, DECLINE_FUNDS, VISA, card_token, make_code
from hearth.orders.models import Order
from hearth.payments.models import Payment

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")
BASE = "/api/v1/checkout"


def call(client: Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    response = getattr(client, method)(f"{BASE}{path}", headers=headers, **kwargs)
    return response.status_code, response.json()


def order_body(token: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "shipping_address": {**ADDRESS},
        "attestations": {"adult": True, "end_user": True, "accurate": True},
        "payment_method": "card",
        "payment_token": token,
    }
    body.update(overrides)
    return body


def test_basket_crud(api_client: Client) -> None:
    status, body = call(api_client, "post", "/basket/lines", {"sku": "EO-ONE-CHR", "quantity": 2})
    assert status == 201
    assert body == {
        "lines": [
            {
                "sku": "EO-ONE-CHR",
                "name": "Ember One",
                "colour": "Charcoal",
                "quantity": 2,
                "unit_price": "249.00",
                "line_total": "498.00",
                "availability": "in_stock",
                "expected_ship_date": None,
                "problem": None,
            }
        ],
        "item_count": 2,
        "subtotal": "498.00",
    }
    status, body = call(api_client, "put", "/basket/lines/EO-ONE-CHR", {"quantity": 3})
    assert (status, body["subtotal"]) == (200, "747.00")
    status, body = call(api_client, "delete", "/basket/lines/EO-ONE-CHR")
    assert (status, body["lines"], body["subtotal"]) == (200, [], "0.00")


def test_a_quantity_above_stock_answers_400_naming_the_field(api_client: Client) -> None:
    status, body = call(api_client, "post", "/basket/lines", {"sku": "EO-ONE-CHR", "quantity": 6})
    assert (status, body) == (
        400,
        {
            "error": {
                "code": "quantity_above_stock",
                "message": "Only 5 left in stock: choose 5 or fewer.",
                "fields": {"quantity": "Only 5 left in stock: choose 5 or fewer."},
            }
        },
    )


def test_malformed_basket_input_is_a_400_not_a_500(api_client: Client) -> None:
    status, body = call(api_client, "post", "/basket/lines", {"sku": "EO-ONE-CHR", "quantity": 0})
    assert (status, list(body["error"]["fields"])) == (400, ["quantity"])
    status, body = call(api_client, "put", "/basket/lines/EO-ONE-CHR", {"quantity": 1})
    assert (status, body["error"]["code"]) == (404, "not_in_basket")


@pytest.mark.promise("TOS-11", "TOS-14")
def test_quote_shows_each_tax_component_and_the_delivery_window(api_client: Client) -> None:
    make_code("SPRING10")
    call(api_client, "post", "/basket/lines", {"sku": "EO-ONE-CHR", "quantity": 2})
    status, body = call(
        api_client, "post", "/quote", {"province": "QC", "discount_code": "spring10"}
    )
    assert status == 200
    assert {k: v for k, v in body.items() if k != "lines"} == {
        "subtotal": "498.00",
        "discount": "49.80",
        "discount_code": "SPRING10",
        "shipping_method": "standard",
        "shipping": "0.00",
        "components": [
            {"code": "GST", "rate": "0.05", "amount": "22.41"},
            {"code": "QST", "rate": "0.09975", "amount": "44.71"},
        ],
        "total_tax": "67.12",
        "grand_total": "515.32",
        "ship_date": "2026-11-02",
        "delivery_earliest": "2026-11-04",
        "delivery_latest": "2026-11-05",
    }


def test_shipping_methods_list_fees_before_choosing(api_client: Client) -> None:
    status, body = call(api_client, "get", "/shipping-methods")
    assert status == 200
    assert body[0] == {
        "code": "standard",
        "name": "Standard",
        "fee": "0.00",
        "ship_date": "2026-11-02",
        "delivery_earliest": "2026-11-04",
        "delivery_latest": "2026-11-05",
    }


@pytest.mark.promise("TOS-4")
def test_place_order_then_a_replay_returns_the_same_order_and_charges_once(
    api_client: Client,
) -> None:
    call(api_client, "post", "/basket/lines", {"sku": "EO-ONE-CHR", "quantity": 1})
    body = order_body(card_token(VISA))
    status, first = call(api_client, "post", "/orders", body, **{"Idempotency-Key": "order-0001"})
    assert status == 201
    assert {k: first[k] for k in ("status", "subtotal", "total_tax", "grand_total")} == {
        "status": "placed",
        "subtotal": "249.00",
        "total_tax": "32.37",
        "grand_total": "281.37",
    }
    assert first["components"] == [{"code": "HST", "rate": "0.13", "amount": "32.37"}]
    status, basket = call(api_client, "get", "/basket")
    assert basket["lines"] == []
    status, again = call(api_client, "post", "/orders", body, **{"Idempotency-Key": "order-0001"})
    assert (status, again) == (200, first)
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


def test_place_order_needs_an_idempotency_key(api_client: Client) -> None:
    body = order_body("tok_x", lines=[{"sku": "EO-ONE-CHR", "quantity": 1}])
    status, answer = call(api_client, "post", "/orders", body)
    assert (status, answer["error"]["code"], list(answer["error"]["fields"])) == (
        400,
        "idempotency_key_required",
        ["Idempotency-Key"],
    )


def test_an_empty_basket_cannot_be_ordered(api_client: Client) -> None:
    status, answer = call(
        api_client, "post", "/orders", order_body("tok_x"), **{"Idempotency-Key": "order-0002"}
    )
    assert (status, answer["error"]["code"]) == (400, "empty_basket")


@pytest.mark.promise("TOS-9")
def test_a_declined_card_answers_402_and_keeps_nothing(api_client: Client) -> None:
    call(api_client, "post", "/basket/lines", {"sku": "EO-ONE-CHR", "quantity": 1})
    status, answer = call(
        api_client,
        "post",
        "/orders",
        order_body(card_token(DECLINE_FUNDS)),
        **{"Idempotency-Key": "order-0003"},
    )
    assert (status, answer["error"]["code"]) == (402, "payment_declined")
    assert Order.objects.count() == 0
    status, basket = call(api_client, "get", "/basket")
    assert [line["quantity"] for line in basket["lines"]] == [1]


@pytest.mark.promise("TOS-3")
def test_a_missing_attestation_is_refused(api_client: Client) -> None:
    body = order_body(
        card_token(VISA),
        lines=[{"sku": "EO-ONE-CHR", "quantity": 1}],
        attestations={"adult": True, "end_user": False, "accurate": True},
    )
    status, answer = call(api_client, "post", "/orders", body, **{"Idempotency-Key": "order-0004"})
    assert (status, answer["error"]["code"], list(answer["error"]["fields"])) == (
        400,
        "attestation_required",
        ["attestations.end_user"],
    )
    assert Order.objects.count() == 0


@pytest.mark.promise("TOS-9")
def test_an_invalid_discount_code_is_refused_and_guessing_is_throttled(
    api_client: Client,
) -> None:
    call(api_client, "post", "/basket/lines", {"sku": "EO-ONE-CHR", "quantity": 1})
    answers = [
        call(api_client, "post", "/quote", {"province": "ON", "discount_code": f"GUESS{i}"})
        for i in range(6)
    ]
    assert [(s, b["error"]["code"]) for s, b in answers] == [(400, "discount_unknown")] * 5 + [
        (429, "discount_throttled")
    ]
    body = order_body(card_token(VISA), discount_code="GUESS9")
    status, answer = call(api_client, "post", "/orders", body, **{"Idempotency-Key": "order-0005"})
    assert (status, answer["error"]["code"]) == (429, "discount_throttled")
    assert Order.objects.count() == 0


def test_prices_in_the_request_are_refused_not_trusted(api_client: Client) -> None:
    body = order_body(
        card_token(VISA), lines=[{"sku": "EO-ONE-CHR", "quantity": 1, "unit_price": "1.00"}]
    )
    status, answer = call(api_client, "post", "/orders", body, **{"Idempotency-Key": "order-0006"})
    assert (status, list(answer["error"]["fields"])) == (400, ["lines.0.unit_price"])
    assert Order.objects.count() == 0
    assert Decimal("249.00") == Decimal(
        call(api_client, "post", "/quote", {"lines": [{"sku": "EO-ONE-CHR", "quantity": 1}]})[1][
            "subtotal"
        ]
    )


def test_the_checkout_journey_is_in_the_openapi_document(api_client: Client) -> None:
    document = api_client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for path in ["/basket", "/basket/lines", "/basket/lines/{sku}", "/quote", "/orders"]:
        assert f"{BASE}{path}" in paths, path
    parameters = paths[f"{BASE}/orders"]["post"]["parameters"]
    assert [(p["name"], p["in"]) for p in parameters] == [("Idempotency-Key", "header")]


@pytest.mark.promise("PP-8")
@pytest.mark.promise("PP-9")
@pytest.mark.parametrize(
    ("choices", "records"),
    [
        ({}, [("implied", True)]),
        ({"marketing_email": False}, [("implied", True)]),
        ({"marketing_email": True}, [("express", True), ("implied", True)]),
        ({"marketing_opt_out": True}, [("express", False), ("implied", True)]),
    ],
)
def test_the_api_records_the_two_marketing_choices(
    api_client: Client, choices: dict[str, bool], records: list[tuple[str, bool]]
) -> None:
    from hearth.privacy.models import ConsentRecord

    call(api_client, "post", "/basket/lines", {"sku": "EO-ONE-CHR", "quantity": 1})
    body = order_body(card_token(VISA), **choices)
    status, _ = call(api_client, "post", "/orders", body, **{"Idempotency-Key": "order-mkt-1"})
    assert status == 201
    assert list(ConsentRecord.objects.order_by("id").values_list("kind", "granted")) == records


@pytest.mark.promise("PP-8")
def test_the_api_refuses_news_and_the_opt_out_together(api_client: Client) -> None:
    from hearth.privacy.models import ConsentRecord

    body = order_body(
        card_token(VISA),
        lines=[{"sku": "EO-ONE-CHR", "quantity": 1}],
        marketing_email=True,
        marketing_opt_out=True,
    )
    status, answer = call(api_client, "post", "/orders", body, **{"Idempotency-Key": "order-mkt-2"})
    assert (status, answer["error"]["code"], list(answer["error"]["fields"])) == (
        400,
        "marketing_choices_conflict",
        ["marketing_opt_out"],
    )
    assert (Order.objects.count(), Payment.objects.count(), ConsentRecord.objects.count()) == (
        0,
        0,
        0,
    )


def test_the_marketing_fields_are_documented_in_openapi(api_client: Client) -> None:
    schema = api_client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    props = schema["CheckoutOrderIn"]["properties"]
    assert "not an opt-out" in props["marketing_email"]["description"]
    assert (
        "Do not email me about products related to my purchase"
        in (props["marketing_opt_out"]["description"])
    )
    assert props["marketing_opt_out"]["default"] is False
