"""Issue #10 item 5: checkout shows a signed-in customer's current marketing choice, so the box
left as shown never withdraws a consent they gave (PP-8, PP-5)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from hearth.checkout.tests.conftest import AT
from hearth.privacy.models import ConsentKind, ConsentRecord, Purpose
from hearth.privacy.services import load_policies, record_consent

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker", "fast_passwords")


def _box(client: Client) -> str:
    html = client.get("/checkout/contact/").content.decode()
    match = re.search(r"<input[^>]*name=\"marketing_email\"[^>]*>", html)
    assert match is not None
    return match.group(0)


def _customer(client: Client, **consent: Any) -> Any:
    load_policies()
    user = get_user_model().objects.create_user(
        email="grace@example.com", password="pw-1234567x", email_verified_at=AT
    )
    if consent:
        record_consent(
            purpose=Purpose.MARKETING_EMAIL,
            source="signup",
            at=AT,
            user=user,
            evidence="sign-up form: box ticked",
            **consent,
        )
    client.force_login(user)
    client.post("/basket/add/", {"sku": "EO-ONE-CHR", "quantity": 1})
    client.post("/checkout/age/", {"adult": "yes"})
    return user


@pytest.mark.promise("PP-8")
@pytest.mark.promise("PP-5")
def test_a_customer_who_opted_in_sees_the_box_ticked(client: Client) -> None:
    user = _customer(client, granted=True, kind=ConsentKind.EXPRESS)
    assert "checked" in _box(client)
    # Leaving the box as shown and going on records no withdrawal.
    assert (
        client.post(
            "/checkout/contact/",
            {"email": "grace@example.com", "name": "Grace", "marketing_email": "on"},
        ).status_code
        == 302
    )
    assert list(ConsentRecord.objects.filter(user=user).values_list("granted", flat=True)) == [True]


@pytest.mark.promise("PP-8")
def test_a_customer_who_never_opted_in_sees_the_box_unticked(client: Client) -> None:
    _customer(client)
    assert "checked" not in _box(client)


@pytest.mark.promise("PP-8")
def test_a_customer_who_withdrew_sees_the_box_unticked(client: Client) -> None:
    user = _customer(client, granted=True, kind=ConsentKind.EXPRESS)
    record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=False,
        kind=ConsentKind.EXPRESS,
        source="my_stuff",
        at=AT,
        user=user,
    )
    assert "checked" not in _box(client)


def test_a_guest_sees_the_box_unticked(client: Client) -> None:
    client.post("/basket/add/", {"sku": "EO-ONE-CHR", "quantity": 1})
    client.post("/checkout/age/", {"adult": "yes"})
    assert "checked" not in _box(client)


@pytest.mark.promise("PP-8")
@pytest.mark.promise("PP-5")
def test_the_one_page_checkout_shows_an_opted_in_customer_the_box_ticked(client: Client) -> None:
    _customer(client, granted=True, kind=ConsentKind.EXPRESS)
    html = client.get("/checkout/details/").content.decode()
    match = re.search(r"<input[^>]*name=\"marketing_email\"[^>]*>", html)
    assert match is not None
    assert "checked" in match.group(0)
    assert 'value="grace@example.com"' in html
