"""Every bad input is a clear 4xx, on SQLite and PostgreSQL alike (issue #10, items 16 to 18).

A NUL character is refused in one place, hearth/core/middleware.py, before any view or database
sees it: in every API body (checked here against every operation of the authorisation matrix),
in the query string, in the path and in HTML forms. Gzip telemetry is checked once decompressed.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from hearth.accounts.models import User
from hearth.core import clock
from hearth.core.tests import test_api_authorisation as matrix
from hearth.core.tests.test_api_authorisation import (
    AT,
    BASE,
    HH,
    OPERATIONS,
    World,
    right_principal,
)
from hearth.devices.models import TelemetryEvent

# The authorisation matrix's world (every principal, real rows) and its fast password hashing.
world = matrix.world
fast_passwords = matrix.fast_passwords

pytestmark = pytest.mark.django_db

NUL_REASON = "must not contain NUL characters"

# For each operation with a JSON body: the field that gets a NUL, as a dotted path.
NUL_FIELDS: dict[tuple[str, str], str] = {
    ("POST", "/accounts/signup"): "email",
    ("POST", "/accounts/verify-email"): "token",
    ("POST", "/accounts/signin"): "email",
    ("PATCH", "/accounts/me"): "full_name",
    ("POST", "/accounts/me/addresses"): "lines.0",
    ("PATCH", "/accounts/me/addresses/{address_id}"): "label",
    ("POST", "/tax/quote"): "province",
    ("POST", "/fulfilment/estimate"): "method",
    ("POST", "/fulfilment/address-check"): "city",
    ("POST", "/aftersales/eligibility"): "channel",
    ("POST", "/privacy/me/consents"): "purpose",
    ("POST", "/privacy/me/export"): "password",
    ("POST", "/privacy/me/erasure"): "password",
    ("POST", "/households"): "serials.0",
    ("POST", HH + "/products"): "serials.0",
    ("POST", HH + "/registration"): "postal_code",
    ("PUT", HH + "/tier"): "tier",
    ("POST", "/checkout/basket/lines"): "sku",
    ("POST", "/checkout/quote"): "lines.0.sku",
    ("POST", "/checkout/orders"): "shipping_address.city",
}
# Bodies without a string of their own; their NUL cases are below.
NO_STRING_BODY = {("POST", "/telemetry/batches"), ("PUT", "/checkout/basket/lines/{sku}")}


def rows() -> dict[str, int]:
    """Every table's row count: a refused request must leave them all as they were."""
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.managed}


def with_nul(body: Any, path: str) -> Any:
    """``body`` with a NUL inserted in the string at the dotted ``path``."""
    copy = json.loads(json.dumps(body))
    *parents, last = path.split(".")
    node = copy
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    node[key] = node[key][:1] + "\x00" + node[key][1:]
    return copy


def url_of(w: World, key: tuple[str, str]) -> str:
    op = OPERATIONS[key]
    return BASE + (
        op.path
        or key[1].format(address_id=w.address_id, household_id=w.household_id, serial="EO-A-1")
    )


def test_every_operation_with_a_body_has_a_nul_case() -> None:
    with_body = {key for key, op in OPERATIONS.items() if op.body is not None}
    assert with_body == set(NUL_FIELDS) | NO_STRING_BODY


@pytest.mark.parametrize("key", sorted(NUL_FIELDS), ids=lambda k: f"{k[0]} {k[1]}")
def test_a_nul_in_any_api_body_is_a_400_naming_the_field(world: World, key: Any) -> None:
    op = OPERATIONS[key]
    principal = right_principal(op)
    field = NUL_FIELDS[key]
    with clock.frozen(AT):
        body = with_nul(op.body(world, principal), field)  # type: ignore[misc]
        headers = op.headers(world, principal) if op.headers else {}
        before = rows()  # after the body: an order's body makes a payment token
        response = getattr(world.clients[principal], key[0].lower())(
            url_of(world, key), data=json.dumps(body), content_type="application/json",
            headers=headers,
        )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": f"Invalid input: {field}: {NUL_REASON}",
            "fields": {field: NUL_REASON},
        }
    }
    assert rows() == before


@pytest.mark.parametrize("key", sorted(OPERATIONS), ids=lambda k: f"{k[0]} {k[1]}")
def test_a_nul_in_the_query_string_is_a_400_naming_the_parameter(world: World, key: Any) -> None:
    principal = right_principal(OPERATIONS[key])
    before = rows()
    response = getattr(world.clients[principal], key[0].lower())(
        url_of(world, key) + "?colour=Bir%00ch"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"colour": NUL_REASON}
    assert rows() == before


