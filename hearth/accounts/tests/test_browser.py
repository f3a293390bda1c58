"""One customer journey in a real browser (Playwright + Debian's Chromium)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from hearth.core import clock

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery 42"
AT = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # privacy policy 2026.2 (material) in force

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


@pytest.mark.promise("PP-15", "PP-8", "PP-21")
def test_customer_signs_up_changes_an_address_withdraws_consent_downloads_data(
    live_server, transactional_db, monkeypatch, tmp_path, settings
):
    from django.core import mail
    from playwright.sync_api import expect, sync_playwright

    from hearth.privacy.services import load_policies

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright's loop
    # Emails are queued and delivered by a task once their transaction commits: run tasks here.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    load_policies()
    with clock.frozen(AT), sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(accept_downloads=True)
            page.set_default_timeout(5000)
            page.goto(f"{live_server.url}/")
            expect(page.get_by_role("heading", name="We have changed our policies")).to_be_visible()

            page.get_by_role("link", name="Create an account").click()
            page.fill("#id_email", "grace@example.com")
            page.fill("#id_full_name", "Grace Hopper")
            page.fill("#id_password", PASSWORD)
            page.fill("#id_password_again", PASSWORD)
            page.check("#id_adult_attestation")
            page.check("#id_marketing_email")
            page.get_by_role("button", name="Create account").click()
            # Issue #10 item 1: the account's email is proven by the emailed link first.
            expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
            sent = [m for m in mail.outbox if m.to == ["grace@example.com"]]
            assert [m.subject for m in sent] == ["Confirm your email address"]
            link = re.search(r"(/verify-email/\S+/)", sent[0].body).group(1)  # type: ignore[union-attr]
            page.goto(f"{live_server.url}{link}")
            page.get_by_role("button", name="Confirm my email address").click()
            expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
            page.fill("#id_email", "grace@example.com")
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.goto(f"{live_server.url}/my-stuff/")
            expect(page.get_by_role("heading", name="My Stuff", exact=True)).to_be_visible()
            expect(page.get_by_role("heading", name="Confirm your email address")).to_have_count(0)

            page.get_by_role("link", name="Add an address").click()
            page.fill("#id_label", "Home")
            page.fill("#id_name", "Grace Hopper")
            page.fill("#id_lines", "12 Wellington Street")
            page.fill("#id_city", "Ottawa")
            page.select_option("#id_province", "ON")
            page.fill("#id_postal_code", "K1A 0B1")
            page.get_by_role("button", name="Save address").click()
            page.get_by_role("link", name="Change address Home").click()
            page.fill("#id_city", "Kanata")
            page.fill("#id_postal_code", "K2K 1X7")
            page.get_by_role("button", name="Save address").click()
            expect(page.locator("address")).to_contain_text("Kanata ON K2K 1X7")

            expect(page.get_by_text("News and offers by email: yes")).to_be_visible()
            page.get_by_role("link", name="Change contact preferences").click()
            page.uncheck("#id_marketing_email")
            page.get_by_role("button", name="Save preferences").click()
            expect(page.get_by_text("News and offers by email: no")).to_be_visible()

            page.get_by_role("link", name="Download my data (JSON)").click()
            page.fill("#id_password", PASSWORD)
            with page.expect_download() as info:
                page.get_by_role("button", name="Continue").click()
            target = tmp_path / "my-data.json"
            info.value.save_as(target)
            data = json.loads(target.read_text(encoding="utf-8"))
            assert data["accounts"]["User"][0]["email"] == "grace@example.com"
            assert data["accounts"]["Address"][0]["city"] == "Kanata"

            # Grace accepted the versions in force when she signed up: no notice for her.
            page.goto(f"{live_server.url}/")
            notice = page.get_by_role("heading", name="We have changed our policies")
            expect(notice).to_have_count(0)
        finally:
            browser.close()
