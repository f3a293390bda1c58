"""Issue #13's journey, steps 1-2, in a real browser (Playwright + Debian's Chromium): a customer
begins a 45-day return in My Stuff (a first try without a product is refused beside the field),
gets the RMA number, and the prepaid return label arrives over real SMTP.

The customer's session is made server-side and handed to the browser as its cookie (sign-in has
its own browser test).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from hearth.core import clock
from hearth.fulfilment.tests.conftest import T0, released_order, variant

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LATER = T0 + dt.timedelta(days=10)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


@pytest.mark.promise("TOS-22", "TOS-24")
def test_customer_begins_a_return_in_my_stuff_and_the_label_arrives_over_smtp(
    live_server: Any, transactional_db: Any, smtp_server: Any, settings: Any, monkeypatch: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.accounts.tests.conftest import make_customer
    from hearth.aftersales.models import Rma
    from hearth.fulfilment import services as fulfilment
    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    load_policies()
    variant("EO-ONE-CHR", stock=20)
    with clock.frozen(T0):
        customer = make_customer()
        order = released_order([("EO-ONE-CHR", 1)], customer=customer)
        fulfilment.scan_serial(order=order, serial="EO1C26000777", actor=None, at=T0)
        fulfilment.create_label(order=order, actor=None, at=T0)
        fulfilment.ship_order(order=order, actor=None, at=T0)
    client = Client()
    client.force_login(customer)
    cookie = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }
    smtp_server.messages.clear()  # the order's own emails (confirmation, shipped) are not ours
    with clock.frozen(LATER), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(base_url=live_server.url)
            context.add_cookies([cookie])
            page = context.new_page()
            page.set_default_timeout(15000)
            page.goto(f"/my-stuff/orders/{order.number}/")
            page.get_by_role("link", name="Return a product or make a warranty claim").click()
            expect(page.get_by_role("cell", name="EO1C26000777")).to_be_visible()
            expect(page.get_by_role("cell", name="December 17, 2026")).to_be_visible()  # 2 Nov + 45

            # No product chosen: refused beside the field, nothing issued.
            page.get_by_label("45-day return").check()
            page.get_by_role("button", name="Begin and get my RMA number").click()
            expect(page.locator("#id_serials_errors")).to_contain_text(
                "Choose at least one product"
            )
            assert Rma.objects.count() == 0

            page.get_by_label("EO-ONE-CHR EO1C26000777").check()
            page.get_by_label("A prepaid return label by email").check()
            page.get_by_role("button", name="Begin and get my RMA number").click()
            expect(page.get_by_role("status")).to_contain_text("Status: issued")
            rma = Rma.objects.get()
            expect(page.get_by_role("heading", level=1)).to_contain_text(rma.number)
            expect(
                page.get_by_role("link", name="Download the prepaid return label (PDF)")
            ).to_be_visible()
            expect(
                page.get_by_text("The product must reach us by November 26, 2026.")
            ).to_be_visible()
        finally:
            browser.close()
            # The ORM calls made inside Playwright's block ran in its greenlet, on a connection
            # of their own: close it, or PostgreSQL's test database can't be dropped at the end.
            connections.close_all()

    messages = smtp_server.wait_for(1)
    [confirmation] = [m for m in messages if rma.number in str(m["Subject"])]
    assert confirmation["To"] == "ada@example.com"
    [label] = list(confirmation.iter_attachments())
    assert label.get_filename() == f"{rma.number}-return-label.pdf"
    assert label.get_content().startswith(b"%PDF")
    assert "November 26, 2026" in confirmation.get_body(("plain",)).get_content()
