"""Who reaches which back-office page: every staff role, a customer and anonymous, against the
changelist of every model registered in the admin, as designed in data/roles.toml.

The expected table is built from roles.toml: a role reaches a changelist (200) when it holds the
model's view or change permission, and is refused (403) otherwise; a customer and an anonymous
visitor are sent to the back-office sign-in (302). The hand-written rows below pin the design
so that an edit to roles.toml that widens access fails here.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from hearth.accounts.roles import ROLE_KEYS, load_roles

pytestmark = pytest.mark.django_db

ANONYMOUS, CUSTOMER = "anonymous", "customer"
PRINCIPALS = (ANONYMOUS, CUSTOMER, *ROLE_KEYS)


def _registered() -> list[tuple[str, str]]:
    return sorted((m._meta.app_label, m._meta.model_name) for m in admin.site._registry)


def _expected(principal: str, app_label: str, model_name: str) -> int:
    if principal in (ANONYMOUS, CUSTOMER):
        return 302
    perms = load_roles()[principal].permissions
    reach = {f"{app_label}.view_{model_name}", f"{app_label}.change_{model_name}"}
    return 200 if perms & reach else 403


CASES = [
    pytest.param(
        principal, app, model, _expected(principal, app, model), id=f"{principal}-{app}.{model}"
    )
    for principal in PRINCIPALS
    for app, model in _registered()
]

# The design, written out: these must hold whatever roles.toml says.
PINNED = [
    ("privacy_officer", "privacy", "datarequest", 200),
    ("administrator", "privacy", "datarequest", 403),
    ("care_agent", "privacy", "datarequest", 403),
    ("sales_agent", "privacy", "datarequest", 403),
    ("finance", "privacy", "datarequest", 403),
    ("warehouse", "privacy", "datarequest", 403),
    ("warehouse", "accounts", "user", 403),  # not a customer's history
    ("warehouse", "accounts", "address", 403),
    ("finance", "accounts", "address", 403),
    ("care_agent", "accounts", "address", 200),
    ("sales_agent", "accounts", "user", 200),
    ("administrator", "accounts", "user", 200),
    ("administrator", "accounts", "address", 403),
    ("privacy_officer", "core", "auditevent", 200),
    ("care_agent", "core", "auditevent", 403),
    ("care_agent", "privacy", "consentrecord", 403),
    ("customer", "accounts", "user", 302),
    ("anonymous", "privacy", "datarequest", 302),
]


def _client(principal: str, staff_client, customer) -> Client:
    if principal == ANONYMOUS:
        return Client()
    if principal == CUSTOMER:
        client = Client()
        client.force_login(customer)
        return client
    return staff_client(principal)


@pytest.mark.parametrize(("principal", "app_label", "model_name", "status"), CASES)
def test_back_office_changelists(principal, app_label, model_name, status, staff_client, customer):
    response = _client(principal, staff_client, customer).get(f"/admin/{app_label}/{model_name}/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(("principal", "app_label", "model_name", "status"), PINNED)
def test_pinned_design(principal, app_label, model_name, status, staff_client, customer):
    assert (app_label, model_name) in _registered()
    assert _expected(principal, app_label, model_name) == status
    response = _client(principal, staff_client, customer).get(f"/admin/{app_label}/{model_name}/")
    assert response.status_code == status


@pytest.mark.parametrize(
    ("principal", "status"),
    [(ANONYMOUS, 302), (CUSTOMER, 302)] + [(role, 200) for role in ROLE_KEYS],
)
def test_back_office_index(principal, status, staff_client, customer):
    assert _client(principal, staff_client, customer).get("/admin/").status_code == status


@pytest.mark.parametrize("role", ROLE_KEYS)
def test_staff_without_the_second_factor_are_sent_to_sign_in(role, staff_client):
    client = staff_client(role)
    session = client.session
    session.pop(DEVICE_ID_SESSION_KEY)
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# Staff API endpoints: (path, the role whose permission opens it). Anonymous: 401; a customer and
# every other role: 403.
STAFF_ENDPOINTS = [("/api/v1/privacy/requests", "privacy_officer")]


@pytest.mark.parametrize(
    ("principal", "path", "status"),
    [
        pytest.param(
            principal,
            path,
            401 if principal == ANONYMOUS else 200 if principal == opener else 403,
            id=f"{principal}-{path}",
        )
        for path, opener in STAFF_ENDPOINTS
        for principal in PRINCIPALS
    ],
)
def test_staff_api_endpoints(principal, path, status, staff_client, customer):
    response = _client(principal, staff_client, customer).get(path)
    assert response.status_code == status
