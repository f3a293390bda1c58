"""Issue #10 item 11: the 18+ question comes before any personal information at checkout, and a
refused or abandoned checkout keeps nothing personal in the session (PP-13, TOS-3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from hearth.checkout import rules, services
from hearth.checkout.tests.conftest import AT
from hearth.core import clock

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")

CONTACT = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "613-555-0101"}


def _stored(client: Client) -> str:
    """The session as stored in the database, decoded."""
    row = Session.objects.get(session_key=client.session.session_key)
    return str(row.get_decoded())


def _start(client: Client) -> None:
    client.post("/basket/add/", {"sku": "EO-ONE-CHR", "quantity": "1"})


@pytest.mark.promise("PP-13")
@pytest.mark.promise("TOS-3")
def test_the_age_question_comes_before_any_personal_field(client: Client) -> None:
    _start(client)
    assert client.get("/checkout/").url == "/checkout/age/"
    assert client.get("/checkout/contact/").url == "/checkout/age/"
    refused = client.post("/checkout/contact/", CONTACT)
    assert refused.url == "/checkout/age/"
    assert "ada@example.com" not in _stored(client)
    page = client.get("/checkout/age/").content.decode()
    assert "Are you 18 or older?" in page
    for personal in ('name="email"', 'name="name"', 'name="phone"', 'name="lines"'):
        assert personal not in page


@pytest.mark.promise("PP-13")
@pytest.mark.promise("TOS-3")
def test_saying_under_18_ends_the_checkout_and_keeps_nothing(client: Client) -> None:
    _start(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    assert "ada@example.com" in _stored(client)
    answer = client.post("/checkout/age/", {"adult": "no"})
    assert answer.status_code == 200
    assert "We cannot take your order" in answer.content.decode()
    stored = _stored(client)
    assert "ada@example.com" not in stored and "Ada Lovelace" not in stored
    assert "checkout'" not in stored.replace("checkout_placed", "")
    assert client.get("/checkout/contact/").url == "/checkout/age/"


def test_no_answer_is_asked_again() -> None:
    client = Client()
    _start(client)
    page = client.post("/checkout/age/", {})
    assert page.status_code == 200
    assert "Tell us whether you are 18 or older to go on." in page.content.decode()


@pytest.mark.promise("PP-13")
def test_an_abandoned_checkout_is_purged_from_the_stored_session(client: Client) -> None:
    _start(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    other = Client()
    _start(other)
    assert services.purge_abandoned_checkouts(at=AT + dt.timedelta(minutes=29)) == 0
    assert "ada@example.com" in _stored(client)
    with clock.frozen(AT + dt.timedelta(minutes=20)):
        other.post("/checkout/age/", {"adult": "yes"})
        other.post("/checkout/contact/", {**CONTACT, "email": "grace@example.com"})
    assert services.purge_abandoned_checkouts(at=AT + rules.CHECKOUT_IDLE) == 1
    assert "ada@example.com" not in _stored(client)
    assert "grace@example.com" in _stored(other)  # touched 20 minutes later: still going
    assert services.purge_abandoned_checkouts(at=AT + rules.CHECKOUT_IDLE) == 0  # twice: safe
    # The basket (products only) is kept: the shopper starts again at the age question.
    assert client.get("/checkout/").url == "/checkout/age/"


@pytest.mark.promise("PP-13")
def test_coming_back_after_the_idle_time_finds_nothing_filled_in(client: Client) -> None:
    _start(client)
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    with clock.frozen(AT + rules.CHECKOUT_IDLE + dt.timedelta(seconds=1)):
        assert client.get("/checkout/contact/").url == "/checkout/age/"
        assert "ada@example.com" not in _stored(client)


@pytest.mark.parametrize(
    ("minutes", "abandoned"), [(0, False), (29, False), (30, True), (600, True)]
)
def test_checkout_abandoned_after_thirty_idle_minutes(minutes: int, abandoned: bool) -> None:
    touched = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
    now = touched + dt.timedelta(minutes=minutes)
    assert rules.checkout_abandoned(touched, now=now) is abandoned
    assert rules.checkout_abandoned(None, now=now) is True
