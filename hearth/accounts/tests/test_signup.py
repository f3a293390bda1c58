from __future__ import annotations

import json

import pytest
from django.test import Client

from hearth.accounts.models import Address, User
from hearth.privacy.models import ConsentRecord

from .conftest import PASSWORD, T0

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "email": "grace@example.com",
        "password": PASSWORD,
        "password_again": PASSWORD,
        "adult_attestation": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.promise("PP-13")
def test_sign_up_without_the_adult_attestation_opens_no_account(frozen_now):
    response = Client().post("/sign-up/", _form(adult_attestation=None))
    assert response.status_code == 200
    assert User.objects.count() == 0
    html = response.content.decode()
    assert "You must confirm that you are 18 or older." in html
    assert 'aria-describedby="id_adult_attestation_errors"' in html


@pytest.mark.promise("PP-13")
def test_api_sign_up_without_the_adult_attestation_is_refused(frozen_now):
    body = {"email": "grace@example.com", "password": PASSWORD, "adult_attestation": False}
    response = Client().post(
        "/api/v1/accounts/signup", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "attestation_required"
    assert set(response.json()["error"]["fields"]) == {"adult_attestation"}
    assert User.objects.count() == 0


@pytest.mark.promise("PP-13")
def test_sign_up_asks_for_an_attestation_not_a_birth_date():
    html = Client().get("/sign-up/").content.decode()
    assert 'name="adult_attestation"' in html
    assert "birth" not in html.lower()


@pytest.mark.promise("PP-13")
def test_sign_up_records_the_attestation_time(frozen_now):
    Client().post("/sign-up/", _form())
    assert User.objects.get().adult_attested_at == T0


@pytest.mark.promise("PP-3")
def test_sign_up_stores_only_what_was_provided(frozen_now):
    response = Client().post("/sign-up/", _form())
    assert response.status_code == 200
    assert "We sent a message to grace@example.com." in response.content.decode()
    user = User.objects.get()
    assert user.email == "grace@example.com"
    assert user.full_name == ""
    assert user.is_staff is False
    assert Address.objects.count() == 0
    assert user.password.startswith("argon2$")


@pytest.mark.promise("PP-8")
def test_sign_up_without_the_opt_in_records_no_marketing_consent(frozen_now):
    Client().post("/sign-up/", _form())
    user = User.objects.get()
    records = list(
        ConsentRecord.objects.filter(user=user).values_list("purpose", "granted", "kind", "source")
    )
    # Left unticked is not an opt-out: nothing is recorded, so a purchase's implied consent
    # can count later (PP-5).
    assert records == []


@pytest.mark.promise("PP-8")
def test_sign_up_with_the_opt_in_records_express_consent(frozen_now):
    Client().post("/sign-up/", _form(marketing_email="on"))
    user = User.objects.get()
    records = list(
        ConsentRecord.objects.filter(user=user).values_list(
            "purpose", "granted", "kind", "source", "at"
        )
    )
    assert records == [("marketing_email", True, "express", "signup", T0)]


@pytest.mark.promise("PP-8")
def test_the_marketing_opt_in_is_offered_unticked():
    html = Client().get("/sign-up/").content.decode()
    tag = html[
        html.index('name="marketing_email"') - 80 : html.index('name="marketing_email"') + 80
    ]
    assert "checked" not in tag


@pytest.mark.promise("PP-4")
def test_sign_up_form_shows_the_collection_notice():
    html = Client().get("/sign-up/").content.decode()
    assert 'class="privacy-notice' in html or "privacy-notice" in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"email": "not-an-email"},
            "email",
            "Enter a valid email address, such as name@example.com.",
        ),
        ({"password_again": "something else 99"}, "password_again", "The two passwords differ."),
        (
            {"password": "1234567890123", "password_again": "1234567890123"},
            "password",
            "This password is entirely numeric.",
        ),
    ],
)
def test_bad_sign_up_input_is_shown_beside_the_field(frozen_now, overrides, field, message):
    response = Client().post("/sign-up/", _form(**overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}_errors"' in html
    assert User.objects.count() == 0


@pytest.mark.promise("PP-15")
def test_sign_up_with_a_taken_email_answers_exactly_as_a_new_one(
    frozen_now, customer, django_capture_on_commit_callbacks, mailoutbox
):
    customer.refresh_from_db()
    password_before = customer.password
    with django_capture_on_commit_callbacks(execute=True):
        fresh = Client().post("/sign-up/", _form(email="grace@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        taken = Client().post("/sign-up/", _form(email="ADA@example.com"))
    assert taken.status_code == fresh.status_code == 200
    assert taken.content.decode().replace("ada@example.com", "X") == fresh.content.decode().replace(
        "grace@example.com", "X"
    ).replace(_csrf(fresh), _csrf(taken))
    assert 'id="id_email_errors"' not in taken.content.decode()
    assert User.objects.count() == 2
    customer.refresh_from_db()
    assert customer.password == password_before  # nothing about the owner's account changed
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["grace@example.com"], "Confirm your email address"),
        (["ada@example.com"], "Someone tried to open an account with your email address"),
    ]
    assert "/password-reset/" in mailoutbox[1].body


def _csrf(response) -> str:
    html = response.content.decode()
    marker = 'name="csrfmiddlewaretoken" value="'
    if marker not in html:
        return "\x00"
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.mark.promise("PP-15")
def test_api_sign_up_with_a_taken_email_answers_exactly_as_a_new_one(
    frozen_now, customer, django_capture_on_commit_callbacks, mailoutbox
):
    def post(email: str):
        body = {"email": email, "password": PASSWORD, "adult_attestation": True}
        return Client().post(
            "/api/v1/accounts/signup", json.dumps(body), content_type="application/json"
        )

    with django_capture_on_commit_callbacks(execute=True):
        fresh = post("grace@example.com")
        taken = post("ada@example.com")
    assert (taken.status_code, taken.json()) == (fresh.status_code, fresh.json())
    assert fresh.status_code == 202
    assert "sessionid" not in taken.cookies and "sessionid" not in fresh.cookies
    assert sorted(m.to[0] for m in mailoutbox) == ["ada@example.com", "grace@example.com"]
