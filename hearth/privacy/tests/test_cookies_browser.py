"""Cookies in a real browser (Playwright + Debian's Chromium; issue #15).

- Global Privacy Control end to end: a signed-in customer's browser sends ``Sec-GPC: 1``; no
  banner, only necessary cookies, the cookie page says the signal was honoured, and the ledger
  holds the withdrawals and the sale-or-share opt-out (PP-6, PP-11).
- Refusal: refuse all on the banner, then the browser blocks cookies and the visitor tries to
  buy: the page explains which cookie is needed and why (PP-11).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hearth.checkout.tests.conftest import make_variant

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


@pytest.mark.promise("PP-6", "PP-11")
def test_gpc_end_to_end_no_banner_only_necessary_cookies_and_the_ledger(
    live_server: Any, transactional_db: Any, monkeypatch: Any, settings: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.accounts.tests.conftest import make_customer
    from hearth.privacy import cookie_policy
    from hearth.privacy.models import ConsentRecord
    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    load_policies()
    make_variant("EO-ONE-CHR", price="249.00", stock=5, slug="ember-one", name="Ember One")
    customer = make_customer()
    client = Client()
    client.force_login(customer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(
                base_url=live_server.url, extra_http_headers={"Sec-GPC": "1"}
            )
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
            )
            page = context.new_page()
            page.set_default_timeout(10000)
            page.goto("/")
            expect(page.get_by_role("heading", name="Your cookie choice")).to_have_count(0)
            page.goto("/shop/ember-one/")
            page.get_by_role("button", name="Add to basket").click()
            page.get_by_role("link", name="Cookies: your choice").click()
            expect(page.get_by_role("status")).to_contain_text("Global Privacy Control")
            names = {c["name"] for c in context.cookies()}
        finally:
            browser.close()
    inv = cookie_policy.inventory()
    assert names and all(inv.category_of[name] in inv.necessary for name in names)
    withdrawn = ConsentRecord.objects.filter(user=customer, granted=False)
    assert {r.purpose for r in withdrawn} == {
        "cookies_functional",
        "cookies_statistics",
        "sale_or_share",
    }


@pytest.mark.promise("PP-11")
def test_refusing_all_then_blocking_cookies_explains_which_cookie_checkout_needs(
    live_server: Any, transactional_db: Any, monkeypatch: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_policies()
    make_variant("EO-ONE-CHR", price="249.00", stock=5, slug="ember-one", name="Ember One")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(base_url=live_server.url)
            page = context.new_page()
            page.set_default_timeout(10000)
            page.goto("/shop/ember-one/")
            page.get_by_role("button", name="Refuse all").click()
            expect(page.get_by_role("heading", name="Your cookie choice")).to_have_count(0)
            names = {c["name"] for c in context.cookies()}
            assert "hearth_policy_ack" not in names

            # The browser now blocks this site's cookies: it kept none to send back.
            context.clear_cookies()
            page.get_by_role("button", name="Add to basket").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "This needs a cookie your browser did not send"
            )
            expect(page.get_by_role("main")).to_contain_text("csrftoken")
            expect(page.get_by_role("main")).to_contain_text("Adding to and changing your basket")
        finally:
            browser.close()
