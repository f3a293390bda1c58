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
    ("POST", "/accounts/signin"): "email",
    ("PATCH", "/accounts/me"): "full_name",
    ("POST", "/accounts/me/addresses"): "lines.0",
    ("PATCH", "/accounts/me/addresses/{address_id}"): "label",
    ("POST", "/tax/quote"): "province",
    ("POST", "/fulfilment/estimate"): "method",
    ("POST", "/fulfilment/address-check"): "city",
    ("POST", "/aftersales/eligibility"): "channel",
    ("POST", "/privacy/me/consents"): "purpose",
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
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


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
    return BASE + (op.path or key[1].format(address_id=w.address_id, household_id=w.household_id))


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
