"""The customer's language (issue #16 item 2): set at sign-up from the page's language, changed
in My Stuff (and by the language switch), and every later account email uses it, whatever the
language of the page the email was asked from. Mail goes through comms' outbound queue and a
real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from hearth.accounts.models import User
from hearth.comms.models import OutboundMessage
from hearth.core import clock
from hearth.privacy.services import load_policies

from .conftest import PASSWORD, T0, make_customer, reauth

pytestmark = pytest.mark.django_db
SIGN_UP = {
    "email": "grace@example.com",
    "password": PASSWORD,
    "password_again": PASSWORD,
    "adult_attestation": "on",
}


def _french(client: Client) -> Client:
    client.post("/language/", {"language": "fr-ca", "next": "/"})
    return client


def _french_customer(email: str = "ada@example.com") -> User:
    with translation.override("fr-ca"):
        return make_customer(email)


def test_sign_up_on_a_french_page_stores_french_and_the_proof_email_is_french(
    frozen_now, smtp_server, django_capture_on_commit_callbacks
) -> None:
    client = _french(Client())
    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post("/sign-up/", SIGN_UP)
    assert answered.status_code == 200
    assert User.objects.get(email="grace@example.com").language == "fr-ca"
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"].strip() == "Confirmez votre adresse courriel"
    assert OutboundMessage.objects.get().language == "fr-ca"


def test_sign_up_on_an_english_page_stores_english(frozen_now) -> None:
    Client().post("/sign-up/", SIGN_UP)
    assert User.objects.get(email="grace@example.com").language == "en"


def test_a_french_customer_s_password_reset_email_is_french_even_from_an_english_page(
    smtp_server,
) -> None:
    _french_customer()
    answered = Client().post("/password-reset/", {"email": "ada@example.com"})
    assert answered["Location"] == "/password-reset/sent/"
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"].strip() == "Réinitialisez votre mot de passe Ember & Oak Audio"
    assert "/password-reset/" in mail.get_body(preferencelist=("plain",)).get_content()


def test_an_english_customer_s_password_reset_email_is_english_even_from_a_french_page(
    smtp_server,
) -> None:
    with translation.override("en"):
        make_customer()
    _french(client := Client())
    client.post("/password-reset/", {"email": "ada@example.com"})
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"].strip() == "Reset your Ember & Oak Audio password"


def test_a_french_customer_s_data_request_email_is_french_even_from_an_english_page(
    smtp_server, django_capture_on_commit_callbacks
) -> None:
    _french_customer()
    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        asked = Client().post(
            "/privacy/request/", {"email": "ada@example.com", "kind": "access", "note": ""}
        )
    assert asked.status_code == 200
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"].strip() == "Confirmez votre demande relative à la vie privée"
    assert OutboundMessage.objects.get().language == "fr-ca"


def test_a_request_by_an_address_without_an_account_is_in_the_page_s_language(
    smtp_server, django_capture_on_commit_callbacks
) -> None:
    client = _french(Client())
    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/privacy/request/", {"email": "nobody@example.com", "kind": "access", "note": ""}
        )
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"].strip() == "Confirmez votre demande relative à la vie privée"
    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        Client().post(
            "/privacy/request/", {"email": "other@example.com", "kind": "access", "note": ""}
        )
    assert smtp_server.wait_for(2)[1]["Subject"].strip() == "Confirm your privacy request"


def test_my_stuff_profile_changes_the_stored_language_and_the_site_follows(
    frozen_now, smtp_server, django_capture_on_commit_callbacks
) -> None:
    load_policies()
    with translation.override("en"):
        customer = make_customer()
    client = Client()
    client.force_login(customer)
    page = client.get("/my-stuff/profile/").content.decode()
    assert 'name="language"' in page
    assert 'for="id_language"' in page
    saved = client.post("/my-stuff/profile/", {"full_name": "Ada Lovelace", "language": "fr-ca"})
    assert saved.status_code == 302
    assert saved.cookies["django_language"].value == "fr-ca"
    customer.refresh_from_db()
    assert customer.language == "fr-ca"
    assert '<html lang="fr-ca">' in client.get("/my-stuff/").content.decode()
    # A later email follows the stored choice, asked from an English page.
    english = Client()
    english.force_login(customer)
    reauth(english)
    with django_capture_on_commit_callbacks(execute=True):
        english.post("/my-stuff/email/", {"email": "ada.new@example.com"})
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "ada.new@example.com"
    assert mail["Subject"].strip() == "Confirmez votre nouvelle adresse courriel"
    assert OutboundMessage.objects.get().language == "fr-ca"


def test_my_stuff_refuses_an_unsupported_language_beside_the_field(frozen_now) -> None:
    load_policies()
    with translation.override("en"):
        customer = make_customer()
    client = Client()
    client.force_login(customer)
    refused = client.post("/my-stuff/profile/", {"full_name": "Ada", "language": "de"})
    assert refused.status_code == 200
    assert 'id="id_language_errors"' in refused.content.decode()
    customer.refresh_from_db()
    assert customer.language == "en"


def test_signing_in_brings_back_the_language_the_customer_chose(frozen_now) -> None:
    load_policies()
    with translation.override("fr-ca"):
        customer = make_customer()
    customer.email_verified_at = T0
    customer.save(update_fields=["email_verified_at"])
    client = Client()  # a new device, an English browser
    signed_in = client.post(
        "/sign-in/", {"email": "ada@example.com", "password": PASSWORD, "next": "/basket/"}
    )
    assert signed_in.status_code == 302
    assert signed_in.cookies["django_language"].value == "fr-ca"
    assert '<html lang="fr-ca">' in client.get("/basket/").content.decode()


def test_signing_in_to_an_account_without_a_stored_language_changes_nothing(frozen_now) -> None:
    load_policies()
    customer = make_customer()
    User.objects.filter(pk=customer.pk).update(language="")
    signed_in = Client().post("/sign-in/", {"email": "ada@example.com", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert "django_language" not in signed_in.cookies
