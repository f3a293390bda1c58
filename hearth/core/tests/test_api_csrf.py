"""Session-cookie API calls that change state check CSRF (issue #10, item 22).

Every state-changing operation of the authorisation matrix is sent from a signed-in browser
session with Django's CSRF checks enforced: without the token it answers 403 ``csrf_failed`` and
changes nothing; with the token from ``GET /api/v1/csrf`` it gets the status the matrix expects.
Device and partner calls (``Authorization: Bearer``) need no token.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hearth.accounts.models import User
from hearth.core import clock
from hearth.core.tests import test_api_authorisation as matrix
from hearth.core.tests.test_api_authorisation import (
    AT,
    BASE,
    OPERATIONS,
    PASSWORD,
    World,
    expected_for,
    right_principal,
)
from hearth.core.tests.test_bad_input import rows
from hearth.devices.models import Household

pytestmark = pytest.mark.django_db

world = matrix.world
fast_passwords = matrix.fast_passwords

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# The operations a signed-in browser session may call and that change something.
SESSION_WRITES = sorted(
    key
    for key, op in OPERATIONS.items()
    if key[0] in UNSAFE and op.access not in {"device_token", "household", "partner_token"}
)


def browser_for(w: World, principal: str) -> Client:
    """The principal's session, in a client that enforces CSRF as a browser's server would."""
    client = Client(enforce_csrf_checks=True)
    session_cookie = w.clients[principal].cookies.get("sessionid")
    if session_cookie is not None:
        client.cookies["sessionid"] = session_cookie.value
    else:  # an anonymous shopper with a basket: a session of its own
        client.get(f"{BASE}/checkout/basket")
        client.post(f"{BASE}/checkout/basket/lines", data="{}", content_type="application/json")
    return client


def body_for(w: World, key: tuple[str, str], principal: str) -> Any:
    op = OPERATIONS[key]
    return None if op.body is None else op.body(w, principal)


def send(
    w: World, client: Client, key: tuple[str, str], principal: str, body: Any, token: str = ""
) -> Any:
    method, template = key
    op = OPERATIONS[key]
    path = op.path or template.format(address_id=w.address_id, household_id=w.household_id)
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    headers = op.headers(w, principal) if op.headers else {}
    if token:
        headers["X-CSRFToken"] = token
    return getattr(client, method.lower())(f"{BASE}{path}", headers=headers, **kwargs)


def test_the_matrix_has_session_writes_to_check() -> None:
    assert len(SESSION_WRITES) >= 14
    assert ("POST", "/checkout/orders") in SESSION_WRITES
    assert ("POST", "/privacy/me/erasure") in SESSION_WRITES


@pytest.mark.promise("PP-10")
@pytest.mark.parametrize("key", SESSION_WRITES, ids=lambda k: f"{k[0]} {k[1]}")
def test_a_session_call_that_changes_state_without_the_token_is_refused(
    world: World, key: tuple[str, str]
) -> None:
    principal = right_principal(OPERATIONS[key])
    client = browser_for(world, principal)
    with clock.frozen(AT):
        body = body_for(world, key, principal)
        before = rows()  # after the body: an order's body makes a payment token
        response = send(world, client, key, principal, body)
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "csrf_failed"
    assert rows() == before


@pytest.mark.promise("PP-10")
@pytest.mark.parametrize("key", SESSION_WRITES, ids=lambda k: f"{k[0]} {k[1]}")
def test_the_same_call_with_the_token_from_the_csrf_endpoint_goes_through(
    world: World, key: tuple[str, str]
) -> None:
    principal = right_principal(OPERATIONS[key])
    client = browser_for(world, principal)
    token = client.get(f"{BASE}/csrf").json()["csrf_token"]
    assert client.cookies["csrftoken"].value  # the cookie comes with it
    with clock.frozen(AT):
        response = send(world, client, key, principal, body_for(world, key, principal), token)
    assert response.status_code == expected_for(key, principal), response.content


@pytest.mark.promise("PP-10")
def test_a_forged_cross_site_sign_out_leaves_the_session_signed_in(world: World) -> None:
    client = browser_for(world, "customer")
    token = client.get(f"{BASE}/csrf").json()["csrf_token"]
    forged = client.post(f"{BASE}/accounts/signout", headers={"Origin": "https://evil.example"})
    wrong_origin = client.post(
        f"{BASE}/accounts/signout",
        headers={"Origin": "https://evil.example", "X-CSRFToken": token},
    )
    assert (forged.status_code, wrong_origin.status_code) == (403, 403)
    assert client.get(f"{BASE}/accounts/me").status_code == 200


def test_a_device_call_with_a_bearer_token_needs_no_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True, **world.clients["device"].defaults)
    client.cookies["sessionid"] = world.clients["customer"].cookies["sessionid"].value
    response = client.put(
        f"{BASE}/households/{world.household_id}/tier",
        data=json.dumps({"tier": "decline"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Household.objects.get(pk=world.household_id).tier == "decline"


def test_a_call_without_the_session_cookie_needs_no_csrf_token(world: World) -> None:
    response = Client(enforce_csrf_checks=True).post(
        f"{BASE}/tax/quote",
        data=json.dumps(
            {"date": "2026-03-01", "province": "ON",
             "lines": [{"unit_price": "199.00", "quantity": 2}]}
        ),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200


def test_sign_in_then_a_write_with_a_fresh_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    token = client.get(f"{BASE}/csrf").json()["csrf_token"]
    signed_in = client.post(
        f"{BASE}/accounts/signin",
        data=json.dumps({"email": "ada@example.com", "password": PASSWORD}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert signed_in.status_code == 200
    fresh = client.get(f"{BASE}/csrf").json()["csrf_token"]
    patched = client.patch(
        f"{BASE}/accounts/me",
        data=json.dumps({"full_name": "Ada L."}),
        content_type="application/json",
        headers={"X-CSRFToken": fresh},
    )
    assert patched.status_code == 200
    assert User.objects.get(email="ada@example.com").full_name == "Ada L."
