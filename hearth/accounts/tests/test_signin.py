from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from hearth.accounts.models import SignInFailure
from hearth.core import clock

from .conftest import PASSWORD, T0

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, email: str, password: str, ip: str = "203.0.113.5"):
    return client.post("/sign-in/", {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_customer_signs_in_and_out(customer, frozen_now):
    client = Client()
    response = _sign_in(client, "Ada@Example.com", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/my-stuff/"
    assert client.get("/my-stuff/").status_code == 200
    client.post("/sign-out/")
    response = client.get("/my-stuff/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/my-stuff/"


def test_wrong_password_gives_one_message_for_unknown_and_known_emails(customer, frozen_now):
    known = _sign_in(Client(), "ada@example.com", "wrong password 1").content.decode()
    unknown = _sign_in(Client(), "nobody@example.com", "wrong password 1").content.decode()
    message = "That email address and password do not match an account."
    assert message in known and message in unknown


def test_five_failures_for_one_email_throttle_even_the_right_password(customer):
    with clock.frozen(T0):
        for i in range(5):
            _sign_in(Client(), "ada@example.com", "wrong", ip=f"198.51.100.{i}")
        response = _sign_in(Client(), "ada@example.com", PASSWORD, ip="198.51.100.99")
    assert response.status_code == 429
    assert "Too many failed sign-ins." in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session
    with clock.frozen(T0 + dt.timedelta(minutes=15, seconds=1)):
        assert _sign_in(Client(), "ada@example.com", PASSWORD).status_code == 302


def test_five_failures_from_one_client_throttle_other_emails(customer):
    with clock.frozen(T0):
        for i in range(5):
            _sign_in(Client(), f"guess{i}@example.com", "wrong", ip="192.0.2.7")
        blocked = _sign_in(Client(), "ada@example.com", PASSWORD, ip="192.0.2.7")
        other_client = _sign_in(Client(), "ada@example.com", PASSWORD, ip="192.0.2.8")
    assert blocked.status_code == 429
    assert other_client.status_code == 302


def test_four_failures_do_not_throttle_and_success_clears_the_email_count(customer, frozen_now):
    for _ in range(4):
        _sign_in(Client(), "ada@example.com", "wrong", ip="192.0.2.1")
    assert _sign_in(Client(), "ada@example.com", PASSWORD, ip="192.0.2.2").status_code == 302
    assert SignInFailure.objects.filter(kind="email").count() == 0


def test_throttle_records_hold_no_plaintext(customer, frozen_now):
    _sign_in(Client(), "ada@example.com", "wrong", ip="192.0.2.1")
    rows = list(SignInFailure.objects.values_list("kind", "key_digest"))
    assert sorted(kind for kind, _ in rows) == ["client", "email"]
    for _, digest in rows:
        assert "ada" not in digest and "192.0.2.1" not in digest


def test_api_sign_in_is_throttled_with_the_error_body(customer):
    client = Client()
    with clock.frozen(T0):
        for _ in range(5):
            r = client.post(
                "/api/v1/accounts/signin",
                json.dumps({"email": "ada@example.com", "password": "nope"}),
                content_type="application/json",
            )
            assert r.status_code == 401
        r = client.post(
            "/api/v1/accounts/signin",
            json.dumps({"email": "ada@example.com", "password": PASSWORD}),
            content_type="application/json",
        )
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "throttled"
    assert r.json()["error"]["message"].startswith("Too many failed sign-ins.")


@pytest.mark.promise("PP-21")
def test_sign_in_leads_to_acknowledging_a_material_policy_change(customer):
    from hearth.privacy.services import load_policies

    load_policies()
    with clock.frozen(dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)):
        client = Client()
        response = _sign_in(client, "ada@example.com", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == "/privacy/acknowledge/?next=%2Fmy-stuff%2F"
        client.post("/privacy/acknowledge/", {"confirm": "on", "next": "/my-stuff/"})
        client.post("/sign-out/")
        again = _sign_in(client, "ada@example.com", PASSWORD)
    assert again["Location"] == "/my-stuff/"


def _through_balancer(client: Client, email: str, password: str, forwarded_for: str):
    return client.post(
        "/sign-in/",
        {"email": email, "password": password},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_a_trusted_balancer_each_customer_has_their_own_throttle(customer, settings):
    settings.HEARTH_TRUSTED_PROXIES = ["10.0.0.0/8"]
    with clock.frozen(T0):
        for i in range(5):
            _through_balancer(Client(), f"guess{i}@example.com", "wrong", "192.0.2.7")
        blocked = _through_balancer(Client(), "ada@example.com", PASSWORD, "192.0.2.7")
        neighbour = _through_balancer(Client(), "ada@example.com", PASSWORD, "192.0.2.8")
    assert blocked.status_code == 429
    assert neighbour.status_code == 302


def test_a_forged_forwarded_for_from_an_untrusted_peer_does_not_escape_the_throttle(
    customer, settings
):
    settings.HEARTH_TRUSTED_PROXIES = ["10.0.0.0/8"]
    with clock.frozen(T0):
        for i in range(5):
            Client().post(
                "/sign-in/",
                {"email": f"guess{i}@example.com", "password": "wrong"},
                REMOTE_ADDR="192.0.2.7",
                HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
            )
        again = Client().post(
            "/sign-in/",
            {"email": "ada@example.com", "password": PASSWORD},
            REMOTE_ADDR="192.0.2.7",
            HTTP_X_FORWARDED_FOR="198.51.100.200",
        )
    assert again.status_code == 429
