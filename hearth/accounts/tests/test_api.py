from __future__ import annotations

import json

import pytest
from django.test import Client

from hearth.accounts import services
from hearth.accounts.models import Address, User
from hearth.privacy.models import ConsentRecord

from .conftest import PASSWORD, T0, make_customer

pytestmark = pytest.mark.django_db

ADDRESS = {
    "name": "Ada Lovelace",
    "lines": ["12 Wellington Street"],
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "K1A 0B1",
}


def _post(client: Client, url: str, body: dict, method: str = "post"):
    return getattr(client, method)(
        f"/api/v1/accounts/{url}", json.dumps(body), content_type="application/json"
    )


@pytest.mark.promise("PP-3", "PP-8")
def test_api_sign_up_answers_check_your_email_and_records_the_choice(frozen_now):
    client = Client()
    response = _post(
        client,
        "signup",
        {
            "email": "Grace@Example.com",
            "password": PASSWORD,
            "adult_attestation": True,
            "marketing_email": True,
        },
    )
    assert response.status_code == 202
    assert response.json() == {"detail": "Check your email: follow the link we sent to finish."}
    user = User.objects.get()
    assert user.email == "grace@example.com"
    assert user.email_verified_at is None
    assert client.get("/api/v1/accounts/me").status_code == 401  # no session before proof
    assert list(ConsentRecord.objects.values_list("purpose", "granted", "source")) == [
        ("marketing_email", True, "api:signup")
    ]


def test_api_sign_in_me_patch_and_sign_out(customer, frozen_now):
    client = Client()
    assert client.get("/api/v1/accounts/me").status_code == 401
    assert (
        _post(client, "signin", {"email": "ada@example.com", "password": PASSWORD}).status_code
        == 200
    )
    patched = _post(client, "me", {"full_name": "Ada King"}, method="patch")
    assert patched.json() == {
        "id": customer.pk,
        "email": "ada@example.com",
        "full_name": "Ada King",
        "email_verified": True,
    }
    assert client.post("/api/v1/accounts/signout").status_code == 204
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_api_bad_sign_in_answers_the_error_body(customer, frozen_now):
    response = _post(Client(), "signin", {"email": "ada@example.com", "password": "nope"})
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "bad_credentials",
            "message": "That email address and password do not match an account.",
            "fields": {},
        }
    }


def test_api_validation_errors_name_the_field(frozen_now):
    response = _post(
        Client(),
        "signup",
        {"email": "not-an-email", "password": PASSWORD, "adult_attestation": True},
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["email"]


@pytest.mark.promise("PP-15")
def test_api_address_crud(customer, frozen_now):
    client = Client()
    client.force_login(customer)
    created = _post(client, "me/addresses", ADDRESS)
    assert created.status_code == 201
    address_id = created.json()["id"]
    assert created.json() == {
        "id": address_id,
        "label": "",
        "name": "Ada Lovelace",
        "lines": ["12 Wellington Street"],
        "city": "Ottawa",
        "province": "ON",
        "postal_code": "K1A 0B1",
        "country": "CA",
        "phone": "",
    }
    changed = _post(
        client,
        f"me/addresses/{address_id}",
        {"city": "Kanata", "postal_code": "k2k1x7"},
        method="patch",
    )
    assert (changed.json()["city"], changed.json()["postal_code"], changed.json()["name"]) == (
        "Kanata",
        "K2K 1X7",
        "Ada Lovelace",
    )
    assert [a["id"] for a in client.get("/api/v1/accounts/me/addresses").json()] == [address_id]
    assert client.delete(f"/api/v1/accounts/me/addresses/{address_id}").status_code == 204
    assert Address.objects.count() == 0


def test_api_bad_address_names_the_field(customer, frozen_now):
    client = Client()
    client.force_login(customer)
    response = _post(client, "me/addresses", {**ADDRESS, "province": "ZZ"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_address"
    assert response.json()["error"]["fields"] == {
        "province": "Choose a Canadian province or territory."
    }


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_api_another_customers_address_is_not_found(customer, frozen_now, method):
    other = make_customer("bob@example.com", "Bob")
    theirs = services.add_address(
        user=other, data=services.address_input({**ADDRESS, "lines": "1 Rue\n"}), at=T0, actor=other
    )
    client = Client()
    client.force_login(customer)
    url = f"/api/v1/accounts/me/addresses/{theirs.pk}"

    def call(target: str):
        if method == "get":
            return client.get(target)
        return getattr(client, method)(
            target, json.dumps({"city": "X"}), content_type="application/json"
        )

    response = call(url)
    missing = call("/api/v1/accounts/me/addresses/999999")
    assert response.status_code == missing.status_code == 404
    assert (
        response.json()
        == missing.json()
        == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    )
    assert Address.objects.get(pk=theirs.pk).city == "Ottawa"


def test_api_needs_a_session(frozen_now):
    response = Client().get("/api/v1/accounts/me/addresses")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_api_sign_in_enforces_csrf(customer, frozen_now):
    client = Client(enforce_csrf_checks=True)
    response = _post(client, "signin", {"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 403
