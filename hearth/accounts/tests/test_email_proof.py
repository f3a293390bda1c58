"""Issue #10 item 1: nothing found by email is linked to an account until the email is proven.

The attack: a stranger signs up with the victim's email. Before, they saw the victim's guest
order, household and data request in My Stuff, My data and its downloads, and erasing the
stranger's account erased them. Here the attack is played over HTTP and found closed; then the
real owner proves the email and everything is linked at that moment.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from hearth.accounts import rules, services
from hearth.accounts.models import User
from hearth.core import clock
from hearth.devices import services as devices_services
from hearth.devices.models import Household
from hearth.orders import services as orders_services
from hearth.orders.models import Order
from hearth.orders.tests.conftest import card_token, draft, make_variant
from hearth.privacy import services as privacy_services
from hearth.privacy.models import DataRequest, RetentionHold

from .conftest import PASSWORD, T0

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.com"
ATTACKER_PASSWORD = "attacker passphrase 77"


@pytest.fixture(autouse=True)
def setup(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    privacy_services.load_policies()
    with clock.frozen(T0):
        yield


@pytest.fixture
def victims_data(django_capture_on_commit_callbacks, mailoutbox):
    """A guest order, a confirmed household and a data request, all under VICTIM, no account."""
    make_variant("EO-ONE-OAK", "199.00", 5)
    with django_capture_on_commit_callbacks(execute=True):
        order = orders_services.place_order(
            draft=draft(email=VICTIM),
            payment_token=card_token("4242424242424242"),
            payment_method="card",
            idempotency_key="victim-1",
            channel="web",
            at=T0,
        )
        household, _token = devices_services.create_household(serials=["EO-ONE-0001"], at=T0)
        devices_services.register_household(
            household=household,
            email=VICTIM,
            postal_code="K1A 0B1",
            country="CA",
            tier="registered_opt_out",
            at=T0,
        )
    link = next(m.body for m in mailoutbox if "/devices/confirm/" in m.body)
    token = re.search(r"/devices/confirm/([^/\s]+)/", link).group(1)  # type: ignore[union-attr]
    devices_services.confirm_registration(token=token, at=T0)
    request = privacy_services.open_data_request(user=None, kind="access", at=T0, email=VICTIM)
    mailoutbox.clear()
    household.refresh_from_db()
    assert household.customer_id is None and household.confirmed_at == T0
    return order, household, request


def _sign_up(client: Client, email: str, password: str):
    return client.post(
        "/sign-up/",
        {
            "email": email,
            "password": password,
            "password_again": password,
            "adult_attestation": "on",
        },
    )


def _proof_link(mailoutbox) -> str:
    bodies = [m.body for m in mailoutbox if "/verify-email/" in m.body]
    assert len(bodies) == 1
    return re.search(r"https?://[^/\s]+(/verify-email/[^\s]+/)", bodies[0]).group(1)  # type: ignore[union-attr]


@pytest.mark.promise("PP-15")
@pytest.mark.promise("PP-17")
def test_stranger_signing_up_with_a_victims_email_sees_and_erases_nothing_of_theirs(
    victims_data, django_capture_on_commit_callbacks, mailoutbox
):
    order, household, request = victims_data
    # The victim is also mid-way through a guest checkout: the session holds their email.
    shopper = Client()
    shopper.post("/basket/add/", {"sku": "EO-ONE-OAK", "quantity": "1"})
    shopper.post("/checkout/age/", {"adult": "yes"})
    shopper.post("/checkout/contact/", {"email": VICTIM, "name": "Ada Lovelace"})
    assert VICTIM in str(Session.objects.get(session_key=shopper.session.session_key).get_decoded())
    attacker = Client()
    with django_capture_on_commit_callbacks(execute=True):
        answer = _sign_up(attacker, VICTIM, ATTACKER_PASSWORD)
    assert answer.status_code == 200
    assert "Check your email" in answer.content.decode()
    # The verification link went to the victim's mailbox, which the attacker cannot read.
    assert [m.to for m in mailoutbox] == [[VICTIM]]
    account = User.objects.get(email=VICTIM)
    assert account.email_verified_at is None

    # Signing in before proving the email is allowed, but shows nothing linked by email.
    signed_in = attacker.post("/sign-in/", {"email": VICTIM, "password": ATTACKER_PASSWORD})
    assert signed_in.status_code == 302
    stuff = attacker.get("/my-stuff/").content.decode()
    assert "Confirm your email address" in stuff
    assert order.number not in attacker.get("/my-stuff/orders/").content.decode()
    assert str(household.id) not in attacker.get("/my-stuff/devices/").content.decode()
    page = attacker.get("/my-stuff/my-data/").content.decode()
    for secret in (order.number, "100 Queen Street West", "K1A 0B1", "+1 416 555 0100"):
        assert secret not in page
    attacker.post("/my-stuff/confirm-password/", {"password": ATTACKER_PASSWORD})
    download = json.loads(attacker.get("/my-stuff/my-data.json").content)
    # Only the new account itself (its unticked marketing box records nothing, issue #10).
    assert set(download) == {"accounts"}
    assert "Order" not in json.dumps(download) and "Household" not in json.dumps(download)
    assert "DataRequest" not in json.dumps(download)
    api = attacker.post(
        "/api/v1/privacy/me/export",
        json.dumps({"password": ATTACKER_PASSWORD}),
        content_type="application/json",
    ).json()
    assert set(api["data"]) == {"accounts"}
    assert "DataRequest" not in json.dumps(api["data"])

    # Erasing the attacker's account leaves every row of the victim as it was.
    with django_capture_on_commit_callbacks(execute=True):
        erased = attacker.post("/my-stuff/erasure/", {"confirm": "on"})
    assert erased.status_code == 200
    account.refresh_from_db()
    assert not account.is_active
    order.refresh_from_db()
    household.refresh_from_db()
    request.refresh_from_db()
    assert (order.email, order.contact_name, order.customer_id) == (VICTIM, "Ada Lovelace", None)
    assert (household.email, household.postal_code, household.customer_id) == (
        VICTIM,
        "K1A 0B1",
        None,
    )
    assert (request.requester_email, request.user_id) == (VICTIM, None)
    assert not RetentionHold.objects.filter(model="orders.Order", object_pk=str(order.pk)).exists()
    victim_session = Session.objects.get(session_key=shopper.session.session_key)
    assert VICTIM in str(victim_session.get_decoded())


@pytest.mark.promise("PP-15")
@pytest.mark.promise("PP-17")
def test_owner_proving_the_email_links_guest_order_household_and_request_at_that_moment(
    victims_data, django_capture_on_commit_callbacks, mailoutbox
):
    order, household, request = victims_data
    owner = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(owner, VICTIM, PASSWORD)
    link = _proof_link(mailoutbox)
    account = User.objects.get(email=VICTIM)
    assert Order.objects.filter(customer=account).count() == 0  # nothing before the proof

    shown = owner.get(link)
    assert shown.status_code == 200 and "Confirm my email address" in shown.content.decode()
    assert User.objects.get(pk=account.pk).email_verified_at is None  # a GET proves nothing
    assert owner.post(link).status_code == 302

    account.refresh_from_db()
    assert account.email_verified_at == T0
    assert list(Order.objects.filter(customer=account).values_list("number", flat=True)) == [
        order.number
    ]
    assert Household.objects.get(pk=household.pk).customer_id == account.pk
    assert DataRequest.objects.get(pk=request.pk).user_id == account.pk
    owner.post("/sign-in/", {"email": VICTIM, "password": PASSWORD})
    assert order.number in owner.get("/my-stuff/orders/").content.decode()
    assert order.number in owner.get("/my-stuff/my-data/").content.decode()

    # The link works once.
    again = Client().post(link)
    assert again.status_code == 400
    assert "This link is not valid any more." in again.content.decode()


def test_an_expired_or_tampered_proof_link_proves_nothing(django_capture_on_commit_callbacks):
    user = services.sign_up(
        email="grace@example.com",
        password=PASSWORD,
        adult_attested=True,
        marketing_email=False,
        at=T0,
    )
    token = services.email_proof_token(user=user, proving=user.email, at=T0)
    late = T0 + rules.EMAIL_LINK_MAX_AGE + dt.timedelta(seconds=1)
    with pytest.raises(Exception) as expired:
        services.verify_email(token=token, at=late)
    assert getattr(expired.value, "code", None) == "bad_link"
    with pytest.raises(Exception) as tampered:
        services.verify_email(token=token[:-2] + "xx", at=T0)
    assert getattr(tampered.value, "code", None) == "bad_link"
    user.refresh_from_db()
    assert user.email_verified_at is None
    assert services.verify_email(token=token, at=T0).email_verified_at == T0


@pytest.mark.promise("PP-15")
def test_email_change_needs_the_new_address_proven_and_tells_the_old_one(
    django_capture_on_commit_callbacks, mailoutbox
):
    from .conftest import make_customer, reauth

    customer = make_customer("ada@example.com")
    client = Client()
    client.force_login(customer)
    reauth(client, T0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/my-stuff/email/", {"email": "ada.king@example.com"})
    assert [m.to for m in mailoutbox] == [["ada.king@example.com"]]
    customer.refresh_from_db()
    assert customer.email == "ada@example.com"  # nothing changes before the proof
    link = _proof_link(mailoutbox)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(link).status_code == 302
    customer.refresh_from_db()
    assert (customer.email, customer.email_verified_at) == ("ada.king@example.com", T0)
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["ada@example.com"], "Your account's email address was changed")
    ]
    assert Client().post(link).status_code == 400  # once only


def test_a_password_reset_proves_the_email(django_capture_on_commit_callbacks, mailoutbox):
    user = services.sign_up(
        email="grace@example.com",
        password=PASSWORD,
        adult_attested=True,
        marketing_email=False,
        at=T0,
    )
    client = Client()
    client.post("/password-reset/", {"email": "grace@example.com"})
    path = re.search(r"https?://[^/\s]+(/password-reset/\S+/)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    form = client.get(path, follow=True)
    new = "a brand new passphrase 5"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    user.refresh_from_db()
    assert user.check_password(new)
    assert user.email_verified_at == T0


@pytest.mark.promise("PP-15")
def test_a_phone_order_for_an_address_whose_account_is_not_proven_stays_a_guest_order():
    stranger = services.sign_up(
        email=VICTIM, password=PASSWORD, adult_attested=True, marketing_email=False, at=T0
    )
    assert (
        orders_services.find_or_create_customer(
            email="Victim@Example.com", full_name="", actor=None
        )
        is None
    )
    stranger.email_verified_at = T0
    stranger.save(update_fields=["email_verified_at"])
    found = orders_services.find_or_create_customer(email=VICTIM, full_name="", actor=None)
    assert found == stranger
