"""The 45-day return's journey in a real browser (issue #13 "Tests"; Playwright + Debian's
Chromium), one journey that the after-sales parts extend step by step:

1. a customer begins a return ([rma]: My Stuff's form);
2. the label arrives over real SMTP ([rma]);
3. the warehouse scans the label and the serial on the returns bench, keyboard only like a
   wedge scanner, a wrong serial first (refused, held for care, released by care), then inspects
   the unit and restocks it; the customer's "received" and "inspected" emails arrive over SMTP
   ([inspect], done);
4. finance refunds ([credit]);
5. the credit note PDF arrives ([credit]).

Until [rma]'s customer form is on main, steps 1-2 are stood in for by ``issued_rma`` (an RMA
issued on a shipped order): replace that block with the customer's pages, and add steps 4-5
after step 3, reusing ``_staff_page``. Staff sessions are made server-side (signed in, second
factor passed) and handed to the browser as a cookie, as in the warehouse's browser test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hearth.aftersales.tests.receiving_support import T0, issued_rma, later, shipped_units
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

    from hearth.aftersales.models import Rma
    from hearth.catalog.models import Variant
    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    load_policies()
    with clock.frozen(T0):
        (unit,) = shipped_units()
        (stranger,) = shipped_units()  # another customer's unit, put in the wrong parcel
    # --- Steps 1-2 [rma]: stood in for until the customer's form is on main. ---
    rma = issued_rma([unit], issued_at=later(3))
    stock_before = Variant.objects.get(sku=unit.sku).stock_on_hand

    with clock.frozen(later(6)), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            # --- Step 3 [inspect]: the warehouse scans and receives. ---
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
            expect(bench.locator(f'tr[data-serial="{unit.serial}"]')).to_contain_text("Refund due")
            expect(bench.locator("[data-state]")).to_have_text("inspected")

            # Care's page of the unit tells its whole story.
            care.goto("/back-office/units/")
            care.get_by_label("Serial number").fill(unit.serial)
            care.get_by_role("button", name="Find").click()
            expect(care.get_by_role("heading", name=f"Unit {unit.serial}")).to_be_visible()
            expect(care.locator("[data-inspection]")).to_contain_text("Refund due")
            expect(care.locator("[data-warranty-end]")).to_have_text("2027-11-02")
            # --- Steps 4-5 [credit]: finance refunds; the credit note PDF arrives. ---
        finally:
            browser.close()

    rma.refresh_from_db()
    assert rma.state == "inspected"
    assert Variant.objects.get(sku=unit.sku).stock_on_hand == stock_before + 1
    messages = smtp_server.wait_for(4)  # two shipping confirmations, received, inspected
    subjects = [str(m["Subject"]) for m in messages]
    assert f"We received your return {rma.number}" in subjects
    assert f"Your return {rma.number} is inspected" in subjects
    assert all(m["To"] == rma.email for m in messages if rma.number in str(m["Subject"]))
    assert Rma.objects.filter(state="held").count() == 0
