"""POST /api/v1/aftersales/eligibility through HTTP: the contract, the dates, and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

URL = "/api/v1/aftersales/eligibility"

RETURN = {
    "kind": "return",
    "shipped_on": "2026-03-02",
    "retail_purchased_on": None,
    "requested_on": "2026-04-16",
    "channel": "web",
}
WARRANTY = {**RETURN, "kind": "warranty", "requested_on": "2026-09-15"}
EMPTY_EXTRAS = {
    "rma_arrival_deadline": None,
    "arrived_in_time": None,
    "refund_due_from": None,
    "refund_due_by": None,
    "advance_replacement_ship_by": None,
}


def post(client: Client, body: Any) -> Any:
    return client.post(URL, data=json.dumps(body), content_type="application/json")


@pytest.mark.promise("TOS-22")
def test_return_on_day_45_is_eligible_with_the_contract_fields(api_client: Client) -> None:
    response = post(api_client, RETURN)
    assert response.status_code == 200
    assert response.json() == {
        "eligible": True,
        "deadline": "2026-04-16",
        "reasons": [],
        "return_deadline": "2026-04-16",
        "warranty_end": "2027-03-02",
        **EMPTY_EXTRAS,
    }


@pytest.mark.promise("TOS-22")
def test_return_on_day_46_is_refused_with_reasons(api_client: Client) -> None:
    body = {
        **RETURN,
        "requested_on": "2026-04-17",
        "condition": "used",
        "original_packaging": False,
    }
    response = post(api_client, body)
    assert response.status_code == 200
    data = response.json()
    assert (data["eligible"], data["deadline"]) == (False, "2026-04-16")
    assert [r["code"] for r in data["reasons"]] == [
        "window_closed",
        "not_as_new",
        "missing_packaging",
    ]
    assert data["reasons"][1] == {
        "code": "not_as_new",
        "message": "A returned product must be new or as-new.",
        "promises": ["TOS-22"],
    }


@pytest.mark.promise("TOS-22")
def test_dealer_purchase_is_sent_to_the_dealer_for_returns(api_client: Client) -> None:
    response = post(api_client, {**RETURN, "channel": "dealer", "phone": "ignored extra"})
    assert response.status_code == 200
    data = response.json()
    assert (data["eligible"], data["deadline"], data["return_deadline"]) == (False, None, None)
    assert [r["code"] for r in data["reasons"]] == ["not_direct_purchase"]
    assert "dealer" in data["reasons"][0]["message"]


@pytest.mark.promise("TOS-22")
@pytest.mark.promise("TOS-24")
def test_eligible_return_answers_arrival_deadline_and_refund_window(api_client: Client) -> None:
    body = {
        **RETURN,
        "channel": "phone",
        "requested_on": "2026-12-10",
        "shipped_on": "2026-11-20",
        "rma_issued_on": "2026-12-11",
        "received_on": "2026-12-23",
        "condition": "as_new",
        "original_packaging": True,
    }
    response = post(api_client, body)
    assert response.status_code == 200
    assert response.json() == {
        "eligible": True,
        "deadline": "2027-01-04",
        "reasons": [],
        "return_deadline": "2027-01-04",
        "warranty_end": "2027-11-20",
        "rma_arrival_deadline": "2026-12-25",
        "arrived_in_time": True,
        "refund_due_from": "2027-01-11",
        "refund_due_by": "2027-01-18",
        "advance_replacement_ship_by": None,
    }


@pytest.mark.promise("TOS-23")
@pytest.mark.parametrize(
    ("requested_on", "eligible"), [("2025-02-28", True), ("2025-03-01", False)]
)
def test_warranty_from_the_leap_day_ends_on_28_february(
    api_client: Client, requested_on: str, eligible: bool
) -> None:
    body = {**WARRANTY, "shipped_on": "2024-02-29", "requested_on": requested_on}
    data = post(api_client, body).json()
    assert (data["eligible"], data["deadline"], data["warranty_end"]) == (
        eligible,
        "2025-02-28",
        "2025-02-28",
    )


@pytest.mark.promise("TOS-23")
@pytest.mark.promise("TOS-24")
def test_dealer_warranty_runs_from_retail_purchase_and_ignores_owner_and_repairs(
    api_client: Client,
) -> None:
    body = {
        **WARRANTY,
        "channel": "dealer",
        "shipped_on": "2026-01-10",
        "retail_purchased_on": "2026-06-20",
        "requested_on": "2027-06-18",
        "owner_changed": True,
        "repairs": 2,
    }
    response = post(api_client, body)
    assert response.status_code == 200
    assert response.json() == {
        "eligible": True,
        "deadline": "2027-06-20",
        "reasons": [],
        "return_deadline": None,
        "warranty_end": "2027-06-20",
        **EMPTY_EXTRAS,
        "advance_replacement_ship_by": "2027-06-22",
    }
    late = post(api_client, {**body, "requested_on": "2027-06-21"}).json()
    assert [r["code"] for r in late["reasons"]] == ["window_closed"]


@pytest.mark.promise("TOS-23")
def test_warranty_exclusions_come_back_as_reasons(api_client: Client) -> None:
    body = {**WARRANTY, "exclusions": ["housing_opened", "serial_missing_or_altered"]}
    data = post(api_client, body).json()
    assert data["eligible"] is False
    assert [(r["code"], r["promises"]) for r in data["reasons"]] == [
        ("housing_opened", ["TOS-23"]),
        ("serial_missing_or_altered", ["TOS-23"]),
    ]
    assert data["advance_replacement_ship_by"] is None


@pytest.mark.promise("TOS-23")
def test_dealer_warranty_without_retail_date_asks_for_it(api_client: Client) -> None:
    data = post(api_client, {**WARRANTY, "channel": "dealer"}).json()
    assert (data["eligible"], data["deadline"]) == (False, None)
    assert [r["code"] for r in data["reasons"]] == ["retail_purchase_date_required"]


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in RETURN.items() if k != key}


BAD_INPUT = [
    # (body, status, error code, field key)
    (_without("kind"), 400, "invalid", "kind"),
    (_without("shipped_on"), 400, "invalid", "shipped_on"),
    (_without("requested_on"), 400, "invalid", "requested_on"),
    (_without("channel"), 400, "invalid", "channel"),
    ({**RETURN, "kind": "exchange"}, 400, "invalid", "kind"),
    ({**RETURN, "kind": 5}, 400, "invalid", "kind"),
    ({**RETURN, "channel": "mail"}, 400, "invalid", "channel"),
    ({**RETURN, "channel": None}, 400, "invalid", "channel"),
    ({**RETURN, "shipped_on": "2026/03/02"}, 400, "invalid", "shipped_on"),
    ({**RETURN, "shipped_on": "02-03-2026"}, 400, "invalid", "shipped_on"),
    ({**RETURN, "shipped_on": "20260302"}, 400, "invalid", "shipped_on"),
    ({**RETURN, "shipped_on": "2026-03-02T10:00:00"}, 400, "invalid", "shipped_on"),
    ({**RETURN, "shipped_on": "2026-02-30"}, 400, "invalid", "shipped_on"),
    ({**RETURN, "shipped_on": "2025-02-29"}, 400, "invalid", "shipped_on"),
    ({**RETURN, "shipped_on": 20260302}, 400, "invalid", "shipped_on"),
    ({**RETURN, "shipped_on": None}, 400, "invalid", "shipped_on"),
    ({**RETURN, "requested_on": ""}, 400, "invalid", "requested_on"),
    ({**RETURN, "retail_purchased_on": "yesterday"}, 400, "invalid", "retail_purchased_on"),
    ({**RETURN, "rma_issued_on": "2026-13-01"}, 400, "invalid", "rma_issued_on"),
    ({**RETURN, "received_on": ["2026-04-20"]}, 400, "invalid", "received_on"),
    ({**RETURN, "condition": "mint"}, 400, "invalid", "condition"),
    ({**RETURN, "original_packaging": "yes"}, 400, "invalid", "original_packaging"),
    ({**RETURN, "original_packaging": 1}, 400, "invalid", "original_packaging"),
    ({**RETURN, "exclusions": "accident"}, 400, "invalid", "exclusions"),
    ({**RETURN, "exclusions": ["fire"]}, 400, "invalid", "exclusions.0"),
    ({**RETURN, "owner_changed": "true"}, 400, "invalid", "owner_changed"),
    ({**RETURN, "repairs": -1}, 400, "invalid", "repairs"),
    ({**RETURN, "repairs": 1.5}, 400, "invalid", "repairs"),
    ({**RETURN, "repairs": "2"}, 400, "invalid", "repairs"),
    # dates that parse but cannot belong to one claim
    ({**RETURN, "requested_on": "2026-03-01"}, 400, "dates_out_of_order", "requested_on"),
    (
        {**RETURN, "channel": "dealer", "retail_purchased_on": "2026-04-17"},
        400,
        "dates_out_of_order",
        "retail_purchased_on",
    ),
    (
        {**RETURN, "channel": "dealer", "retail_purchased_on": "2026-03-01"},
        400,
        "dates_out_of_order",
        "retail_purchased_on",
    ),
    (
        {**RETURN, "retail_purchased_on": "2026-03-05"},
        400,
        "retail_date_not_dealer",
        "retail_purchased_on",
    ),
    ({**RETURN, "shipped_on": "2005-12-31"}, 400, "date_out_of_range", "shipped_on"),
    ({**RETURN, "shipped_on": "9999-12-31"}, 400, "date_out_of_range", "shipped_on"),
    ({**RETURN, "requested_on": "2100-01-01"}, 400, "date_out_of_range", "requested_on"),
    ({**RETURN, "rma_issued_on": "2026-04-15"}, 400, "dates_out_of_order", "rma_issued_on"),
    (
        {**RETURN, "rma_issued_on": "2026-04-17", "received_on": "2026-04-16"},
        400,
        "dates_out_of_order",
        "received_on",
    ),
    # bodies that are JSON but not an object
    ([1, 2], 400, "invalid", "kind"),
    ("return", 400, "invalid", "kind"),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), BAD_INPUT)
def test_bad_input_is_a_4xx_error_body_naming_the_field(
    api_client: Client, body: Any, status: int, code: str, field: str
) -> None:
    response = post(api_client, body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert field in error["fields"]
    assert error["message"]


@pytest.mark.parametrize("raw", ["not json", "{", '{"kind": "return",}'])
def test_non_json_body_is_a_400_malformed_json(api_client: Client, raw: str) -> None:
    response = api_client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "malformed_json",
            "message": "The request body is not valid JSON.",
            "fields": {"body": "Send a JSON object."},
        }
    }


def test_empty_body_is_a_400(api_client: Client) -> None:
    response = api_client.post(URL, data="", content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]


def test_date_format_error_says_how_to_write_the_date(api_client: Client) -> None:
    response = post(api_client, {**RETURN, "shipped_on": "2026/03/02"})
    assert response.json()["error"]["fields"] == {
        "shipped_on": "must be a date written as YYYY-MM-DD, such as 2026-03-01"
    }


def test_domain_error_names_the_field_with_its_message(api_client: Client) -> None:
    response = post(api_client, {**RETURN, "requested_on": "2026-03-01"})
    assert response.json() == {
        "error": {
            "code": "dates_out_of_order",
            "message": "The request date cannot be before the shipment date.",
            "fields": {"requested_on": "The request date cannot be before the shipment date."},
        }
    }


def test_openapi_documents_the_endpoint_with_day_counting_and_leap_day(
    api_client: Client,
) -> None:
    document = api_client.get("/api/v1/openapi.json").json()
    operation = document["paths"][URL]["post"]
    assert "Leap day" in operation["description"]
    assert "2025-02-28" in operation["description"]
    schema = document["components"]["schemas"]["EligibilityIn"]
    assert set(schema["required"]) == {"kind", "requested_on", "channel"}
    assert {"type": "string", "format": "date"} in schema["properties"]["shipped_on"]["anyOf"]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
_DATES = st.dates().map(str) | st.text(max_size=12) | _JSON


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "kind": st.sampled_from(["return", "warranty"]) | _JSON,
            "channel": st.sampled_from(["web", "phone", "dealer"]) | _JSON,
            "shipped_on": _DATES,
            "requested_on": _DATES,
            "retail_purchased_on": _DATES,
            "rma_issued_on": _DATES,
            "received_on": _DATES,
            "condition": st.sampled_from(["new", "as_new", "used", "damaged"]) | _JSON,
            "original_packaging": _JSON,
            "exclusions": st.lists(st.sampled_from(["accident", "housing_opened"])) | _JSON,
            "owner_changed": _JSON,
            "repairs": _JSON,
        },
    )
)
def test_no_input_is_ever_a_500(body: dict[str, Any]) -> None:
    response = post(Client(), body)
    assert response.status_code in {200, 400}
    data = response.json()
    assert ("eligible" in data) if response.status_code == 200 else data["error"]["fields"]


@pytest.mark.promise("TOS-23")
def test_dealer_warranty_claim_without_shipment_date_is_answered(api_client: Client) -> None:
    body = {
        "kind": "warranty",
        "channel": "dealer",
        "shipped_on": None,
        "retail_purchased_on": "2026-05-10",
        "requested_on": "2027-05-10",
    }
    response = post(api_client, body)
    assert response.status_code == 200
    data = response.json()
    assert (data["eligible"], data["deadline"], data["warranty_end"]) == (
        True,
        "2027-05-10",
        "2027-05-10",
    )
    assert data["return_deadline"] is None
    assert data["advance_replacement_ship_by"] == "2027-05-12"


@pytest.mark.promise("TOS-23")
def test_dealer_claim_may_leave_out_the_shipment_date(api_client: Client) -> None:
    body = {
        "kind": "warranty",
        "channel": "dealer",
        "retail_purchased_on": "2026-05-10",
        "requested_on": "2027-05-11",
    }
    response = post(api_client, body)
    assert response.status_code == 200
    assert [r["code"] for r in response.json()["reasons"]] == ["window_closed"]


@pytest.mark.promise("TOS-22")
def test_dealer_return_without_shipment_date_is_sent_to_the_dealer(api_client: Client) -> None:
    body = {"kind": "return", "channel": "dealer", "shipped_on": None, "requested_on": "2026-05-10"}
    response = post(api_client, body)
    assert response.status_code == 200
    data = response.json()
    assert (data["eligible"], data["deadline"]) == (False, None)
    assert [r["code"] for r in data["reasons"]] == ["not_direct_purchase"]


@pytest.mark.parametrize("channel", ["web", "phone"])
def test_direct_purchase_without_shipment_date_is_refused_naming_the_field(
    api_client: Client, channel: str
) -> None:
    response = post(api_client, {**WARRANTY, "channel": channel, "shipped_on": None})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "dealer" in error["fields"]["shipped_on"]
