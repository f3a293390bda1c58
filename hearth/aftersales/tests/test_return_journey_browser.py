"""The 45-day return's journey in a real browser (issue #13 "Tests"; Playwright + Debian's
Chromium), one journey that the after-sales parts extend step by step:

1. a customer begins a return ([rma]: My Stuff's form);
2. the label arrives over real SMTP ([rma]);
3. the warehouse scans the label and the serial on the returns bench, keyboard only like a
   wedge scanner, a wrong serial first (refused, held for care, released by care), then inspects
   the unit and restocks it; the customer's "received" and "inspected" emails arrive over SMTP
   ([inspect], done);
4. finance refunds from its queue ([credit], done);
5. the credit note PDF arrives over real SMTP ([credit], done).

Sessions are made
server-side (signed in, second factor passed for staff) and handed to the browser as a cookie, as
in the warehouse's browser test. (``test_browser_begin.py`` tests steps 1-2 alone, with the
refusal of a form without a product.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from hearth.aftersales.tests.receiving_support import T0, later, shipped_units
from hearth.core import clock

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


def _staff_cookie(role: str) -> dict[str, str]:
    from django.conf import settings

    from hearth.accounts import services as accounts_services
    from hearth.accounts.models import User
    from hearth.accounts.tests.conftest import PASSWORD, pass_second_factor

    accounts_services.sync_roles()
    user = User.objects.create_user(email=f"{role}@example.com", password=PASSWORD)
    accounts_services.assign_role(user=user, role_key=role, actor=None)
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


def _staff_page(browser: Any, base_url: str, role: str) -> Any:
    context = browser.new_context(base_url=base_url)
    context.add_cookies([{**_staff_cookie(role), "url": base_url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


@pytest.mark.promise("TOS-22", "TOS-24")
def test_a_customer_returns_a_product_within_45_days(
    live_server: Any, transactional_db: Any, smtp_server: Any, settings: Any, monkeypatch: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.accounts.tests.conftest import make_customer
    from hearth.aftersales.models import Rma
    from hearth.catalog.models import Variant
    from hearth.fulfilment import services as fulfilment
    from hearth.fulfilment.tests.conftest import released_order
    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    load_policies()

    with clock.frozen(T0):
        (stranger,) = shipped_units()  # another customer's unit, put in the wrong parcel
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
    stock_before = Variant.objects.get(sku="EO-ONE-CHR").stock_on_hand
    smtp_server.messages.clear()  # the orders' own emails (confirmation, shipped) are not ours

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            # --- Step 1 [rma]: the customer begins a return in My Stuff. ---
            with clock.frozen(later(10)):
                context = browser.new_context(base_url=live_server.url)
                context.add_cookies([cookie])
                mine = context.new_page()
                mine.set_default_timeout(15000)
                mine.goto(f"/my-stuff/orders/{order.number}/")
                mine.get_by_role("link", name="Return a product or make a warranty claim").click()
                mine.get_by_label("45-day return").check()
                mine.get_by_label("EO-ONE-CHR EO1C26000777").check()
                mine.get_by_label("A prepaid return label by email").check()
                mine.get_by_role("button", name="Begin and get my RMA number").click()
                expect(mine.get_by_role("status")).to_contain_text("Status: issued")
            rma = Rma.objects.get()
            # --- Step 2 [rma]: the label arrives over real SMTP. ---
            [confirmation] = [m for m in smtp_server.wait_for(1) if rma.number in str(m["Subject"])]
            [label] = list(confirmation.iter_attachments())
            assert label.get_content().startswith(b"%PDF")
            unit = rma.units.get()

            # --- Step 3 [inspect]: the warehouse scans and receives (three days later). ---
            with clock.frozen(later(13)):
                bench = _staff_page(browser, live_server.url, "warehouse")
                bench.goto("/back-office/warehouse/returns/")
                expect(bench.get_by_label("RMA label")).to_be_focused()
                bench.keyboard.type(rma.tracking_code)  # the return label's barcode
                bench.keyboard.press("Enter")
                expect(bench.get_by_role("heading", name=f"Return {rma.number}")).to_be_visible()
                expect(bench.get_by_label("Serial number")).to_be_focused()
                bench.keyboard.type(stranger.serial)
                bench.keyboard.press("Enter")
                expect(bench.get_by_role("alert")).to_contain_text("Refused: serial mismatch.")
                expect(bench.get_by_role("alert")).to_contain_text(unit.serial)
                expect(bench.locator("[data-state]")).to_have_text("held for care")

                # Care finds the hold in its queue and releases it with a note.
                care = _staff_page(browser, live_server.url, "care_agent")
                care.goto("/back-office/rmas/?state=held")
                row = care.locator(f'tr[data-rma="{rma.number}"]')
                row.get_by_label("Why the unit is accepted against this RMA").fill(
                    "Customer sent the right unit in the same parcel"
                )
                row.get_by_role("button", name="Release: receive it").click()
                expect(care.locator(f'tr[data-rma="{rma.number}"]')).to_have_count(0)

                bench.goto(f"/back-office/warehouse/returns/{rma.number}/")
                expect(bench.locator("[data-state]")).to_have_text("received")
                bench.get_by_role("link", name="Inspect").click()
                bench.get_by_label("New (never used, seals intact)").check()
                bench.get_by_label("Yes, complete").check()
                bench.get_by_label("Back to stock (sold as new)").check()
                bench.get_by_role("button", name="Record the inspection").click()
                expect(bench.locator(f'tr[data-serial="{unit.serial}"]')).to_contain_text(
                    "Refund due"
                )
                # Accepted: refunds' on_inspected hook makes it refund due at once.
                expect(bench.locator("[data-state]")).to_have_text("refund due")

                # Care's page of the unit tells its whole story.
                care.goto("/back-office/units/")
                care.get_by_label("Serial number").fill(unit.serial)
                care.get_by_role("button", name="Find").click()
                expect(care.get_by_role("heading", name=f"Unit {unit.serial}")).to_be_visible()
                expect(care.locator("[data-inspection]")).to_contain_text("Refund due")
                expect(care.locator("[data-warranty-end]")).to_have_text("November 2, 2027")
            # --- Step 4 [credit]: finance refunds from its queue, by due date. ---
            with clock.frozen(later(14)):
                finance = _staff_page(browser, live_server.url, "finance")
                finance.goto("/back-office/refunds/")
                row = finance.locator(f"#refund-{rma.number}")
                expect(row).to_contain_text(unit.serial)
                expect(row).to_contain_text("On time")
                row.get_by_role("button", name=f"Refund {rma.number}").click()
                expect(finance.get_by_text(f"{rma.number} refunded")).to_be_visible()
                expect(finance.locator(f"#refund-{rma.number}")).to_have_count(0)
        finally:
            browser.close()
            # The ORM calls made inside Playwright's block ran in its greenlet, on a connection
            # of their own: close it, or PostgreSQL's test database can't be dropped at the end.
            connections.close_all()

    rma.refresh_from_db()
    assert rma.state == "refunded"
    assert Variant.objects.get(sku="EO-ONE-CHR").stock_on_hand == stock_before + 1
    messages = smtp_server.wait_for(4)  # the RMA with its label, received, inspected, credit note
    subjects = [str(m["Subject"]) for m in messages]
    # --- Step 5 [credit]: the credit note PDF arrives over real SMTP. ---
    note = order.credit_notes.get()
    assert (note.reference, note.total) == (rma.number, order.grand_total)
    [mail] = [m for m in messages if str(m["Subject"]).startswith(f"Credit note {note.number}")]
    assert mail["To"] == rma.email
    [pdf] = list(mail.iter_attachments())
    assert pdf.get_filename() == f"credit-note-{note.number}.pdf"
    assert pdf.get_content().startswith(b"%PDF")
    assert f"Return: {rma.number}".encode() in pdf.get_content()
    assert f"We received your return {rma.number}" in subjects
    assert f"Your return {rma.number} is inspected" in subjects
    assert all(m["To"] == rma.email for m in messages if rma.number in str(m["Subject"]))
    assert Rma.objects.filter(state="held").count() == 0
