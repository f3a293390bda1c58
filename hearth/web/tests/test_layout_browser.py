"""The page's frame in Debian's Chromium (Playwright), in English and French (issue #16 items 5
and 6): the skip link comes first in tab order and leads into <main>; the policy notice is a
compact bar after the main content, in the page and in tab order; at 375 px wide no main page
scrolls sideways (``document.documentElement.scrollWidth``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hearth.checkout.tests.conftest import AT, VISA, make_variant
from hearth.core import clock

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LANGUAGES = {"en": "en", "fr-CA": "fr-CA,fr;q=0.9"}
SKIP = {"en": "Skip to main content", "fr-CA": "Passer au contenu principal"}
PHONE = {"width": 375, "height": 800}
# The innermost elements reaching past the window's right edge, for the failure message.
WIDEST = """() => { const out = e => e.getBoundingClientRect().right > window.innerWidth + 0.5;
  return [...document.querySelectorAll('body *')].filter(out)
  .filter(e => ![...e.children].some(out))
  .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
    + ' ' + Math.round(e.getBoundingClientRect().right) + ': '
    + (e.textContent || '').trim().slice(0, 40)); }"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as pw:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _context(chromium: Any, base_url: str, language: str) -> Any:
    return chromium.new_context(
        base_url=base_url,
        locale=language,
        viewport=PHONE,
        extra_http_headers={"Accept-Language": LANGUAGES[language]},
    )


def _focused_is_inside(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            "s => { const e = document.activeElement; return !!(e && e.closest(s)); }", selector
        )
    )


@pytest.mark.promise("PP-21")
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_skip_link_leads_into_main_and_the_policy_bar_follows_the_content(
    chromium: Any, live_server: Any, transactional_db: Any, language: str
) -> None:
    from hearth.privacy.services import load_policies

    load_policies()  # privacy 2026.2, a material change, is in force at AT: the notice shows
    with clock.frozen(AT):
        context = _context(chromium, live_server.url, language)
        page = context.new_page()
        page.set_default_timeout(10000)
        try:
            page.goto("/")
            bar = page.locator(".policy-bar")
            assert bar.count() == 1
            # In the page after <main>, before the footer; in tab order after the content.
            assert page.evaluate(
                "() => !!(document.querySelector('main').compareDocumentPosition("
                "document.querySelector('.policy-bar')) & Node.DOCUMENT_POSITION_FOLLOWING)"
            )
            assert page.locator("main .policy-bar").count() == 0
            # The first Tab lands on the skip link; following it, the next Tab is in <main>.
            page.keyboard.press("Tab")
            focused = page.evaluate("() => document.activeElement.textContent.trim()")
            assert focused == SKIP[language]
            page.keyboard.press("Enter")
            page.keyboard.press("Tab")
            assert _focused_is_inside(page, "main")
            # Without the skip link, every Tab before the content stays out of the bar.
            page.goto("/")
            for _ in range(30):
                page.keyboard.press("Tab")
                assert not _focused_is_inside(page, ".policy-bar, .cookie-banner")
                if _focused_is_inside(page, "main"):
                    break
            else:
                pytest.fail("30 Tab presses never reached the main content")
            # Compact at 375 px: at most two lines of text (the button's border aside).
            box = bar.bounding_box()
            content, line = page.evaluate(
                "() => { const b = document.querySelector('.policy-bar'), s = getComputedStyle(b);"
                " return [b.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom),"
                " parseFloat(s.lineHeight)]; }"
            )
            assert content <= 2 * line + 6, (content, line)
            assert box["height"] <= PHONE["height"] / 10, box
            assert box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)
            # Acknowledged, it is gone.
            bar.get_by_role("button").click()
            page.goto("/shop/")
            assert page.locator(".policy-bar").count() == 0
        finally:
            context.close()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_no_main_page_scrolls_sideways_at_375_px(
    chromium: Any, live_server: Any, transactional_db: Any, settings: Any, language: str
) -> None:
    from hearth.accounts.tests.conftest import make_customer
    from hearth.privacy.services import load_policies

    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    load_policies()
    make_variant(
        "EO-ONE-CHR", price="1249.00", stock=5, slug="ember-one", name="Ember One Wireless Speaker"
    )
    make_variant("EO-SUB-CHR", price="899.00", stock=5, slug="ember-sub", name="Ember Subwoofer")
    customer = make_customer()
    client = Client()
    client.force_login(customer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    wide: dict[str, str] = {}
    with clock.frozen(AT):
        context = _context(chromium, live_server.url, language)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        page.set_default_timeout(10000)

        def measure(name: str) -> None:
            page.wait_for_load_state()
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                culprits = page.evaluate(WIDEST)
                wide[f"{name} ({page.url})"] = f"{width} px; {culprits}"

        try:
            for path, name in [("/", "home"), ("/shop/", "shop"), ("/support/", "support")]:
                page.goto(path)
                measure(name)
            for slug in ("ember-sub", "ember-one"):
                page.goto(f"/shop/{slug}/")
                page.locator("main form[action$='/basket/add/'] button[type=submit]").first.click()
            page.goto("/shop/ember-one/")
            measure("product")
            page.goto("/basket/")
            measure("basket")
            page.goto("/checkout/")
            page.check("input[name=adult][value=yes]")
            page.locator("main form[method=post] button[type=submit]").last.click()
            page.wait_for_url("**/checkout/details/")
            measure("checkout details")
            page.fill("#id_name", "Ada Lovelace")
            page.fill("#id_lines", "12 Wellington Street")
            page.fill("#id_city", "Ottawa")
            page.select_option("#id_province", "ON")
            page.fill("#id_postal_code", "K1A 0B1")
            page.check("input[name=payment_method][value=card]")
            page.locator("main form[method=post] button[type=submit]").last.click()
            measure("payment provider's card page")
            page.fill("#id_card_number", VISA)
            page.select_option("#id_exp_month", "12")
            page.fill("#id_exp_year", "2030")
            page.fill("#id_cvc", "123")
            page.locator("main form[method=post] button[type=submit]").first.click()
            page.wait_for_url("**/checkout/review/")
            measure("review")
            for box in ("#id_adult", "#id_end_user", "#id_accurate"):
                page.check(box)
            page.locator("main form[method=post] button[type=submit]").last.click()
            page.wait_for_url("**/checkout/confirmation/**")
            measure("confirmation")
            number = page.locator("[data-order-number]").inner_text().strip()
            page.goto("/my-stuff/orders/")
            measure("My Stuff: orders")
            page.goto(f"/my-stuff/orders/{number}/")
            measure("My Stuff: order")
        finally:
            context.close()
    assert wide == {}, f"wider than {PHONE['width']} px: {wide}"
