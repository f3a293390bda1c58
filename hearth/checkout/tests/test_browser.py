"""Checkout journeys in a real browser (Playwright + Debian's Chromium), without JavaScript
needed by the pages: a guest buys a speaker with a test Visa and gets the invoice by email; a
buyer who enters a PO box is told why it is refused.

The emails are tasks (django_tasks' database backend, as configured in settings): the test runs
the worker in-process with ``call_command("db_worker", "--batch", ...)`` after placing, and the
mail goes over SMTP to the ``smtp_server`` fixture's real server on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from hearth.checkout.tests.conftest import AT, VISA, make_variant
from hearth.core import clock

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


def _launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def _to_details_page(page: Any, base: str) -> None:
    page.goto(f"{base}/shop/ember-one/")
    page.get_by_role("button", name="Add to basket").click()
    page.get_by_role("link", name="Checkout now").click()
    # Issue #10 item 11: the 18+ question comes before any personal information.
    page.get_by_label("Yes, I am 18 or older.").check()
    page.get_by_role("button", name="Continue").click()
    # Issue #12 item 3: contact, address, delivery and payment method on one page.
    page.fill("#id_email", "ada@example.com")
    page.fill("#id_name", "Ada Lovelace")


@pytest.mark.promise("TOS-4", "TOS-3", "TOS-13", "TOS-14", "TOS-7", "TOS-11")
def test_guest_buys_a_speaker_with_a_test_visa_and_gets_the_invoice_by_email(
    live_server: Any, transactional_db: Any, smtp_server: Any, monkeypatch: Any, settings: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.orders.models import Order
    from hearth.privacy.services import load_policies

    # The database backend, as configured in settings (smtp_server runs tasks immediately):
    # the emails wait in the queue until the worker below sends them.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright
    load_policies()
    make_variant("EO-ONE-CHR", price="249.00", stock=5, slug="ember-one", name="Ember One")
    with clock.frozen(AT), sync_playwright() as pw:
        browser = _launch(pw)
        try:
            page = browser.new_page()
            page.set_default_timeout(10000)
            _to_details_page(page, live_server.url)
            page.fill("#id_lines", "12 Wellington Street")
            page.fill("#id_city", "Ottawa")
            page.select_option("#id_province", "ON")
            page.fill("#id_postal_code", "K1A 0B1")
            expect(page.get_by_label("Standard: free, ships November 2, 2026")).to_be_checked()
            page.get_by_label("Credit card").check()
            page.get_by_role("button", name="Continue to payment details").click()

            # The payment provider's own page: the card number never reaches Hearth.
            page.get_by_label("Card number").fill(VISA)
            page.get_by_label("Expiry month").select_option("12")
            page.get_by_label("Expiry year").fill("2030")
            page.get_by_label("Security code").fill("123")
            page.get_by_role("button", name="Pay").click()

            expect(page.get_by_role("heading", name="Review and place your order")).to_be_visible()
            expect(page.get_by_text("HST (13%)")).to_be_visible()
            # Keyboard only: tick the three attestations and place the order.
            for box in ("#id_adult", "#id_end_user", "#id_accurate"):
                page.focus(box)
                page.keyboard.press("Space")
            page.get_by_role("button", name="Place order").focus()
            page.keyboard.press("Enter")

            expect(
                page.get_by_role("heading", name="Thank you: your order is placed")
            ).to_be_visible()
            number = page.locator("[data-order-number]").inner_text()
            expect(page.get_by_text("Expected to ship November 2, 2026")).to_be_visible()
        finally:
            browser.close()

    assert number == Order.objects.get().number  # read outside Playwright's event loop
    call_command(
        "db_worker", "--batch", "--queue-name=*", "--no-startup-delay", "--no-reload", verbosity=0
    )
    messages = smtp_server.wait_for(2)
    assert {m["To"] for m in messages} == {"ada@example.com"}
    pdfs = [
        part
        for m in messages
        for part in m.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]
    assert len(pdfs) == 1
    assert pdfs[0].get_content().startswith(b"%PDF")
    assert any(
        number in str(m["Subject"]) or number in m.get_body().get_content() for m in messages
    )


@pytest.mark.promise("TOS-17")
def test_a_buyer_who_enters_a_po_box_sees_why_it_is_refused(
    live_server: Any, transactional_db: Any, monkeypatch: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    make_variant("EO-ONE-CHR", price="249.00", stock=5, slug="ember-one", name="Ember One")
    with clock.frozen(AT), sync_playwright() as pw:
        browser = _launch(pw)
        try:
            page = browser.new_page()
            page.set_default_timeout(10000)
            _to_details_page(page, live_server.url)
            page.fill("#id_lines", "PO Box 123")
            page.fill("#id_city", "Ottawa")
            page.select_option("#id_province", "ON")
            page.fill("#id_postal_code", "K1A 0B1")
            page.get_by_role("button", name="Continue to payment details").click()
            error = page.locator("#id_lines_errors")
            expect(error).to_be_visible()
            expect(error).to_contain_text("box", ignore_case=True)
            expect(page.locator("#id_lines")).to_have_attribute("aria-invalid", "true")
            expect(page.get_by_role("heading", name="Delivery address")).to_be_visible()
        finally:
            browser.close()
