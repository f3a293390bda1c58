"""Issue #13's advance replacement in a real browser (Playwright + Debian's Chromium): a customer
begins a warranty claim in My Stuff asking for a replacement in advance, authorises the card on
the provider's hosted page and sees the replacement on its way; the original never arrives, the
RMA's deadline run expires it, and the charge's email arrives over real SMTP (TOS-24).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from hearth.core import clock
from hearth.fulfilment.tests.conftest import T0, released_order, variant

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LATER = T0 + dt.timedelta(days=40)  # Saturday 12 December 2026, 10:00 in Toronto

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


@pytest.mark.promise("TOS-23", "TOS-24")
def test_advance_replacement_in_my_stuff_then_the_original_never_arrives_and_the_card_is_charged(
    live_server: Any, transactional_db: Any, smtp_server: Any, settings: Any, monkeypatch: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.accounts.tests.conftest import make_customer
    from hearth.aftersales.models import Rma
    from hearth.aftersales.services import expire_rmas
    from hearth.aftersales.warranty_models import AdvanceReplacement, WarrantyReplacement
    from hearth.fulfilment import services as fulfilment
    from hearth.payments.selectors import payment
    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    load_policies()
    variant("EO-ONE-CHR", stock=20)
    with clock.frozen(T0):
        customer = make_customer()
        order = released_order([("EO-ONE-CHR", 1)], customer=customer)
        fulfilment.scan_serial(order=order, serial="EO1C26000888", actor=None, at=T0)
        fulfilment.create_label(order=order, actor=None, at=T0)
        fulfilment.ship_order(order=order, actor=None, at=T0)
    client = Client()
    client.force_login(customer)
    cookie = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }
    smtp_server.messages.clear()  # the order's own emails are not ours
    with clock.frozen(LATER), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(base_url=live_server.url)
            context.add_cookies([cookie])
            page = context.new_page()
            page.set_default_timeout(15000)
            page.goto(f"/my-stuff/orders/{order.number}/return/")
            page.get_by_role("radio", name="warranty claim").check()
            page.get_by_label("EO-ONE-CHR EO1C26000888").check()
            page.get_by_label("What is wrong?").fill("It no longer powers on.")
            page.get_by_label("send me a replacement in advance").check()
            page.get_by_role("button", name="Begin and get my RMA number").click()

            rma = Rma.objects.get()
            expect(page.get_by_role("heading", level=1)).to_contain_text(rma.number)
            expect(page.get_by_text("$281.37", exact=False)).to_be_visible()
            page.get_by_role("button", name="Authorise my card and ship a replacement").click()

            # The provider's own card page.
            page.get_by_label("Card number").fill("4242 4242 4242 4242")
            page.get_by_label("Expiry month").select_option("12")
            page.get_by_label("Expiry year").fill("2030")
            page.get_by_label("Security code (CVC)").fill("123")
            page.get_by_role("button", name="Pay $281.37").click()

            expect(page.get_by_role("status")).to_contain_text("Your replacement is on its way")
            expect(page.get_by_text("card authorised", exact=False)).to_be_visible()
        finally:
            browser.close()
            # The ORM calls made inside Playwright's block ran in its greenlet, on a connection
            # of their own: close it, or PostgreSQL's test database can't be dropped at the end.
            connections.close_all()

    advance = AdvanceReplacement.objects.get(rma=rma)
    assert (advance.state, advance.authorised_amount) == ("authorised", Decimal("281.37"))
    assert WarrantyReplacement.objects.get(rma=rma).order.status == "released"

    # The original never arrives: the deadline run expires the RMA and the card is charged.
    expired_at = LATER + dt.timedelta(days=15)
    with clock.frozen(expired_at):
        assert expire_rmas(at=expired_at) == [rma]
    advance.refresh_from_db()
    assert (advance.state, advance.charged_amount) == ("captured", Decimal("281.37"))
    assert payment(advance.payment_id).captured_amount == Decimal("281.37")
    messages = smtp_server.wait_for(4)
    subjects = [str(m["Subject"]) for m in messages]
    assert f"Claim {rma.number}: the replacement is charged" in subjects
    assert f"Your advance replacement for claim {rma.number}" in subjects
