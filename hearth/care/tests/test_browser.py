"""The care journey in a real browser (Playwright + Debian's Chromium): a guest asks a question
on /support/, gets the confirmation by real SMTP; an agent finds it at the top of the queue,
answers from a template; the answer arrives with the case's reply address; the customer replies
by email through the real SMTP receiver (aiosmtpd) and the reply is on the case; the agent closes
it, answered within the promise (TOS-27).

The agent's session is made server-side (signed in, second factor passed) and handed to the
browser as its cookie: the back-office sign-in has its own browser test.
"""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hearth.care.tests.conftest import T0
from hearth.core import clock

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


def _agent_cookie() -> dict[str, str]:
    from django.conf import settings

    from hearth.accounts import services as accounts_services
    from hearth.accounts.models import User
    from hearth.accounts.tests.conftest import PASSWORD, pass_second_factor

    accounts_services.sync_roles()
    user = User.objects.create_user(email="cora@example.com", password=PASSWORD)
    accounts_services.assign_role(user=user, role_key="care_agent", actor=None)
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.promise("TOS-27")
def test_a_customer_asks_an_agent_answers_and_the_customer_replies_by_email(
    live_server: Any, transactional_db: Any, smtp_server: Any, settings: Any, monkeypatch: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.care.models import Case, State
    from hearth.comms import inbound
    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    settings.HEARTH_CARE_REPLY_DOMAIN = "example.com"
    load_policies()
    receiver_port = _free_port()
    receiver = inbound.start_receiver(host="127.0.0.1", port=receiver_port)
    try:
        with clock.frozen(T0), sync_playwright() as pw:
            cookie = _agent_cookie()
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                # The customer, a guest, asks on /support/.
                guest = browser.new_context(base_url=live_server.url).new_page()
                guest.set_default_timeout(15000)
                guest.goto("/support/")
                guest.get_by_label("Email address (required)").fill("ada@example.com")
                guest.get_by_label("Your name (optional)").fill("Ada")
                guest.get_by_label("Subject (required)").fill("Speaker drops out")
                guest.get_by_label("Your question (required)").fill("The music stops at night.")
                guest.get_by_role("button", name="Send my question").click()
                expect(guest.get_by_role("heading", name="Your question was sent")).to_be_visible()
                case = Case.objects.get()
                expect(guest.get_by_text(case.reference)).to_be_visible()
                [confirmation] = smtp_server.wait_for(1)
                reply_to = f"care+{case.reply_token}@example.com"
                assert confirmation["Reply-To"] == reply_to

                # The agent finds it in the queue and answers from a template.
                staff = browser.new_context(base_url=live_server.url)
                staff.add_cookies([{**cookie, "url": live_server.url}])
                page = staff.new_page()
                page.set_default_timeout(15000)
                page.goto("/back-office/care/")
                page.get_by_role("link", name=case.reference).click()
                page.get_by_label("Start from a template").select_option("need_serial")
                page.get_by_role("button", name="Use this template").click()
                expect(page.get_by_label("Reply to the customer")).to_contain_text("serial number")
                page.get_by_role("button", name="Send the reply").click()
                expect(page.get_by_text("(within the promise)")).to_be_visible()
                answer = [m for m in smtp_server.wait_for(2) if "serial" in m.get_content()]
                assert answer and answer[0]["Reply-To"] == reply_to

                # The customer replies by email, through the real SMTP receiver.
                mail = EmailMessage()
                mail["From"] = "Ada <ada@example.com>"
                mail["To"] = answer[0]["Reply-To"]
                mail["Subject"] = "Re: something"
                mail["Message-ID"] = "<reply-1@mail.example.com>"
                mail.set_content("The serial is EO1C26000001.")
                with smtplib.SMTP("127.0.0.1", receiver_port, timeout=10) as smtp:
                    assert smtp.send_message(mail) == {}

                page.reload()
                expect(page.get_by_text("The serial is EO1C26000001.")).to_be_visible()
                page.get_by_role("button", name="Close the case").click()
                case.refresh_from_db()
                assert case.state == State.CLOSED
                assert case.first_responded_at is not None
                assert case.first_responded_at <= case.first_response_due
            finally:
                browser.close()
    finally:
        receiver.stop()
