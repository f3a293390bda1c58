"""The language switch in a real browser with JavaScript off (issue #16 item 2): Playwright
drives Debian's Chromium; the button is found by its role and name, and the same page comes back
in French, then in English again."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


def test_the_switch_works_without_javascript_and_keeps_the_page(
    live_server, transactional_db, monkeypatch
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright's loop
    load_policies()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(java_script_enabled=False, locale="en-CA")
            page = context.new_page()
            page.set_default_timeout(5000)
            page.goto(f"{live_server.url}/terms/")
            assert page.locator("html").get_attribute("lang") == "en"
            switch = page.get_by_role("form", name="Language")
            expect(switch).to_be_visible()
            switch.get_by_role("button", name="Français").click()
            page.wait_for_url(f"{live_server.url}/terms/")
            assert page.locator("html").get_attribute("lang") == "fr-ca"
            expect(page.get_by_role("link", name="Passer au contenu")).to_have_count(1)
            cookie = next(c for c in context.cookies() if c["name"] == "django_language")
            assert (cookie["value"], cookie["expires"], cookie["httpOnly"]) == ("fr-ca", -1, True)
            # And back, from the French page's switch, named in French.
            page.get_by_role("form", name="Langue").get_by_role("button", name="English").click()
            page.wait_for_url(f"{live_server.url}/terms/")
            assert page.locator("html").get_attribute("lang") == "en"
        finally:
            browser.close()
