"""The material policy notice and sign-up (issue #16 item 6, PP-21): a customer who opened the
account under the versions in force accepted them on the sign-up form, so the notice of a
material change already in those versions is never shown to them; a customer who signed up
before the change still sees it until acknowledged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from hearth.core import clock
from hearth.privacy.models import PolicyAcknowledgement, PolicyDocument
from hearth.privacy.tests.test_policy_versions import minor_privacy_version

NOTICE = "We have changed our policies"
NOW = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)  # privacy 2026.2 (material) is in force
BEFORE = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)  # privacy 2025.1 was


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_up_through_the_form(client: Client, email: str) -> None:
    page = client.get("/sign-up/").content.decode()
    # The form names what opening the account accepts, and links each policy.
    assert "By creating an account you accept our" in page
    for url in ('href="/terms/"', 'href="/eula/"', 'href="/privacy/"'):
        assert url in page
    response = client.post(
        "/sign-up/",
        {
            "email": email,
            "full_name": "Ada Lovelace",
            "password": "correct horse battery 42",
            "password_again": "correct horse battery 42",
            "adult_attestation": "on",
        },
    )
    assert response.status_code == 200


def _acknowledged(email: str) -> set[str]:
    return {
        a.document.key
        for a in PolicyAcknowledgement.objects.filter(user__email=email).select_related("document")
    }


@pytest.mark.promise("PP-21")
def test_a_customer_who_signed_up_under_the_versions_in_force_never_sees_the_notice(
    client, policies
):
    with clock.frozen(NOW):
        assert NOTICE in client.get("/").content.decode()  # anonymous: the change is news
        _sign_up_through_the_form(client, "ada@example.com")
        user = get_user_model().objects.get(email="ada@example.com")
        assert _acknowledged("ada@example.com") == {
            "privacy-2026.2",
            "terms-2025.1",
            "eula-2025.1",
        }
        signed_in = Client()
        signed_in.force_login(user)
        assert NOTICE not in signed_in.get("/").content.decode()
        assert NOTICE not in signed_in.get("/shop/").content.decode()


@pytest.mark.promise("PP-21")
def test_signing_up_under_a_minor_version_also_settles_the_material_one_it_contains(
    client, policies
):
    with clock.frozen(NOW):
        minor_privacy_version()  # 2026.3, minor, in force; 2026.2 was the material change
        _sign_up_through_the_form(client, "ada@example.com")
        assert _acknowledged("ada@example.com") == {
            "privacy-2026.2",
            "privacy-2026.3",
            "terms-2025.1",
            "eula-2025.1",
        }
        signed_in = Client()
        signed_in.force_login(get_user_model().objects.get(email="ada@example.com"))
        assert NOTICE not in signed_in.get("/").content.decode()


@pytest.mark.promise("PP-21")
def test_a_customer_who_signed_up_before_the_change_sees_the_notice_until_acknowledging(
    client, policies
):
    with clock.frozen(BEFORE):
        _sign_up_through_the_form(client, "grace@example.com")
    assert _acknowledged("grace@example.com") == {
        "privacy-2025.1",
        "terms-2025.1",
        "eula-2025.1",
    }
    user = get_user_model().objects.get(email="grace@example.com")
    signed_in = Client()
    signed_in.force_login(user)
    with clock.frozen(NOW):
        home = signed_in.get("/").content.decode()
        assert NOTICE in home
        # After the page's content, never inside <main>.
        assert home.index(NOTICE) > home.index("</main>")
        signed_in.post("/privacy/acknowledge/", {"confirm": "on", "next": "/"})
        assert NOTICE not in signed_in.get("/").content.decode()
    assert "privacy-2026.2" in _acknowledged("grace@example.com")
    assert PolicyDocument.objects.filter(kind="privacy", version="2026.2", material=True).exists()
