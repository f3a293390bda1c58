"""Anyone can ask about their data by email; the answer never reveals who is a customer (PP-15)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import signing

from hearth.core import clock
from hearth.privacy.models import DataRequest
from hearth.privacy.services import REQUEST_LINK_SALT

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def _ask(client, email: str, kind: str = "access", note: str = ""):
    return client.post("/privacy/request/", {"email": email, "kind": kind, "note": note})


def _link(message) -> str:
    return re.search(
        r"http://testserver(/privacy/request/confirm/[^/\s]+/)", message.get_content()
    )[1]


def _page_text(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.mark.promise("PP-15")
def test_the_answer_is_the_same_for_an_address_with_and_without_an_account(
    client, make_user, smtp_server, django_capture_on_commit_callbacks
):
    make_user(email="robin@example.com")
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        known = _ask(client, "robin@example.com")
        unknown = _ask(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 200
    assert _page_text(known) == _page_text(unknown)
    assert "Check your inbox" in known.content.decode()
    assert DataRequest.objects.count() == 0  # nothing happens before the link is followed
    mails = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["nobody@example.com", "robin@example.com"]


@pytest.mark.promise("PP-15")
def test_following_the_link_opens_the_request_for_the_account_once(
    client, make_user, smtp_server, django_capture_on_commit_callbacks
):
    user = make_user(email="robin@example.com")
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        _ask(client, "Robin@Example.com", kind="correction", note="My postal code is K1A 0B1.")
    [mail] = smtp_server.wait_for(1)
    link = _link(mail)

    assert "Open my request" in client.get(link).content.decode()  # GET changes nothing
    assert DataRequest.objects.count() == 0
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        opened = client.post(link)
        again = client.post(link)

    assert opened.status_code == again.status_code == 200
    request = DataRequest.objects.get()
    assert (request.user, request.kind, request.request_text) == (
        user,
        "correction",
        "My postal code is K1A 0B1.",
    )
    assert request.requester_email == ""
    assert request.deadline == dt.date(2026, 12, 20)
    assert f"#{request.pk}" in opened.content.decode()
    received = smtp_server.wait_for(2)[1]
    assert received["To"] == "robin@example.com"


@pytest.mark.promise("PP-15")
def test_a_person_without_an_account_is_known_by_the_confirmed_address(
    client, smtp_server, django_capture_on_commit_callbacks
):
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        _ask(client, "guest@example.com", kind="erasure")
    link = _link(smtp_server.wait_for(1)[0])
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        client.post(link)

    request = DataRequest.objects.get()
    assert request.user is None
    assert request.requester_email == "guest@example.com"
    assert request.requester_email_hash
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT requester_email FROM privacy_datarequest")
        (raw,) = cursor.fetchone()
    assert "guest@example.com" not in raw


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        signing.dumps({"email": "x@example.com", "kind": "access", "note": ""}, salt="other"),
    ],
)
def test_a_wrong_link_shows_a_clear_page_and_opens_nothing(client, token):
    response = client.post(f"/privacy/request/confirm/{token}/")
    assert response.status_code == 400
    assert "This link is not valid or has expired." in response.content.decode()
    assert DataRequest.objects.count() == 0


def test_an_expired_link_opens_nothing(client):
    import time
    from unittest import mock

    # Django's signer stamps tokens with the real time: sign one as if 4 days ago (life: 3 days).
    with mock.patch("time.time", return_value=time.time() - 4 * 86400):
        token = signing.dumps(
            {"email": "x@example.com", "kind": "access", "note": ""}, salt=REQUEST_LINK_SALT
        )
    response = client.post(f"/privacy/request/confirm/{token}/")
    assert response.status_code == 400
    assert DataRequest.objects.count() == 0


@pytest.mark.promise("PP-4")
def test_bad_input_is_shown_beside_the_field(client):
    response = client.post("/privacy/request/", {"email": "not-an-email", "kind": "sell-it"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address, such as name@example.com." in html
    assert "Select a valid choice." in html
    assert "Why we ask" in html
