"""POST /api/v1/tax/quote, the contract endpoint of DESIGN.md, over HTTP (TOS-11, TOS-12)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

URL = "/api/v1/tax/quote"

DESIGN_EXAMPLE: dict[str, Any] = {
    "date": "2026-03-01",
    "province": "ON",
    "lines": [{"unit_price": "199.00", "quantity": 2}],
    "shipping": "0.00",
    "bc_pst_number": None,
}


def post(client: Client, body: Any, *, raw: bool = False) -> tuple[int, dict[str, Any]]:
    response = client.post(
        URL, data=body if raw else json.dumps(body), content_type="application/json"
    )
    return response.status_code, response.json()


def with_changes(**changes: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(DESIGN_EXAMPLE))
    body.update(changes)
    return body


def without(key: str) -> dict[str, Any]:
    body = with_changes()
    del body[key]
    return body


def line(**changes: Any) -> dict[str, Any]:
    return with_changes(lines=[{"unit_price": "199.00", "quantity": 2, **changes}])


def line_without(key: str) -> dict[str, Any]:
    item = {"unit_price": "199.00", "quantity": 2}
    del item[key]
    return with_changes(lines=[item])


@pytest.mark.promise("TOS-11")
def test_the_design_example_answers_exactly_as_designed(api_client: Client) -> None:
    assert post(api_client, DESIGN_EXAMPLE) == (
        200,
        {
            "components": [{"code": "HST", "rate": "0.13", "amount": "51.74"}],
            "total_tax": "51.74",
            "subtotal": "398.00",
            "grand_total": "449.74",
        },
    )


@pytest.mark.promise("TOS-11")
def test_quebec_shows_gst_then_qst_with_its_five_place_rate(api_client: Client) -> None:
    body = with_changes(
        province="QC", shipping="15.00", lines=[{"unit_price": "100.00", "quantity": 1}]
    )
    assert post(api_client, body) == (
        200,
        {
            "components": [
                {"code": "GST", "rate": "0.05", "amount": "5.75"},
                {"code": "QST", "rate": "0.09975", "amount": "11.47"},
            ],
            "total_tax": "17.22",
            "subtotal": "115.00",
            "grand_total": "132.22",
        },
    )


@pytest.mark.promise("TOS-11")
def test_prince_edward_island_2012_charges_pst_on_price_plus_gst(api_client: Client) -> None:
    body = with_changes(
        date="2012-07-01", province="PE", lines=[{"unit_price": "50.14", "quantity": 1}]
    )
    assert post(api_client, body) == (
        200,
        {
            "components": [
                {"code": "GST", "rate": "0.05", "amount": "2.51"},
                {"code": "PST", "rate": "0.10", "amount": "5.27"},
            ],
            "total_tax": "7.78",
            "subtotal": "50.14",
            "grand_total": "57.92",
        },
    )


@pytest.mark.promise("TOS-11")
def test_shipping_is_optional_and_taxed_when_given_and_discount_comes_off_first(
    api_client: Client,
) -> None:
    status, body = post(api_client, without("shipping"))
    assert (status, body["total_tax"]) == (200, "51.74")
    status, body = post(api_client, with_changes(shipping="12.00", discount="10.00"))
    assert (status, body["subtotal"], body["total_tax"], body["grand_total"]) == (
        200,
        "400.00",
        "52.00",
        "452.00",
    )


@pytest.mark.promise("TOS-12")
def test_bc_order_with_a_pst_number_pays_gst_but_no_pst(api_client: Client) -> None:
    for number in ("PST-1234-5678", "12345678"):
        assert post(api_client, with_changes(province="BC", bc_pst_number=number)) == (
            200,
            {
                "components": [{"code": "GST", "rate": "0.05", "amount": "19.90"}],
                "total_tax": "19.90",
                "subtotal": "398.00",
                "grand_total": "417.90",
            },
        )
    status, body = post(api_client, with_changes(province="BC"))
    assert (status, body["components"]) == (
        200,
        [
            {"code": "GST", "rate": "0.05", "amount": "19.90"},
            {"code": "PST", "rate": "0.07", "amount": "27.86"},
        ],
    )


@pytest.mark.promise("TOS-12")
def test_a_bc_pst_number_on_an_ontario_order_is_checked_but_changes_nothing(
    api_client: Client,
) -> None:
    status, body = post(api_client, with_changes(bc_pst_number="PST-1234-5678"))
    assert (status, body["total_tax"]) == (200, "51.74")


# (case, body, error code, field key). A str body is sent as it is; anything else as JSON.
# fmt: off
BAD_INPUTS = [
    ("unknown province", with_changes(province="XX"), "unknown_province", "province"),
    ("lower-case province", with_changes(province="on"), "unknown_province", "province"),
    ("province as a number", with_changes(province=5), "invalid", "province"),
    ("missing province", without("province"), "invalid", "province"),
    ("date before 2006", with_changes(date="2005-12-31"), "date_before_rate_data", "date"),
    ("date not a date", with_changes(date="yesterday"), "invalid", "date"),
    ("date impossible", with_changes(date="2026-02-30"), "invalid", "date"),
    ("date as a number", with_changes(date=20260301), "invalid", "date"),
    ("date with a time", with_changes(date="2026-03-01T10:00:00"), "invalid", "date"),
    ("missing date", without("date"), "invalid", "date"),
    ("missing lines", without("lines"), "invalid", "lines"),
    ("empty lines", with_changes(lines=[]), "invalid", "lines"),
    ("lines not a list", with_changes(lines="199.00"), "invalid", "lines"),
    ("line not an object", with_changes(lines=["199.00"]), "invalid", "lines.0"),
    ("negative price", line(unit_price="-1.00"), "invalid", "lines.0.unit_price"),
    ("non-numeric price", line(unit_price="abc"), "invalid", "lines.0.unit_price"),
    ("price as a JSON number", line(unit_price=199.0), "invalid", "lines.0.unit_price"),
    ("price as a JSON integer", line(unit_price=199), "invalid", "lines.0.unit_price"),
    ("price with three places", line(unit_price="199.001"), "invalid", "lines.0.unit_price"),
    ("price NaN", line(unit_price="NaN"), "invalid", "lines.0.unit_price"),
    ("price in exponent form", line(unit_price="1e2"), "invalid", "lines.0.unit_price"),
    ("price absurdly large", line(unit_price="1" + "0" * 40), "invalid", "lines.0.unit_price"),
    ("missing price", line_without("unit_price"), "invalid", "lines.0.unit_price"),
    ("quantity zero", line(quantity=0), "invalid", "lines.0.quantity"),
    ("quantity negative", line(quantity=-1), "invalid", "lines.0.quantity"),
    ("quantity fractional", line(quantity=1.5), "invalid", "lines.0.quantity"),
    ("quantity as a string", line(quantity="2"), "invalid", "lines.0.quantity"),
    ("quantity true", line(quantity=True), "invalid", "lines.0.quantity"),
    ("quantity huge", line(quantity=10**30), "invalid", "lines.0.quantity"),
    ("missing quantity", line_without("quantity"), "invalid", "lines.0.quantity"),
    ("negative shipping", with_changes(shipping="-5.00"), "invalid", "shipping"),
    ("shipping with three places", with_changes(shipping="5.555"), "invalid", "shipping"),
    ("shipping as a number", with_changes(shipping=5), "invalid", "shipping"),
    ("shipping null", with_changes(shipping=None), "invalid", "shipping"),
    ("discount over the lines", with_changes(discount="398.01"),
     "discount_exceeds_lines", "discount"),
    ("bad BC PST number", with_changes(province="BC", bc_pst_number="PST-123"),
     "invalid_bc_pst_number", "bc_pst_number"),
    ("BC PST number as a number", with_changes(bc_pst_number=12345678),
     "invalid", "bc_pst_number"),
    ("unknown field (typo)", with_changes(shiping="9.00"), "invalid", "shiping"),
    ("unknown line field", line(colour="oak"), "invalid", "lines.0.colour"),
    ("not JSON", "province=ON", "malformed_json", "body"),
    ("truncated JSON", '{"date": "2026-03-01", ', "malformed_json", "body"),
    ("JSON array", "[]", "invalid", "body"),
    ("JSON string", '"ON"', "invalid", "body"),
    ("empty body", "", "invalid", "body"),
]
# fmt: on


@pytest.mark.promise("TOS-11")
@pytest.mark.parametrize(
    ("body", "code", "field"),
    [pytest.param(body, code, field, id=case) for case, body, code, field in BAD_INPUTS],
)
def test_bad_input_is_a_400_with_the_error_body_naming_the_field(
    api_client: Client, body: Any, code: str, field: str
) -> None:
    status, answer = post(api_client, body, raw=isinstance(body, str))
    assert status == 400
    assert set(answer) == {"error"}
    assert answer["error"]["code"] == code
    assert field in answer["error"]["fields"]
    assert answer["error"]["message"]


def test_a_json_number_for_an_amount_is_refused_with_a_message_saying_so(
    api_client: Client,
) -> None:
    status, answer = post(api_client, with_changes(shipping=9.5))
    assert status == 400
    assert answer["error"]["fields"] == {
        "shipping": 'must be a decimal string such as "199.00", not a JSON number'
    }


def test_the_openapi_document_describes_the_quote_with_an_example(api_client: Client) -> None:
    document = api_client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/tax/quote"]["post"]
    description = " ".join(operation["description"].split())
    assert "rounded half-up to the cent once" in description
    assert "price plus GST" in description
    schemas = document["components"]["schemas"]
    assert schemas["QuoteIn"]["example"] == DESIGN_EXAMPLE
    assert schemas["QuoteIn"]["properties"]["date"]["format"] == "date"
    assert "taxed" in schemas["QuoteIn"]["properties"]["shipping"]["description"]
