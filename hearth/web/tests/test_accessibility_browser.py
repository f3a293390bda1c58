"""axe-core in Debian's Chromium (Playwright) over the customer-facing site, in English and in
French for Quebec (issue #16 item 5): every public page, every checkout step with its error
states, My Stuff, the support form with errors and the cookie banner open. A page passes with no
"serious" or "critical" violation; the failure message lists each one with its nodes.

axe-core is vendored in ``axe/`` (``axe.min.js`` from the npm package ``axe-core``, MPL-2.0,
licence beside it): the PyPI wrapper ``axe-playwright-python`` ships axe 4.4 (2022), which
misses years of rule fixes; the wrapper is a few lines of ``axe.run`` that this module does
itself. Nothing is downloaded at test time.

One Chromium per module; each test walks a journey and scans every page it reaches, so the
whole module stays well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hearth.checkout.tests.conftest import AT, DECLINE_FUNDS, VISA, make_variant
from hearth.core import clock

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parent / "axe" / "axe.min.js"
BLOCKING = {"serious", "critical"}
LANGUAGES = {"en": "en", "fr-CA": "fr-CA,fr;q=0.9"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # The ORM runs beside Playwright's event loop in this thread.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as pw:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Scanner:
    """Runs axe on the page as it is and keeps every serious or critical violation."""

    def __init__(self, page: Any, language: str) -> None:
        self.page = page
        self.language = language
        self.scanned: list[str] = []
        self.found: list[str] = []
        self.rules: set[str] = set()

    def scan(self, name: str) -> None:
        self.page.wait_for_load_state()
        result = self.page.evaluate(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})); }"
        )
        self.scanned.append(name)
        for violation in result:
            if violation["impact"] in BLOCKING:
                self.rules.add(violation["id"])
                nodes = "\n      ".join(violation["nodes"])
                self.found.append(
                    f"[{self.language}] {name} ({self.page.url}): {violation['impact']} "
                    f"{violation['id']}: {violation['help']}\n      {nodes}"
                )

    def assert_clean(self) -> None:
        assert self.scanned, "nothing was scanned"
        assert not self.found, "axe found serious or critical violations:\n" + "\n".join(self.found)


def _context(chromium: Any, base_url: str, language: str, **kwargs: Any) -> Any:
    context = chromium.new_context(
        base_url=base_url,
        locale=language,
        extra_http_headers={"Accept-Language": LANGUAGES[language]},
        **kwargs,
    )
    context.add_init_script(path=str(AXE))
    return context


def _pay(page: Any, number: str) -> None:
    """Fill the sandbox provider's card page and pay."""
    page.fill("#id_card_number", number)
    page.select_option("#id_exp_month", "12")
    page.fill("#id_exp_year", "2030")
    page.fill("#id_cvc", "123")
    page.locator("main form[method=post] button[type=submit]").first.click()


def _place(page: Any) -> None:
    for box in ("#id_adult", "#id_end_user", "#id_accurate"):
        page.check(box)
    _submit(page)


def _expect_field_errors(page: Any) -> None:
    """The page scanned is the error state: fields marked invalid, tied to their messages."""
    invalid = page.locator("main [aria-invalid=true]")
    assert invalid.count() > 0, f"no field marked invalid on {page.url}"
    described = invalid.first.get_attribute("aria-describedby") or ""
    assert any(page.locator(f"#{i}").count() for i in described.split()), described


def _submit(page: Any) -> None:
    """Submit the page's main form (the button's name depends on the language)."""
    page.locator("main form[method=post] button[type=submit]").last.click()


