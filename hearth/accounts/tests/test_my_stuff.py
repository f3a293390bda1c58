from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client

from hearth.accounts import services
from hearth.accounts.models import Address, User
from hearth.core import clock
from hearth.privacy import selectors as privacy_selectors
from hearth.privacy.erasure import register_blocker, unregister_blocker
from hearth.privacy.inventory import declared_fields
from hearth.privacy.rules import Blocker
from hearth.privacy.services import record_consent

from .conftest import PASSWORD, T0, make_customer, reauth

pytestmark = pytest.mark.django_db

ADDRESS = {
    "label": "Home",
    "name": "Ada Lovelace",
    "lines": "12 Wellington Street\nUnit 3",
    "city": "Ottawa",
    "province": "ON",
    "postal_code": "k1a0b1",
    "country": "CA",
    "phone": "+1 613 555 0100",
}


def _add(user: User, **overrides) -> Address:
    return services.add_address(
        user=user, data=services.address_input({**ADDRESS, **overrides}), at=T0, actor=user
    )


@pytest.mark.promise("PP-15")
def test_customer_sees_and_corrects_the_profile(customer_client, customer, frozen_now):
    page = customer_client.get("/my-stuff/").content.decode()
    assert "Ada Lovelace" in page and "ada@example.com" in page
    response = customer_client.post("/my-stuff/profile/", {"full_name": "Augusta Ada King"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.full_name == "Augusta Ada King"


@pytest.mark.promise("PP-15")
def test_customer_adds_changes_and_removes_an_address(customer_client, customer, frozen_now):
    response = customer_client.post("/my-stuff/addresses/new/", ADDRESS)
    assert response.status_code == 302
    address = Address.objects.get(user=customer)
    assert (address.name, address.line_list, address.postal_code) == (
        "Ada Lovelace",
        ["12 Wellington Street", "Unit 3"],
        "K1A 0B1",
    )
    assert "12 Wellington Street" in customer_client.get("/my-stuff/").content.decode()
    customer_client.post(
        f"/my-stuff/addresses/{address.pk}/",
        {**ADDRESS, "city": "Kanata", "postal_code": "K2K 1X7"},
    )
    address.refresh_from_db()
    assert (address.city, address.postal_code) == ("Kanata", "K2K 1X7")
    customer_client.post(f"/my-stuff/addresses/{address.pk}/remove/")
    assert Address.objects.filter(user=customer).count() == 0


def test_bad_address_shows_the_error_beside_the_field(customer_client, frozen_now):
    response = customer_client.post("/my-stuff/addresses/new/", {**ADDRESS, "postal_code": "12345"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a Canadian postal code such as K1A 0B1." in html
    assert 'aria-describedby="id_postal_code_errors"' in html
    assert Address.objects.count() == 0


def test_a_customer_cannot_reach_another_customers_address(customer_client, frozen_now):
    other = make_customer("bob@example.com", "Bob")
    theirs = _add(other)
    assert customer_client.get(f"/my-stuff/addresses/{theirs.pk}/").status_code == 404
    assert customer_client.post(f"/my-stuff/addresses/{theirs.pk}/remove/").status_code == 404
    assert customer_client.post(f"/my-stuff/addresses/{theirs.pk}/", ADDRESS).status_code == 404
    assert Address.objects.get(pk=theirs.pk).city == "Ottawa"


@pytest.mark.promise("PP-10")
def test_address_raw_database_row_holds_no_plaintext(customer, frozen_now):
    address = _add(customer)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, lines, city, postal_code, phone FROM accounts_address WHERE id = %s",
            [address.pk],
        )
        raw = cursor.fetchone()
    joined = " ".join(raw)
    for plain in ("Ada", "Lovelace", "Wellington", "Ottawa", "K1A", "613", "0100"):
        assert plain not in joined
    assert Address.objects.get(pk=address.pk).phone == "+1 613 555 0100"


@pytest.mark.promise("PP-8")
def test_withdrawing_marketing_consent_in_my_stuff_takes_effect_at_once(frozen_now):
    user = services.sign_up(
        email="m@example.com", password=PASSWORD, adult_attested=True, marketing_email=True, at=T0
    )
    client = Client()
    client.force_login(user)
    assert privacy_selectors.may_contact(purpose="marketing_email", at=T0, user=user) is True
    html = client.get("/my-stuff/contact-preferences/").content.decode()
    assert 'name="marketing_email"' in html
    with clock.frozen(T0 + dt.timedelta(minutes=1)):
        client.post("/my-stuff/contact-preferences/", {"market_research": "on"})
    at = T0 + dt.timedelta(minutes=1)
    assert privacy_selectors.may_contact(purpose="marketing_email", at=at, user=user) is False
    assert privacy_selectors.may_contact(purpose="market_research", at=at, user=user) is True


@pytest.mark.parametrize(
    "url",
    ["/my-stuff/my-data.json", "/my-stuff/erasure/", "/my-stuff/email/", "/my-stuff/password/"],
)
def test_sensitive_actions_ask_for_the_password_again(customer_client, frozen_now, url):
    response = customer_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/my-stuff/confirm-password/?next=")


def test_reauth_lasts_five_minutes(customer_client, frozen_now):
    response = customer_client.post(
        "/my-stuff/confirm-password/?next=/my-stuff/my-data.json",
        {"password": PASSWORD, "next": "/my-stuff/my-data.json"},
    )
    assert response["Location"] == "/my-stuff/my-data.json"
    assert customer_client.get("/my-stuff/my-data.json").status_code == 200
    with clock.frozen(T0 + dt.timedelta(minutes=5)):
        assert customer_client.get("/my-stuff/my-data.json").status_code == 302


def test_reauth_with_a_wrong_password_is_refused(customer_client, frozen_now):
    response = customer_client.post("/my-stuff/confirm-password/", {"password": "nope"})
    assert "That password is not correct." in response.content.decode()
    assert customer_client.get("/my-stuff/my-data.json").status_code == 302


@pytest.mark.promise("PP-15")
def test_data_download_holds_every_inventory_field_held_about_the_customer(
    customer_client, customer, frozen_now
):
    _add(customer)
    record_consent(
        purpose="marketing_email",
        granted=True,
        kind="express",
        source="my_stuff",
        at=T0,
        user=customer,
        evidence="box ticked",
    )
    reauth(customer_client)
    response = customer_client.get("/my-stuff/my-data.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="my-data-2026-03-02.json"'
    data = json.loads(response.content)
    assert data["accounts"]["User"] == [
        {
            "id": customer.pk,
            "email": "ada@example.com",
            "full_name": "Ada Lovelace",
            "adult_attested_at": T0.isoformat(),
            "email_verified_at": T0.isoformat(),
            "date_joined": T0.isoformat(),
            "last_login": customer.__class__.objects.get(pk=customer.pk).last_login.isoformat(),
            "language": "en",
        }
    ]
    [address] = data["accounts"]["Address"]
    assert address["lines"] == "12 Wellington Street\nUnit 3"
    assert address["phone"] == "+1 613 555 0100"
    accounts_fields = {
        (f.model, f.field)
        for f in declared_fields()
        if f.model in ("accounts.User", "accounts.Address")
    }
    exported = {
        ("accounts." + model, name)
        for model, rows in data["accounts"].items()
        for name in rows[0]
        if name != "id"
    }
    assert accounts_fields <= exported
    # Their consent choices are part of their data.
    assert len(data["privacy"]["ConsentRecord"]) == 1


@pytest.mark.promise("PP-15")
def test_my_data_page_shows_the_same_data(customer_client, customer, frozen_now):
    _add(customer)
    html = customer_client.get("/my-stuff/my-data/").content.decode()
    assert "12 Wellington Street" in html and "ada@example.com" in html and "K1A 0B1" in html


def _blocker(user, at):
    return [
        Blocker(
            code="open_order",
            reason="Order H-1001 is still open.",
            available_on=dt.date(2026, 3, 20),
        )
    ]


def test_erasure_refused_shows_the_reason_and_the_date(customer_client, customer, frozen_now):
    register_blocker(_blocker)
    try:
        reauth(customer_client)
        response = customer_client.post("/my-stuff/erasure/", {"confirm": "on"})
    finally:
        unregister_blocker(_blocker)
    html = response.content.decode()
    assert "Order H-1001 is still open." in html
    assert "You can ask again from March 20, 2026." in html
    assert User.objects.filter(pk=customer.pk).exists()


def test_erasure_erases_the_account_and_signs_out(customer_client, customer, frozen_now):
    _add(customer)
    reauth(customer_client)
    response = customer_client.post("/my-stuff/erasure/", {"confirm": "on"})
    assert "Your account is erased" in response.content.decode()
    assert Address.objects.filter(user_id=customer.pk).count() == 0
    assert customer_client.get("/my-stuff/").status_code == 302


@pytest.mark.promise("PP-15")
def test_erasure_anonymises_the_user_row_so_nothing_identifies_the_person(
    customer_client, customer, frozen_now
):
    old_email = customer.email
    reauth(customer_client)
    customer_client.post("/my-stuff/erasure/", {"confirm": "on"})

    customer.refresh_from_db()
    assert customer.email == f"erased-{customer.pk}@erased.invalid"
    assert customer.full_name == ""
    assert customer.adult_attested_at is None
    assert not customer.is_active
    assert not customer.has_usable_password()
    assert not User.objects.filter(email=old_email).exists()


def test_email_change_after_reauth_waits_for_the_new_address_to_be_proven(
    customer_client, customer, frozen_now
):
    reauth(customer_client)
    response = customer_client.post("/my-stuff/email/", {"email": "ada.king@example.com"})
    assert response.status_code == 200
    assert "We sent a message to ada.king@example.com." in response.content.decode()
    customer.refresh_from_db()
    assert customer.email == "ada@example.com"


def test_password_change_after_reauth_keeps_the_session(customer_client, customer, frozen_now):
    reauth(customer_client)
    new = "another fine passphrase 9"
    response = customer_client.post(
        "/my-stuff/password/", {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(new)
    assert customer_client.get("/my-stuff/").status_code == 200


@pytest.mark.promise("PP-4")
@pytest.mark.parametrize(
    "url",
    ["/my-stuff/profile/", "/my-stuff/addresses/new/", "/my-stuff/contact-preferences/"],
)
def test_my_stuff_forms_state_their_purposes(customer_client, frozen_now, url):
    html = customer_client.get(url).content.decode()
    assert "privacy-notice" in html
    assert "(required)" in html or "(optional)" in html
