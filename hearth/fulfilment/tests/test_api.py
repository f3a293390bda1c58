"""The contract endpoints of DESIGN.md, driven over HTTP, bad input included."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from hearth.fulfilment.models import KnownForwarder

ESTIMATE = "/api/v1/fulfilment/estimate"
ADDRESS = "/api/v1/fulfilment/address-check"
PO_BOX_MESSAGE = (
    "We cannot deliver to a post office box (PO Box, case postale). Please give a street "
    "address where someone can receive the parcel."
)


def post(client: Client, url: str, body: Any) -> tuple[int, Any]:
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(url, data=data, content_type="application/json")
    return response.status_code, response.json()


# --- estimate -----------------------------------------------------------------------------


@pytest.mark.promise("TOS-13", "TOS-14")
def test_estimate_answers_the_design_example(client: Client) -> None:
    status, body = post(client, ESTIMATE, {
        "placed_at": "2026-03-06T11:59:59-05:00",
        "payment_confirmed_at": "2026-03-06T11:59:59-05:00",
        "method": "standard",
    })  # fmt: skip
    assert status == 200
    assert body == {
        "ship_date": "2026-03-06",
        "delivery_earliest": "2026-03-10",
        "delivery_latest": "2026-03-11",
        "method": "standard",
        "shipping_fee": "0.00",
        "cutoff": "2026-03-06T12:00:00-05:00",
        "payment_confirmation_assumed": False,
    }


@pytest.mark.promise("TOS-13", "TOS-18")
def test_estimate_at_noon_eastern_ships_next_business_day(client: Client) -> None:
    status, body = post(client, ESTIMATE, {
        "placed_at": "2026-03-06T17:00:00Z", "payment_confirmed_at": None, "method": "standard"
    })  # fmt: skip
    assert status == 200
    assert (body["ship_date"], body["delivery_earliest"], body["delivery_latest"]) == (
        "2026-03-09",
        "2026-03-11",
        "2026-03-12",
    )
    assert body["payment_confirmation_assumed"] is True


@pytest.mark.promise("TOS-18")
def test_estimate_over_christmas_skips_holidays_and_weekend(client: Client) -> None:
    status, body = post(client, ESTIMATE, {
        "placed_at": "2026-12-24T09:00:00-08:00", "method": "standard"
    })  # fmt: skip
    assert status == 200
    assert (body["ship_date"], body["delivery_earliest"], body["delivery_latest"]) == (
        "2026-12-29",
        "2026-12-31",
        "2027-01-04",
    )


@pytest.mark.promise("TOS-2")
def test_estimate_for_express_shows_its_fee(client: Client) -> None:
    status, body = post(client, ESTIMATE, {
        "placed_at": "2026-03-06T11:00:00-05:00", "payment_confirmed_at": None, "method": "express"
    })  # fmt: skip
    assert status == 200
    assert (body["shipping_fee"], body["delivery_earliest"], body["delivery_latest"]) == (
        "24.95",
        "2026-03-09",
        "2026-03-09",
    )


GOOD = {
    "placed_at": "2026-03-06T11:59:59-05:00",
    "payment_confirmed_at": None,
    "method": "standard",
}

# (body, expected status, expected error code, expected field)
BAD_ESTIMATES = [
    ({**GOOD, "placed_at": "2026-03-06T11:59:59"}, "naive_timestamp", "placed_at"),
    ({**GOOD, "placed_at": "2026-03-06"}, "naive_timestamp", "placed_at"),
    ({**GOOD, "payment_confirmed_at": "2026-03-06T12:00:00"}, "naive_timestamp",
     "payment_confirmed_at"),
    ({**GOOD, "payment_confirmed_at": "2026-03-06T11:00:00-05:00"}, "payment_before_placement",
     "payment_confirmed_at"),
    ({**GOOD, "placed_at": "9999-12-31T23:59:59-05:00"}, "timestamp_out_of_range", "placed_at"),
    ({**GOOD, "method": "pigeon"}, "unknown_method", "method"),
    ({**GOOD, "placed_at": 1772816399}, "invalid", "placed_at"),
    ({**GOOD, "placed_at": "1772816399"}, "invalid", "placed_at"),
    ({**GOOD, "placed_at": "next friday"}, "invalid", "placed_at"),
    ({**GOOD, "placed_at": "2026-03-06T11:59:59+25:00"}, "invalid", "placed_at"),
    ({**GOOD, "placed_at": None}, "invalid", "placed_at"),
    ({**GOOD, "payment_confirmed_at": ["2026-03-06T11:59:59-05:00"]}, "invalid",
     "payment_confirmed_at"),
    ({**GOOD, "method": 1}, "invalid", "method"),
    ({**GOOD, "method": "x" * 33}, "invalid", "method"),
    ({"payment_confirmed_at": None, "method": "standard"}, "invalid", "placed_at"),
    ({"placed_at": "2026-03-06T11:59:59-05:00"}, "invalid", "method"),
    ({**GOOD, "placedAt": "2026-03-06T11:59:59-05:00"}, "invalid", "placedAt"),
    ([GOOD], "invalid", "body"),
    ("{not json", "malformed_json", "body"),
    ("", "invalid", "body"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "code", "field"), BAD_ESTIMATES)
def test_estimate_refuses_bad_input_with_400_naming_the_field(
    client: Client, body: Any, code: str, field: str
) -> None:
    status, answer = post(client, ESTIMATE, body)
    assert status == 400
    assert answer["error"]["code"] == code
    assert field in answer["error"]["fields"]
    assert answer["error"]["message"]


# --- address-check ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.promise("TOS-17")
def test_address_check_answers_the_design_example(client: Client) -> None:
    status, body = post(client, ADDRESS, {
        "lines": ["PO Box 123"], "city": "Ottawa", "province": "ON", "postal_code": "K1A 0B1",
        "country": "CA",
    })  # fmt: skip
    assert status == 200
    assert body == {
        "accepted": False,
        "problems": [{"code": "po_box", "field": "lines", "message": PO_BOX_MESSAGE}],
        "normalised": {
            "lines": ["PO Box 123"],
            "city": "Ottawa",
            "province": "ON",
            "postal_code": "K1A 0B1",
            "country": "CA",
        },
    }


@pytest.mark.django_db
def test_address_check_accepts_and_normalises_a_street_address(client: Client) -> None:
    status, body = post(client, ADDRESS, {
        "lines": ["1 rue Hôtel-Dieu ", ""], "city": " Montréal", "province": "qc",
        "postal_code": "h2w1t8", "country": "ca",
    })  # fmt: skip
    assert status == 200
    assert body == {
        "accepted": True,
        "problems": [],
        "normalised": {
            "lines": ["1 rue Hôtel-Dieu"],
            "city": "Montréal",
            "province": "QC",
            "postal_code": "H2W 1T8",
            "country": "CA",
        },
    }


@pytest.mark.django_db
@pytest.mark.promise("TOS-16")
def test_address_outside_canada_is_directed_to_customer_care(client: Client) -> None:
    status, body = post(client, ADDRESS, {
        "lines": ["10 Downing St"], "city": "London", "province": "", "postal_code": "SW1A 2AA",
        "country": "GB",
    })  # fmt: skip
    assert status == 200
    assert body["accepted"] is False
    assert body["problems"] == [
        {
            "code": "outside_service_region",
            "field": "country",
            "message": (
                "We sell online for delivery in Canada only. To order for delivery outside "
                "Canada, please contact customer care. Customer care: care@example.com, "
                "1-800-555-0199."
            ),
        }
    ]


@pytest.mark.django_db
@pytest.mark.promise("TOS-17")
def test_address_at_a_forwarder_added_by_staff_is_refused(client: Client) -> None:
    KnownForwarder.objects.create(line="77 Parcel Depot Road", postal_code="m9w5l7")
    status, body = post(client, ADDRESS, {
        "lines": ["77 Parcel Depot Rd, Unit 880"], "city": "Toronto", "province": "ON",
        "postal_code": "M9W 5L7", "country": "CA",
    })  # fmt: skip
    assert status == 200
    assert [(p["code"], p["field"]) for p in body["problems"]] == [("freight_forwarder", "lines")]


@pytest.mark.django_db
@pytest.mark.promise("TOS-17")
def test_address_problems_are_answered_200_with_each_reason(client: Client) -> None:
    status, body = post(client, ADDRESS, {
        "lines": ["C.P. 456", "Hôtel Le Germain"], "city": "", "province": "ON",
        "postal_code": "V6B 1A1", "country": "CA",
    })  # fmt: skip
    assert status == 200
    assert [(p["code"], p["field"]) for p in body["problems"]] == [
        ("missing_field", "city"),
        ("postal_code_province_mismatch", "postal_code"),
        ("po_box", "lines"),
        ("hotel", "lines"),
    ]


ADDRESS_GOOD = {
    "lines": ["1 Main St"],
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "K2P 1L4",
    "country": "CA",
}
BAD_ADDRESSES = [
    ({**ADDRESS_GOOD, "lines": "PO Box 123"}, "invalid", "lines"),
    ({**ADDRESS_GOOD, "lines": [1]}, "invalid", "lines.0"),
    ({**ADDRESS_GOOD, "lines": [None]}, "invalid", "lines.0"),
    ({**ADDRESS_GOOD, "lines": ["x" * 101]}, "invalid", "lines.0"),
    ({**ADDRESS_GOOD, "lines": ["a", "b", "c", "d", "e", "f"]}, "invalid", "lines"),
    ({**ADDRESS_GOOD, "city": 7}, "invalid", "city"),
    ({**ADDRESS_GOOD, "province": None}, "invalid", "province"),
    ({**ADDRESS_GOOD, "postal_code": "K" * 17}, "invalid", "postal_code"),
    ({**ADDRESS_GOOD, "country": ["CA"]}, "invalid", "country"),
    ({k: v for k, v in ADDRESS_GOOD.items() if k != "city"}, "invalid", "city"),
    ({k: v for k, v in ADDRESS_GOOD.items() if k != "lines"}, "invalid", "lines"),
    ({**ADDRESS_GOOD, "zip": "K2P 1L4"}, "invalid", "zip"),
    ("[1, 2", "malformed_json", "body"),
    ("null", "invalid", "body"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "code", "field"), BAD_ADDRESSES)
def test_address_check_refuses_malformed_body_with_400_naming_the_field(
    client: Client, body: Any, code: str, field: str
) -> None:
    status, answer = post(client, ADDRESS, body)
    assert status == 400
    assert answer["error"]["code"] == code
    assert field in answer["error"]["fields"]


def test_contract_endpoints_are_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {ESTIMATE, ADDRESS} <= set(paths)


# --- never a 500 --------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "2026-03-06T11:59:59-05:00",
            "2026-03-06T11:59:59",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "standard",
            "express",
            "CA",
            "K1A 0B1",
            "ON",
        ]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
    max_leaves=6,
)
ESTIMATE_BODIES = st.fixed_dictionaries(
    {},
    optional={"placed_at": VALUES, "payment_confirmed_at": VALUES, "method": VALUES},
)
ADDRESS_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "lines": VALUES | st.lists(st.text(max_size=120), max_size=6),
        "city": VALUES,
        "province": VALUES,
        "postal_code": VALUES,
        "country": VALUES,
    },
)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None)
@given(body=ESTIMATE_BODIES | VALUES)
def test_estimate_never_answers_500(body: Any) -> None:
    status, answer = post(Client(), ESTIMATE, body if not isinstance(body, str) else [body])
    assert status in {200, 400}
    assert ("error" in answer) is (status == 400)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None)
@given(body=ADDRESS_BODIES | VALUES)
def test_address_check_never_answers_500(body: Any) -> None:
    status, answer = post(Client(), ADDRESS, body if not isinstance(body, str) else [body])
    assert status in {200, 400}
    assert ("error" in answer) is (status == 400)