def _gallery_and_specifications(product: Any) -> None:
    """The product page as the demo catalogue has it: a gallery of two and a specification table."""
    from hearth.catalog.models import ProductImage, Specification

    for n, image in enumerate(("ember-one", "ember-one-back")):
        ProductImage.objects.create(
            product=product,
            position=n,
            image=f"catalog/img/{image}.svg",
            alt=f"Picture {n} of Ember One",
            alt_fr=f"Image {n} d’Ember One",
        )
    Specification.objects.create(
        product=product, label="Weight", label_fr="Poids", value="1.9 kg", value_fr="1,9 kg"
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_public_pages_and_their_error_states_have_no_serious_axe_violations(
    chromium: Any, live_server: Any, transactional_db: Any, language: str
) -> None:
    from hearth.privacy.services import load_policies

    load_policies()
    variant = make_variant(
        "EO-ONE-CHR", price="249.00", stock=5, slug="ember-one", name="Ember One"
    )
    _gallery_and_specifications(variant.product)
    with clock.frozen(AT):
        context = _context(chromium, live_server.url, language)
        page = context.new_page()
        page.set_default_timeout(10000)
        axe = Scanner(page, language)
        try:
            page.goto("/")
            assert page.locator(".cookie-banner").count() == 1  # the banner is open
            axe.scan("home, cookie banner open")
            for path, name in [
                ("/shop/", "shop"),
                ("/shop/ember-one/", "product"),
                ("/shop/search/?q=ember", "search results"),
                ("/shop/search/?q=zzzz", "search without results"),
                ("/privacy/", "privacy policy"),
                ("/terms/", "terms of sale"),
                ("/eula/", "licence agreement"),
                ("/legal/privacy/", "privacy policy versions"),
                ("/legal/privacy/2026.2/", "a privacy policy version"),
                ("/cookies/", "cookies"),
                ("/track/", "track an order"),
                ("/privacy/request/", "ask about your data"),
                ("/privacy/acknowledge/", "acknowledge the policy changes"),
                ("/sign-in/", "sign-in"),
                ("/sign-up/", "sign-up"),
                ("/password-reset/", "password reset"),
                ("/no-such-page/", "404"),
            ]:
                page.goto(path)
                axe.scan(name)
            page.goto("/sign-up/")
            _submit(page)
            axe.scan("sign-up with errors")
            _expect_field_errors(page)
            page.goto("/track/")
            _submit(page)
            axe.scan("track with errors")
            _expect_field_errors(page)
            page.goto("/support/")
            axe.scan("support")
            _submit(page)
            axe.scan("support with errors")
            _expect_field_errors(page)
            page.goto("/shop/ember-one/")
            page.locator("main form[action$='/basket/add/'] button[type=submit]").first.click()
            page.goto("/basket/")
            axe.scan("basket with a speaker")
            # A guest's checkout: the details form asks for the contact too.
            page.goto("/checkout/")
            _submit(page)
            axe.scan("checkout: age question unanswered")
            _expect_field_errors(page)
            page.check("input[name=adult][value=yes]")
            _submit(page)
            page.wait_for_url("**/checkout/details/")
            _submit(page)
            axe.scan("checkout: a guest's details submitted empty")
            _expect_field_errors(page)
            assert page.locator("main #id_email[aria-invalid=true]").count() == 1
        finally:
            context.close()
    axe.assert_clean()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_checkout_with_its_errors_and_my_stuff_have_no_serious_axe_violations(
    chromium: Any, live_server: Any, transactional_db: Any, settings: Any, language: str
) -> None:
    from hearth.accounts.tests.conftest import make_customer
    from hearth.privacy.services import load_policies

    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    load_policies()
    make_variant("EO-ONE-CHR", price="249.00", stock=5, slug="ember-one", name="Ember One")
    customer = make_customer()
    client = Client()
    client.force_login(customer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with clock.frozen(AT):
        context = _context(chromium, live_server.url, language)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        page.set_default_timeout(10000)
        axe = Scanner(page, language)
        try:
            page.goto("/shop/ember-one/")
            page.locator("main form[action$='/basket/add/'] button[type=submit]").first.click()
            page.goto("/checkout/")
            axe.scan("checkout: age question")
            page.check("input[name=adult][value=yes]")
            _submit(page)
            axe.scan("checkout: details")
            _submit(page)
            axe.scan("checkout: details submitted empty")
            _expect_field_errors(page)
            page.fill("#id_name", "Ada Lovelace")
            page.fill("#id_lines", "12 Wellington Street")
            page.fill("#id_city", "Ottawa")
            page.select_option("#id_province", "ON")
            page.fill("#id_postal_code", "H0H")
            page.check("input[name=payment_method][value=card]")
            _submit(page)
            axe.scan("checkout: details with a bad postal code")
            _expect_field_errors(page)
            page.fill("#id_postal_code", "K1A 0B1")
            page.check("input[name=payment_method][value=card]")
            _submit(page)
            axe.scan("payment provider: card page")
            page.locator("main form[method=post] button[type=submit]").first.click()
            axe.scan("payment provider: card page submitted empty")
            _expect_field_errors(page)
            # The one-step-per-page forms stay reachable (back links, a changed address).
            for path, name in [
                ("/checkout/contact/", "checkout: contact step"),
                ("/checkout/delivery/", "checkout: delivery step"),
                ("/checkout/address/", "checkout: address step"),
            ]:
                page.goto(path)
                assert page.url.endswith(path), page.url
                axe.scan(name)
            page.fill("#id_postal_code", "H0H")
            _submit(page)
            axe.scan("checkout: address step with a bad postal code")
            _expect_field_errors(page)
            page.goto("/checkout/payment/")
            page.check("input[name=payment_method][value=card]")
            _submit(page)
            _pay(page, DECLINE_FUNDS)
            page.wait_for_url("**/checkout/review/")
            axe.scan("checkout: review")
            _submit(page)
            axe.scan("checkout: review without the attestations")
            _expect_field_errors(page)
            _place(page)
            page.wait_for_url("**/checkout/payment/")
            assert page.locator("main .message--error").count() == 1  # the decline, said why
            axe.scan("checkout: payment after a declined card")
            page.check("input[name=payment_method][value=card]")
            _submit(page)
            _pay(page, VISA)
            page.wait_for_url("**/checkout/review/")
            _place(page)
            page.wait_for_url("**/checkout/confirmation/**")
            axe.scan("checkout: confirmation")
            number = page.locator("[data-order-number]").inner_text().strip()

            for path, name in [
                ("/my-stuff/", "My Stuff"),
                ("/my-stuff/orders/", "My Stuff: orders"),
                (f"/my-stuff/orders/{number}/", "My Stuff: order detail"),
                ("/my-stuff/returns/", "My Stuff: returns"),
                ("/my-stuff/profile/", "My Stuff: profile and addresses"),
                ("/my-stuff/contact-preferences/", "My Stuff: consents"),
                ("/my-stuff/my-data/", "My Stuff: your data"),
                ("/my-stuff/addresses/new/", "My Stuff: new address"),
            ]:
                page.goto(path)
                axe.scan(name)
            _submit(page)
            axe.scan("My Stuff: address with errors")
            _expect_field_errors(page)
        finally:
            context.close()
    axe.assert_clean()


def test_the_scanner_reports_a_serious_violation(chromium: Any, live_server: Any) -> None:
    """The scan itself works: a page with an unlabelled field and low contrast fails it."""
    context = _context(chromium, live_server.url, "en")
    page = context.new_page()
    try:
        page.set_content(
            '<html lang="en"><body><main><p style="color:#bbb;background:#fff">faint</p>'
            '<input type="text"></main></body></html>'
        )
        page.add_script_tag(path=str(AXE))
        axe = Scanner(page, "en")
        axe.scan("a broken page")
    finally:
        context.close()
    assert axe.rules >= {"color-contrast", "label"}, axe.found
