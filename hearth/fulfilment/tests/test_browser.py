"""The warehouse's journey in a real browser (Playwright + Debian's Chromium): the pick list, the
packing screen driven from the keyboard like a barcode scanner (a wrong serial refused beside the
field), the label PDF, the hand-over; then the customer finds the tracking on the guest page and
gets the shipping confirmation over real SMTP, and the sandbox carrier's simulator drives the
parcel to delivered through the real, signed webhook.

The staff member's session is made server-side (signed in, second factor passed) and handed to
the browser as its cookie: the back-office sign-in has its own browser test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from hearth.core import clock
from hearth.fulfilment.tests.conftest import T0, released_order, variant

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


def _warehouse_cookie() -> dict[str, str]:
    from django.conf import settings

    from hearth.accounts import services as accounts_services
    from hearth.accounts.models import User
    from hearth.accounts.tests.conftest import PASSWORD, pass_second_factor

    accounts_services.sync_roles()
    user = User.objects.create_user(email="packer@example.com", password=PASSWORD)
    accounts_services.assign_role(user=user, role_key="warehouse", actor=None)
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


@pytest.mark.promise("TOS-13", "TOS-18", "PP-7")
def test_warehouse_picks_scans_prints_the_label_ships_and_the_customer_sees_the_tracking(
    live_server: Any, transactional_db: Any, smtp_server: Any, settings: Any, monkeypatch: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.fulfilment.models import Shipment
    from hearth.privacy.models import Disclosure
    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    load_policies()
    variant("EO-ONE-CHR", stock=20)
    with clock.frozen(T0):
        order = released_order([("EO-ONE-CHR", 2)])
        number = order.number
        cookie = _warehouse_cookie()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                staff = browser.new_context(base_url=live_server.url)
                staff.add_cookies([{**cookie, "url": live_server.url}])
                page = staff.new_page()
                page.set_default_timeout(15000)
                page.goto("/back-office/warehouse/pick/")
                expect(page.get_by_role("heading", name="To pick today")).to_be_visible()
                row = page.locator(f'tr[data-order="{number}"]')
                expect(row).to_contain_text("2026-11-02 (today)")
                expect(row).to_contain_text("2 × EO-ONE-CHR")
                row.get_by_role("link", name=number).click()

                # The scanner types into the focused field and presses Enter: no mouse.
                expect(page.get_by_label("Serial number")).to_be_focused()
                page.keyboard.type("EO1C26000001")
                page.keyboard.press("Enter")
                expect(page.get_by_role("status")).to_contain_text("Scanned EO1C26000001")
                expect(page.get_by_label("Serial number")).to_be_focused()
                page.keyboard.type("EO1C26000001")
                page.keyboard.press("Enter")
                expect(page.locator("#id_serial_errors")).to_contain_text("already scanned")
                expect(page.get_by_label("Serial number")).to_have_attribute("aria-invalid", "true")
                page.get_by_label("Serial number").fill("")
                page.keyboard.type("EO1C26000002")
                page.keyboard.press("Enter")
                expect(page.get_by_text("Every unit is scanned.")).to_be_visible()

                # The label button has the focus once every unit is scanned.
                expect(page.get_by_role("button", name="Print the shipping label")).to_be_focused()
                page.keyboard.press("Enter")
                expect(page.get_by_role("heading", name="Label")).to_be_visible()
                tracking = page.locator("[data-tracking-code]").inner_text()
                label = page.request.get(
                    page.get_by_role("link", name="Shipping label (PDF)").get_attribute("href")
                )
                assert label.headers["content-type"] == "application/pdf"
                assert label.body().startswith(b"%PDF")
                page.get_by_role("button", name="Handed to the carrier: mark shipped").click()
                expect(page.get_by_role("heading", name=f"Order {number} shipped")).to_be_visible()

                # The customer, on the guest tracking page.
                guest = browser.new_context(base_url=live_server.url).new_page()
                guest.set_default_timeout(15000)
                guest.goto(f"/track/?number={number}")
                expect(guest.get_by_label("Order number")).to_have_value(number)
                guest.get_by_label("Email address").fill("ada@example.com")
                guest.get_by_label("Postal code it ships to").fill("M5H 2N2")
                guest.get_by_role("button", name="Find my order").click()
                expect(guest.get_by_text(f"Tracking code: {tracking}")).to_be_visible()
                expect(guest.locator("[data-shipment-status]")).to_have_text(
                    "Handed to the carrier"
                )

                # The carrier's simulator posts its events through the signed webhook.
                call_command(
                    "simulate_carrier", tracking, "--ending", "delivered", "--url", live_server.url
                )
                guest.reload()  # the browser re-posts the look-up form
                expect(guest.locator("[data-shipment-status]")).to_have_text("Delivered")
                expect(guest.locator("ol.timeline li")).to_have_count(5)
            finally:
                browser.close()

    shipment = Shipment.objects.get(order__number=number)
    assert (shipment.tracking_code, shipment.status, str(shipment.shipped_on)) == (
        tracking,
        "delivered",
        "2026-11-02",
    )
    assert Disclosure.objects.filter(processor__key="shipping").count() == 1
    messages = smtp_server.wait_for(1)
    shipped = [m for m in messages if "has shipped" in str(m["Subject"])]
    assert len(shipped) == 1
    assert shipped[0]["To"] == "ada@example.com"
    body = shipped[0].get_body().get_content()
    assert tracking in body and "Northern Parcel" in body
    assert f"/carriers/sandbox/track/{tracking}/" in body
