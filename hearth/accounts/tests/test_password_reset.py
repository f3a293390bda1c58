from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from hearth.accounts.models import User

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a brand new passphrase 7"


def _link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(/password-reset/[^\s]+/)", body)
    assert match, body
    return match.group(1)


def test_reset_email_link_sets_a_new_password(customer, smtp_server):
    response = Client().post("/password-reset/", {"email": "ada@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Reset your Ember & Oak Audio password"
    client = Client()
    form_page = client.get(_link(message), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done["Location"] == "/password-reset/complete/"
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_reset_for_an_unknown_email_gets_the_same_answer_and_sends_nothing(customer, smtp_server):
    known = Client().post("/password-reset/", {"email": "ada@example.com"}, follow=True)
    smtp_server.wait_for(1)
    unknown = Client().post("/password-reset/", {"email": "nobody@example.com"}, follow=True)
    assert unknown.redirect_chain == known.redirect_chain == [("/password-reset/sent/", 302)]
    # The same page but for the cookie banner's CSRF token, masked afresh on every page.
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", unknown.content) == token.sub(b"", known.content)
    smtp_server.wait_for(2, timeout=1.0)
    assert [m["To"] for m in smtp_server.messages] == ["ada@example.com"]


@pytest.mark.parametrize("token", ["wrong-token", "c0ffee-0123456789abcdef0123456789abcdef"])
def test_a_wrong_reset_link_shows_a_clear_page_and_changes_nothing(customer, token):
    uid = urlsafe_base64_encode(force_bytes(customer.pk))
    client = Client()
    page = client.get(f"/password-reset/{uid}/{token}/", follow=True)
    html = page.content.decode()
    assert page.status_code == 200
    assert "This link does not work" in html
    assert "Nothing was changed." in html
    client.post(
        f"/password-reset/{uid}/{token}/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


class _IssuedFourDaysAgo(PasswordResetTokenGenerator):
    """Issues the token a reset email would have carried four days ago (timeout: 3 days)."""

    def _now(self) -> dt.datetime:
        return super()._now() - dt.timedelta(days=4)


def test_an_expired_reset_link_shows_a_clear_page_and_changes_nothing(customer):
    uid = urlsafe_base64_encode(force_bytes(customer.pk))
    token = _IssuedFourDaysAgo().make_token(customer)
    assert not default_token_generator.check_token(customer, token)
    client = Client()
    page = client.get(f"/password-reset/{uid}/{token}/", follow=True)
    assert "This link does not work" in page.content.decode()
    client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else f"/password-reset/{uid}/{token}/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert User.objects.get(pk=customer.pk).check_password(PASSWORD)


def test_a_used_reset_link_does_not_work_twice(customer):
    uid = urlsafe_base64_encode(force_bytes(customer.pk))
    token = default_token_generator.make_token(customer)
    client = Client()
    page = client.get(f"/password-reset/{uid}/{token}/", follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    again = Client().get(f"/password-reset/{uid}/{token}/", follow=True)
    assert "This link does not work" in again.content.decode()