@pytest.mark.parametrize(
    "path", ["/catalog/products/ember%00auth", "/checkout/basket/lines/EO%00AUTH"]
)
def test_a_nul_in_the_path_is_a_400(world: World, path: str) -> None:
    if "basket" in path:
        response = Client().put(
            BASE + path, data=json.dumps({"quantity": 1}), content_type="application/json"
        )
    else:
        response = Client().get(BASE + path)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": f"Invalid input: path: {NUL_REASON}",
        "fields": {"path": NUL_REASON},
    }


def test_a_nul_in_an_object_key_names_the_key(world: World) -> None:
    response = Client().post(
        f"{BASE}/tax/quote", data=b'{"date": "2026-03-01", "pro\\u0000vince": "ON"}',
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"pro\\0vince": NUL_REASON}


def test_an_escaped_backslash_before_u0000_is_not_a_nul(world: World) -> None:
    response = Client().post(
        f"{BASE}/fulfilment/address-check",
        data=rb'{"lines": ["12 Wellington \\u0000 Street"], "city": "Ottawa", "province": "ON",'
        rb' "postal_code": "K1A 0B1", "country": "CA"}',
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["accepted"] is True


def _batch(text: str) -> bytes:
    event = {
        "client_event_id": "e1",
        "device_ts": "2026-11-02T14:00:00Z",
        "type": "product_added",
        "serial": text,
    }
    return json.dumps({"events": [event]}).encode()


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_a_nul_in_telemetry_is_a_400_naming_the_event_field(world: World, gz: bool) -> None:
    body = _batch("EO-\x00-1")
    headers = {"Content-Encoding": "gzip"} if gz else {}
    with clock.frozen(AT):
        response = world.clients["device"].post(
            f"{BASE}/telemetry/batches",
            data=gzip.compress(body) if gz else body,
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == {"events.0.serial": NUL_REASON}
    assert TelemetryEvent.objects.count() == 0


def test_a_nul_in_an_html_form_is_a_400_page_naming_the_field(world: World) -> None:
    form = {
        "email": "nul@example.com",
        "full_name": "Ada\x00Lovelace",
        "password": "correct horse battery 42",
        "password_again": "correct horse battery 42",
        "adult_attestation": "on",
    }
    response = Client().post("/sign-up/", data=form)
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Invalid input: full_name: {NUL_REASON}" in page
    assert "<code>full_name</code>" in page
    assert not User.objects.filter(email="nul@example.com").exists()


def test_a_nul_in_an_html_query_is_a_400_page(world: World) -> None:
    response = Client().get("/shop/?colour=Bir%00ch")
    assert response.status_code == 400
    assert f"Invalid input: colour: {NUL_REASON}" in response.content.decode()


# --- item 17: bounds, nesting, size, and a bug's answer ------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=100000000000000000000", "offset"),
        ("offset=10001", "offset"),
        ("limit=101", "limit"),
    ],
)
def test_paging_beyond_its_bounds_is_a_400_naming_the_parameter(
    world: World, query: str, field: str
) -> None:
    response = Client().get(f"{BASE}/catalog/products?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == [field]


def test_the_last_allowed_offset_answers_an_empty_page(world: World) -> None:
    response = Client().get(f"{BASE}/catalog/products?offset=10000&limit=100")
    assert response.status_code == 200
    assert response.json()["products"] == []
    assert response.json()["count"] == 1


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_deeply_nested_telemetry_is_malformed_json_and_stores_nothing(
    world: World, depth: int
) -> None:
    body = b'{"events": [' + b"[" * depth + b"]" * depth + b"]}"
    with clock.frozen(AT):
        response = world.clients["device"].post(
            f"{BASE}/telemetry/batches", data=body, content_type="application/json"
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert TelemetryEvent.objects.count() == 0


def test_deeply_nested_json_elsewhere_is_malformed_json(world: World) -> None:
    body = b'{"province": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = Client().post(f"{BASE}/tax/quote", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.promise("TOS-11")
@pytest.mark.parametrize("path", ["/checkout/quote", "/tax/quote"])
def test_a_quote_names_a_bounded_number_of_lines(world: World, path: str) -> None:
    if path == "/tax/quote":
        line = {"unit_price": "1.00", "quantity": 1}
        body = {"date": "2026-03-01", "province": "ON", "lines": [line] * 501}
    else:
        body = {"province": "ON", "lines": [{"sku": f"EO-{i}", "quantity": 1} for i in range(51)]}
    response = Client().post(BASE + path, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["lines"]


TEN_MB = 10 * 1024 * 1024


@pytest.mark.parametrize("path", ["/tax/quote", "/telemetry/batches", "/accounts/signup"])
def test_a_10_mb_body_is_a_413_with_the_error_body(world: World, path: str) -> None:
    body = b'{"events": ["' + b"x" * TEN_MB + b'"]}'
    before = rows()
    response = world.clients["device"].post(BASE + path, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("too_large", ["body"])
    assert rows() == before


def test_a_10_mb_form_is_a_413_page(world: World) -> None:
    response = Client().post("/sign-up/", data={"full_name": "x" * TEN_MB})
    assert response.status_code == 413
    assert "This request is too large" in response.content.decode()


def test_a_bug_under_the_api_still_answers_the_json_error_body(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hearth.catalog import selectors

    def broken(**_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "catalogue", broken)
    response = Client(raise_request_exception=False).get(f"{BASE}/catalog/products")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "a bug" not in response.content.decode()


# --- item 18: strict types ------------------------------------------------------------------------

NOT_AN_INTEGER = ["1", False, True, 1.0, None]
NOT_A_BOOLEAN = ["true", 1, 0, "on", None]


@pytest.mark.parametrize("value", NOT_AN_INTEGER, ids=repr)
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/checkout/basket/lines", {"sku": "EO-AUTH-ONE"}, "quantity"),
        ("put", "/checkout/basket/lines/EO-AUTH-ONE", {}, "quantity"),
        ("post", "/checkout/quote", {"lines": [{"sku": "EO-AUTH-ONE"}]}, "lines.0.quantity"),
        ("post", "/tax/quote", {"date": "2026-03-01", "province": "ON",
                                "lines": [{"unit_price": "1.00"}]}, "lines.0.quantity"),
    ],
)  # fmt: skip
def test_a_quantity_must_be_a_json_integer(
    world: World, method: str, path: str, body: dict[str, Any], field: str, value: Any
) -> None:
    *parents, last = field.split(".")
    payload = json.loads(json.dumps(body))
    node: Any = payload
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value
    client = world.clients["customer"]
    before = client.get(f"{BASE}/checkout/basket").json()
    response = getattr(client, method)(
        BASE + path, data=json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == [field]
    assert client.get(f"{BASE}/checkout/basket").json() == before


@pytest.mark.parametrize("value", NOT_A_BOOLEAN, ids=repr)
def test_consent_is_a_json_boolean(world: World, value: Any) -> None:
    response = world.clients["customer"].post(
        f"{BASE}/privacy/me/consents",
        data=json.dumps({"purpose": "marketing_email", "granted": value}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["granted"]


@pytest.mark.promise("TOS-3")
@pytest.mark.parametrize("value", NOT_A_BOOLEAN, ids=repr)
@pytest.mark.parametrize(
    ("path", "field"),
    [("/accounts/signup", "adult_attestation"), ("/checkout/orders", "attestations.adult")],
)
def test_an_attestation_is_a_json_true_not_a_truthy_value(
    world: World, path: str, field: str, value: Any
) -> None:
    if path == "/accounts/signup":
        body: dict[str, Any] = {"email": "strict@example.com", "password": "x" * 12, field: value}
    else:
        with clock.frozen(AT):
            body = matrix._order(world, "anonymous")
        body["attestations"]["adult"] = value
    before = rows()
    response = Client().post(
        BASE + path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": "strict-types-1"},
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert rows() == before


def test_a_gzip_body_with_a_second_member_is_refused(world: World) -> None:
    first = gzip.compress(_batch("EO-A-1"))
    second = gzip.compress(_batch("EO-A-2"))
    with clock.frozen(AT):
        response = world.clients["device"].post(
            f"{BASE}/telemetry/batches",
            data=first + second,
            content_type="application/json",
            headers={"Content-Encoding": "gzip"},
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_gzip"
    assert list(response.json()["error"]["fields"]) == ["body"]
    assert TelemetryEvent.objects.count() == 0


def test_a_nul_in_the_idempotency_key_header_is_a_400_naming_it(world: World) -> None:
    with clock.frozen(AT):
        body = matrix._order(world, "anonymous")
        before = rows()
        response = Client().post(
            f"{BASE}/checkout/orders",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": "key-with-\x00-nul"},
        )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"Idempotency-Key": NUL_REASON}
    assert rows() == before


@pytest.mark.parametrize("path", [f"{BASE}/accounts/me", "/shop/"])
def test_a_nul_in_the_session_cookie_is_a_400_not_a_database_error(world: World, path: str) -> None:
    # Raw, as a client may send it (the test client's cookie jar would escape the NUL).
    response = Client().get(path, HTTP_COOKIE="sessionid=abcdefgh\x00ijklmnop")
    assert response.status_code == 400
    assert f"Cookie: {NUL_REASON}" in response.content.decode()
