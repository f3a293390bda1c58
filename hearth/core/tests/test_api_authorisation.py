"""Who may call each HTTP API operation, checked with real requests against real rows.

``OPERATIONS`` declares, for every (method, path) in the OpenAPI document, who may call it and the
status the right caller gets. ``test_every_operation_is_declared`` loads the document over HTTP and
fails when an operation is added without a line here. ``test_who_may_call`` sends the operation as
every principal (anonymous, a customer, another customer, staff without the second factor, staff
of the wrong role, staff of the right role, a device token of the household or of another one, a
partner token of the service or of another one) and asserts the exact status each one gets: the
right principal last, so a destructive call does not spoil the others. A per-customer or
per-household resource named by another caller's ID answers 404, never the data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from hearth.accounts import services as accounts_services
from hearth.accounts.models import Address, User
from hearth.accounts.tests.conftest import verified_device_id
from hearth.catalog.models import Product, Variant
from hearth.core import clock
from hearth.devices import services as devices_services
from hearth.devices.partners import create_partner

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday, before the noon cut-off
PASSWORD = "correct horse battery 42"
SKU = "EO-AUTH-ONE"
BASE = "/api/v1"

ANON, CUST, OTHER = "anonymous", "customer", "other_customer"
STAFF_NO_2FA, STAFF_WRONG, STAFF_RIGHT = "staff_no_2fa", "staff_wrong_role", "staff_right_role"
DEVICE, DEVICE_OTHER = "device", "device_other_household"
PARTNER, PARTNER_OTHER = "partner", "partner_other_service"
PRINCIPALS = (
    ANON, CUST, OTHER, STAFF_NO_2FA, STAFF_WRONG, STAFF_RIGHT,
    DEVICE, DEVICE_OTHER, PARTNER, PARTNER_OTHER,
)  # fmt: skip
SIGNED_IN = (CUST, OTHER, STAFF_NO_2FA, STAFF_WRONG, STAFF_RIGHT)
STAFF_ROLE = "privacy_officer"  # the role each staff operation below names
WRONG_ROLE = "care_agent"


class FastHasher(MD5PasswordHasher):
    """Test-speed hashing: the matrix signs up a dozen people per test."""


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["hearth.core.tests.test_api_authorisation.FastHasher"]


@dataclass
class World:
    clients: dict[str, Client]
    address_id: int  # the customer's address
    household_id: int  # the device's household
    serial: Iterator[int]


def _user(email: str, role: str | None = None, *, second_factor: bool = True) -> Client:
    user = accounts_services.sign_up(
        email=email,
        password=PASSWORD,
        full_name=email.split("@")[0],
        adult_attested=True,
        marketing_email=False,
        at=AT,
    )
    if role is not None:
        accounts_services.assign_role(user=user, role_key=role, actor=None)
    client = Client()
    client.force_login(user)
    if role is not None and second_factor:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = verified_device_id(user)
        session.save()
    return client


def _bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def _address(email: str) -> int:
    user = User.objects.get(email=email)
    data = accounts_services.address_input(
        {
            "name": "Ada Lovelace",
            "lines": "12 Wellington Street",
            "city": "Ottawa",
            "province": "ON",
            "postal_code": "K1A 0B1",
            "country": "CA",
        }
    )
    address: Address = accounts_services.add_address(user=user, data=data, at=AT, actor=user)
    return address.pk


@pytest.fixture
def world(db: Any) -> Iterator[World]:
    with clock.frozen(AT):
        accounts_services.sync_roles()
        product = Product.objects.create(
            slug="ember-auth",
            name="Ember Auth",
            category="speakers",
            summary="A speaker.",
            image="catalog/img/ember-one.svg",
            is_active=True,
        )
        Variant.objects.create(
            product=product,
            sku=SKU,
            colour="Charcoal",
            price=Decimal("249.00"),
            stock_on_hand=100,
            availability="in_stock",
        )
        household, device_token = devices_services.create_household(serials=["EO-A-1"], at=AT)
        _other_household, other_token = devices_services.create_household(serials=["EO-B-1"], at=AT)
        _p, partner_token = create_partner(name="Tunewave", service="tunewave", at=AT, actor=None)
        _o, other_partner = create_partner(name="Radiolia", service="radiolia", at=AT, actor=None)
        clients = {
            ANON: Client(),
            CUST: _user("ada@example.com"),
            OTHER: _user("grace@example.com"),
            STAFF_NO_2FA: _user("officer2@example.com", STAFF_ROLE, second_factor=False),
            STAFF_WRONG: _user("care@example.com", WRONG_ROLE),
            STAFF_RIGHT: _user("officer@example.com", STAFF_ROLE),
            DEVICE: _bearer(device_token),
            DEVICE_OTHER: _bearer(other_token),
            PARTNER: _bearer(partner_token),
            PARTNER_OTHER: _bearer(other_partner),
        }
        address_id = _address("ada@example.com")
        for email in ("grace@example.com", "officer@example.com", "care@example.com"):
            _address(email)  # everyone has an address of their own: only the ID tells them apart
        added = clients[CUST].post(
            f"{BASE}/checkout/basket/lines",
            data=json.dumps({"sku": SKU, "quantity": 1}),
            content_type="application/json",
        )
        assert added.status_code == 201, added.content
        yield World(clients, address_id, household.id, itertools.count(1))


# --- the table -------------------------------------------------------------------------------

PUBLIC, SESSION, OWN_RESOURCE, STAFF, DEVICE_TOKEN, HOUSEHOLD, PARTNER_TOKEN = (
    "public", "session", "own_resource", "staff", "device_token", "household", "partner_token",
)  # fmt: skip


def expected(access: str, ok: int, principal: str) -> int:
    """The status ``principal`` gets from an operation of ``access`` whose right caller gets ``ok``.

    public: everyone. session: any signed-in person, for their own data (others 401).
    own_resource: signed in, and the ID in the path is the customer's (another's answers 404).
    staff: staff of the role with the second factor (no second factor 401, a customer or
    another role 403). device_token: any household's token. household: the token of the
    household in the path (another household's 404). partner_token: the partner's own service
    (another partner asking for it 404)."""
    if access == PUBLIC:
        return ok
    if access in (SESSION, OWN_RESOURCE):
        if principal not in SIGNED_IN:
            return 401
        return ok if access == SESSION or principal == CUST else 404
    if access == STAFF:
        if principal in (ANON, DEVICE, DEVICE_OTHER, PARTNER, PARTNER_OTHER, STAFF_NO_2FA):
            return 401
        return ok if principal == STAFF_RIGHT else 403
    if access in (DEVICE_TOKEN, HOUSEHOLD):
        if principal == DEVICE or (access == DEVICE_TOKEN and principal == DEVICE_OTHER):
            return ok
        return 404 if principal == DEVICE_OTHER else 401
    if access == PARTNER_TOKEN:
        return ok if principal == PARTNER else 404 if principal == PARTNER_OTHER else 401
    raise AssertionError(access)


Body = Callable[[World, str], Any]


@dataclass(frozen=True)
class Op:
    access: str
    ok: int
    path: str = ""  # the concrete path, formatted with the world; default: the template
    body: Body | None = None
    query: str = ""
    headers: Callable[[World, str], dict[str, str]] | None = None
    right: str = ""  # the principal that gets `ok` (sent last); derived from access if empty


def _const(value: Any) -> Body:
    return lambda _w, _p: value


ADDRESS_BODY = {
    "name": "Ada Lovelace",
    "lines": ["12 Wellington Street"],
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "K1A 0B1",
    "country": "CA",
}


def _order(w: World, principal: str) -> dict[str, Any]:
    from hearth.checkout.tests.conftest import card_token

    return {
        "email": f"{principal}@buyer.example.com",
        "name": "Ada Lovelace",
        "shipping_address": {k: v for k, v in ADDRESS_BODY.items() if k != "name"},
        "attestations": {"adult": True, "end_user": True, "accurate": True},
        "payment_method": "card",
        "payment_token": card_token(at=AT),
        "lines": [{"sku": SKU, "quantity": 1}],
    }


HH = "/households/{household_id}"
OPERATIONS: dict[tuple[str, str], Op] = {
    # accounts
    ("POST", "/accounts/signup"): Op(
        PUBLIC,
        202,
        body=lambda _w, p: {
            "email": f"new-{p}@example.com",
            "password": PASSWORD,
            "adult_attestation": True,
        },
    ),
    ("POST", "/accounts/signin"): Op(
        PUBLIC, 200, body=_const({"email": "ada@example.com", "password": PASSWORD})
    ),
    ("POST", "/accounts/signout"): Op(SESSION, 204),
    # A token that proves nothing is refused the same way for everyone (the link is the key).
    ("POST", "/accounts/verify-email"): Op(PUBLIC, 400, body=_const({"token": "not-a-token"})),
    ("GET", "/accounts/me"): Op(SESSION, 200),
    ("PATCH", "/accounts/me"): Op(SESSION, 200, body=_const({"full_name": "A. L."})),
    ("GET", "/accounts/me/addresses"): Op(SESSION, 200),
    ("POST", "/accounts/me/addresses"): Op(SESSION, 201, body=_const(ADDRESS_BODY)),
    ("GET", "/accounts/me/addresses/{address_id}"): Op(OWN_RESOURCE, 200),
    ("PATCH", "/accounts/me/addresses/{address_id}"): Op(
        OWN_RESOURCE, 200, body=_const({"label": "Home"})
    ),
    ("DELETE", "/accounts/me/addresses/{address_id}"): Op(OWN_RESOURCE, 204),
    # tax, fulfilment, aftersales: calculators, no personal data
    ("POST", "/tax/quote"): Op(
        PUBLIC,
        200,
        body=_const(
            {
                "date": "2026-03-01",
                "province": "ON",
                "lines": [{"unit_price": "199.00", "quantity": 2}],
            }
        ),
    ),
    ("POST", "/fulfilment/estimate"): Op(
        PUBLIC, 200, body=_const({"placed_at": "2026-03-06T17:00:00Z", "method": "standard"})
    ),
    ("POST", "/fulfilment/address-check"): Op(
        PUBLIC, 200, body=_const({k: v for k, v in ADDRESS_BODY.items() if k != "name"})
    ),
    ("POST", "/aftersales/eligibility"): Op(
        PUBLIC,
        200,
        body=_const(
            {
                "kind": "return",
                "shipped_on": "2026-03-02",
                "requested_on": "2026-04-16",
                "channel": "web",
            }
        ),
    ),
    # privacy
    ("GET", "/privacy/policies/current"): Op(PUBLIC, 200),
    ("GET", "/privacy/me/consents"): Op(SESSION, 200),
    ("POST", "/privacy/me/consents"): Op(
        SESSION, 200, body=_const({"purpose": "marketing_email", "granted": True})
    ),
    # The same password re-check as the web download: without it a signed-in caller gets 403.
    ("GET", "/privacy/me/export"): Op(SESSION, 403),
    ("POST", "/privacy/me/export"): Op(SESSION, 200, body=_const({"password": PASSWORD})),
    ("POST", "/privacy/me/erasure"): Op(SESSION, 200, body=_const({"password": PASSWORD})),
    ("GET", "/privacy/requests"): Op(STAFF, 200),
    # catalog
    ("GET", "/catalog/products"): Op(PUBLIC, 200),
    ("GET", "/catalog/products/{slug}"): Op(PUBLIC, 200, path="/catalog/products/ember-auth"),
    # devices: creation is open (serial numbers only); the rest is the household's token
    ("POST", "/households"): Op(
        PUBLIC, 201, body=lambda w, _p: {"serials": [f"EO-N-{next(w.serial)}"]}
    ),
    ("GET", HH): Op(HOUSEHOLD, 200),
    ("POST", HH + "/products"): Op(HOUSEHOLD, 200, body=_const({"serials": ["EO-A-2"]})),
    ("POST", HH + "/products/{serial}/release"): Op(HOUSEHOLD, 200),
    ("POST", HH + "/registration"): Op(
        HOUSEHOLD,
        200,
        body=_const(
            {
                "email": "owner@example.com",
                "postal_code": "K1A 0B1",
                "country": "CA",
                "tier": "registered_opt_out",
            }
        ),
    ),
    ("DELETE", HH + "/registration"): Op(HOUSEHOLD, 200),
    ("PUT", HH + "/tier"): Op(HOUSEHOLD, 200, body=_const({"tier": "decline"})),
    ("POST", "/telemetry/batches"): Op(DEVICE_TOKEN, 200, body=_const({"events": []})),
    # partners: their own service's rollups only
    ("GET", "/partners/reports"): Op(PARTNER_TOKEN, 200, query="week=2026-W47&service=tunewave"),
    ("GET", "/partners/reports.csv"): Op(
        PARTNER_TOKEN, 200, query="week=2026-W47&service=tunewave"
    ),
    # the CSRF token for browser clients (hearth/core/middleware.py)
    ("GET", "/csrf"): Op(PUBLIC, 200),
    # checkout: the caller's own session basket; nobody reaches another's
    ("GET", "/checkout/basket"): Op(PUBLIC, 200),
    ("POST", "/checkout/basket/lines"): Op(PUBLIC, 201, body=_const({"sku": SKU, "quantity": 1})),
    # Only the customer has the line in a basket: for everyone else it is not in theirs.
    ("PUT", "/checkout/basket/lines/{sku}"): Op(
        OWN_RESOURCE, 200, path=f"/checkout/basket/lines/{SKU}", body=_const({"quantity": 2})
    ),
    ("DELETE", "/checkout/basket/lines/{sku}"): Op(
        PUBLIC, 200, path=f"/checkout/basket/lines/{SKU}"
    ),
    ("GET", "/checkout/shipping-methods"): Op(PUBLIC, 200),
    ("POST", "/checkout/quote"): Op(
        PUBLIC, 200, body=_const({"province": "ON", "lines": [{"sku": SKU, "quantity": 1}]})
    ),
    ("POST", "/checkout/orders"): Op(
        PUBLIC,
        201,
        body=_order,
        headers=lambda _w, p: {"Idempotency-Key": f"auth-matrix-{p}"},
    ),
}

# Basket lines: anonymous callers and token holders have a session basket of their own (none yet),
# so changing a line there is a 404 too, not a 401.
BASKET_OVERRIDES = {("PUT", "/checkout/basket/lines/{sku}"): {p: 404 for p in PRINCIPALS}}


def expected_for(key: tuple[str, str], principal: str) -> int:
    op = OPERATIONS[key]
    if key in BASKET_OVERRIDES and principal != CUST:
        return BASKET_OVERRIDES[key][principal]
    return expected(op.access, op.ok, principal)


def right_principal(op: Op) -> str:
    if op.right:
        return op.right
    return {
        STAFF: STAFF_RIGHT,
        DEVICE_TOKEN: DEVICE,
        HOUSEHOLD: DEVICE,
        PARTNER_TOKEN: PARTNER,
    }.get(op.access, CUST)


def send(w: World, key: tuple[str, str], principal: str) -> Any:
    method, template = key
    op = OPERATIONS[key]
    path = op.path or template.format(
        address_id=w.address_id, household_id=w.household_id, serial="EO-A-1"
    )
    url = f"{BASE}{path}" + (f"?{op.query}" if op.query else "")
    kwargs: dict[str, Any] = {}
    if op.body is not None:
        kwargs = {"data": json.dumps(op.body(w, principal)), "content_type": "application/json"}
    headers = op.headers(w, principal) if op.headers else {}
    return getattr(w.clients[principal], method.lower())(url, headers=headers, **kwargs)


# --- the tests --------------------------------------------------------------------------------


def test_every_operation_is_declared(client: Client) -> None:
    document = client.get(f"{BASE}/openapi.json").json()
    served = {
        (method.upper(), path.removeprefix(BASE))
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert served == set(OPERATIONS)


@pytest.mark.parametrize("key", sorted(OPERATIONS), ids=lambda k: f"{k[0]} {k[1]}")
def test_who_may_call(world: World, key: tuple[str, str]) -> None:
    right = right_principal(OPERATIONS[key])
    order = [p for p in PRINCIPALS if p != right] + [right]
    with clock.frozen(AT):
        got = {p: send(world, key, p).status_code for p in order}
    assert got == {p: expected_for(key, p) for p in order}


def test_another_customers_address_is_not_disclosed(world: World) -> None:
    with clock.frozen(AT):
        response = send(world, ("GET", "/accounts/me/addresses/{address_id}"), OTHER)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_the_basket_is_the_callers_own(world: World) -> None:
    with clock.frozen(AT):
        counts = {
            p: world.clients[p].get(f"{BASE}/checkout/basket").json()["item_count"]
            for p in PRINCIPALS
        }
    assert counts == {p: 1 if p == CUST else 0 for p in PRINCIPALS}


def test_an_order_key_replayed_by_someone_else_does_not_show_the_order(world: World) -> None:
    def post(principal: str, body: dict[str, Any]) -> Any:
        return world.clients[principal].post(
            f"{BASE}/checkout/orders",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": f"auth-matrix-{CUST}"},
        )

    with clock.frozen(AT):
        body = _order(world, CUST)
        first = post(CUST, body)
        # A replay is the same request (issue #10 item 20): the same body, the same key.
        replays = {p: post(p, body) for p in (OTHER, ANON, CUST)}
    assert first.status_code == 201
    assert {p: r.status_code for p, r in replays.items()} == {OTHER: 409, ANON: 409, CUST: 200}
    assert replays[OTHER].json()["error"]["code"] == "idempotency_key_reused"
    assert replays[CUST].json()["number"] == first.json()["number"]


def test_a_guest_order_key_replays_only_with_the_guests_email(world: World) -> None:
    bodies: dict[str, dict[str, Any]] = {}

    def place(client: Client, email: str) -> Any:
        # A replay is the same request (issue #10 item 20): one body per email.
        body = bodies.setdefault(email, {**_order(world, ANON), "email": email})
        return client.post(
            f"{BASE}/checkout/orders",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": "guest-key-0001"},
        )

    with clock.frozen(AT):
        statuses = [
            place(Client(), "guest@example.com").status_code,
            place(Client(), "someone@example.com").status_code,
            place(Client(), "guest@example.com").status_code,
        ]
    assert statuses == [201, 409, 200]
