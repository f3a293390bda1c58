"""Crawls of the whole public site (issue #15 items 2, 7 and 8).

- An anonymous visitor who accepted nothing, through every public page and a whole guest
  checkout: only strictly necessary cookies, none persistent with personal content (PP-11);
  the crawl runs with COOKIE_POLICY_RAISE on, so any cookie outside the inventory fails it.
- The same visitor is never asked for personal information before a purchase or a request
  begins (PP-1).
- A signed-in customer: every link out carries rel="noopener noreferrer" and none carries
  personal data in its URL (PP-14).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from hearth.checkout.tests.conftest import frozen_clock, speaker  # noqa: F401  (fixtures)
from hearth.checkout.tests.test_web_checkout import ADDRESS, CONTACT, place, to_review
from hearth.privacy import cookie_policy
from hearth.privacy.services import load_policies

# Not public, or not pages: the back office, the API, files, and links that act (sign out).
SKIP = ("/admin/", "/back-office/", "/api/", "/static/", "/media/", "/sign-out/", "/i18n/")
HREF = re.compile(r'<a\s[^>]*href="([^"]+)"[^>]*>', re.IGNORECASE)
# Where a purchase or a request begins: the pages that may ask who you are (PP-1).
REQUEST_BEGINS = (
    "/checkout/",
    "/sign-in/",
    "/sign-up/",
    "/password-reset/",
    "/support/",
    "/privacy/request/",
    "/returns/",
    "/warranty/",
    "/my-stuff/",
    "/orders/guest-cancel/",
    "/unsubscribe/",
    "/track/",
)
# Public pages no menu links to (they are reached from emails and receipts).
SEEDS = ("/", "/support/", "/unsubscribe/", "/track/")
PERSONAL_INPUT = re.compile(
    r'<(?:input|textarea|select)\b[^>]*\b(?:name|autocomplete)="(?:[^"]*[-_])?'
    r"(email|name|full_name|given-name|family-name|tel|phone|street-address|address|lines|"
    r'postal_code|postal-code|city|serial|order_number)"',
    re.IGNORECASE,
)


@pytest.fixture
def site(db: Any) -> None:
    load_policies()
    call_command("load_catalogue", stdout=open("/dev/null", "w"))  # noqa: SIM115


def crawl(client: Client, *, limit: int = 400) -> Iterator[tuple[str, Any]]:
    """Every page reachable by GET from the home page (same site, bounded)."""
    seen, queue = set(SEEDS), deque(SEEDS)
    while queue and len(seen) <= limit:
        url = queue.popleft()
        response = client.get(url)
        yield url, response
        if response.status_code in (301, 302) and response.url.startswith("/"):
            target = response.url
            if target not in seen and not target.startswith(SKIP):
                seen.add(target)
                queue.append(target)
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            href = href.replace("&amp;", "&").split("#")[0]
            local = href.startswith("/") and not href.startswith(("//", *SKIP))
            if local and href not in seen:
                seen.add(href)
                queue.append(href)


def assert_only_necessary(url: str, response: Any, typed: list[str]) -> None:
    inv = cookie_policy.inventory()
    for name, morsel in response.cookies.items():
        assert inv.category_of.get(name) in inv.necessary, (url, name)
        persistent = bool(morsel["max-age"] or morsel["expires"])
        if name == settings.SESSION_COOKIE_NAME:
            assert not persistent, (url, "the session cookie ends with the browser session")
        if persistent:
            for value in typed:
                assert value.lower() not in morsel.value.lower(), (url, name, value)


@pytest.mark.promise("PP-11")
@pytest.mark.usefixtures("site")
def test_an_anonymous_visitor_who_accepted_nothing_gets_only_necessary_cookies() -> None:
    client = Client()
    pages = 0
    for url, response in crawl(client):
        assert response.status_code < 500, url
        assert_only_necessary(url, response, [])
        pages += 1
    assert pages > 20  # the crawl reached the shop, the policies and the forms
    assert set(client.cookies) <= {"csrftoken", "sessionid", "messages"}


@pytest.mark.promise("PP-11")
@pytest.mark.usefixtures("frozen_clock", "speaker")
def test_a_whole_guest_checkout_sends_only_necessary_cookies_none_persistent_with_personal_content(
    client: Client,
) -> None:
    seen: list[Any] = []
    original = client.request

    def recording(**request: Any) -> Any:
        response = original(**request)
        seen.append(response)
        return response

    client.request = recording  # type: ignore[method-assign]
    placed = place(client, to_review(client))
    assert placed.status_code == 302
    client.get(placed.url)
    typed = [*CONTACT.values(), ADDRESS["lines"], ADDRESS["city"], "ada"]
    for response in seen:
        assert_only_necessary(response.request["PATH_INFO"], response, typed)
    assert len(seen) > 8
    assert "hearth_cookie_choice" not in client.cookies  # nothing was chosen: nothing kept


@pytest.mark.promise("PP-1")
@pytest.mark.usefixtures("site")
def test_no_public_page_asks_who_you_are_before_a_purchase_or_request_begins() -> None:
    asked: list[tuple[str, str]] = []
    pages = 0
    for url, response in crawl(Client()):
        assert response.status_code in (200, 301, 302, 404), url
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        assert "/sign-in/" not in (getattr(response, "url", "") or "")
        if url.startswith(REQUEST_BEGINS):
            continue
        asked += [(url, field) for field in PERSONAL_INPUT.findall(response.content.decode())]
    assert pages > 20
    assert asked == []


@pytest.mark.promise("PP-14")
@pytest.mark.usefixtures("site")
def test_links_out_carry_noopener_noreferrer_and_no_personal_data_for_a_signed_in_customer() -> (
    None
):
    from hearth.accounts.tests.conftest import make_customer

    customer = make_customer("grace.hopper@example.com", "Grace Hopper")
    client = Client()
    client.force_login(customer)
    personal = ["grace.hopper@example.com", "Grace", "Hopper", str(customer.pk)]
    outward: list[str] = []
    pages = 0
    for _url, response in crawl(client):
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        outward += link_out_problems(response.content.decode(), personal)
    assert pages > 20  # the customer's own pages were crawled too
    assert outward == []


def link_out_problems(page: str, personal: list[str]) -> list[str]:
    """Links to another site without rel="noopener noreferrer" or with personal data in them."""
    problems: list[str] = []
    for tag in re.findall(r"<a\s[^>]*>", page, re.IGNORECASE):
        href = re.search(r'href="([^"]*)"', tag)
        if not href:
            continue
        parts = urlsplit(href.group(1).replace("&amp;", "&"))
        if parts.scheme not in ("http", "https") or parts.hostname in ("testserver", None):
            continue
        rel_match = re.search(r'rel="([^"]*)"', tag)
        rel = set(rel_match.group(1).split()) if rel_match else set()
        if not {"noopener", "noreferrer"} <= rel:
            problems.append(f"no noopener noreferrer: {tag}")
        for value in personal:
            for form in (value, quote(value), quote_plus(value)):
                if form.lower() in href.group(1).lower():
                    problems.append(f"personal data in: {href.group(1)}")
    return problems


@pytest.mark.promise("PP-14")
def test_the_link_check_catches_a_link_without_rel_or_with_personal_data() -> None:
    personal = ["grace.hopper@example.com"]
    good = '<a href="https://example.org/manual" rel="noopener noreferrer">Manual</a>'
    assert link_out_problems(good, personal) == []
    assert link_out_problems('<a href="https://example.org/">x</a>', personal)
    leaky = '<a rel="noopener noreferrer" href="https://x.test/?e=grace.hopper%40example.com">'
    assert link_out_problems(leaky, personal)
    assert link_out_problems('<a href="/shop/">ours</a>', personal) == []
