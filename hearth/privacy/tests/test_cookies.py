"""Cookie inventory, the one cookie gate, the choice, Global Privacy Control and the page that
names a missing cookie (issue #15 items 1-5; PP-6, PP-11)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.core import signing
from django.http import HttpResponse
from django.test import Client, RequestFactory

from hearth.accounts.tests.conftest import make_customer, quick_password_hashing  # noqa: F401
from hearth.privacy import cookie_policy, rules
from hearth.privacy.middleware import CookiePolicyMiddleware, CookiePolicyViolation
from hearth.privacy.models import ConsentRecord, GpcSignalDay
from hearth.privacy.selectors import current_consents

OPTIONAL = frozenset({"functional", "statistics"})
KNOWN = OPTIONAL | {"necessary"}


@pytest.fixture
def customer(db: Any) -> Any:
    return make_customer()


def signed(payload: str) -> str:
    return signing.Signer(salt="hearth.privacy.cookie-choice").sign(payload)


# --- Rules: a table.


@pytest.mark.promise("PP-11")
@pytest.mark.parametrize(
    ("payload", "gpc", "accepted", "ask"),
    [
        (None, False, set(), True),  # no choice yet: nothing accepted, ask
        ("1:functional=1,statistics=0", False, {"functional"}, False),
        ("1:functional=1,statistics=1", False, {"functional", "statistics"}, False),
        ("1:functional=1,statistics=1", True, set(), False),  # GPC wins, no banner
        ("1:functional=1", False, set(), True),  # a category it never decided: ask again
        ("1:functional=1,tracking=1", False, set(), True),  # unknown category: nothing
        ("1:functional=1,functional=1,statistics=1", False, set(), True),  # twice: nothing
        ("1:functional=yes,statistics=1", False, set(), True),
        ("9:functional=1,statistics=1", False, set(), True),  # from the future: nothing
        ("garbage", False, set(), True),
    ],
)
def test_the_choice_payload_decides_what_is_accepted(
    payload: str | None, gpc: bool, accepted: set[str], ask: bool
) -> None:
    parsed = None if payload is None else rules.parse_cookie_choice(payload, KNOWN)
    consent = rules.cookie_consent(parsed, current_version=1, optional=OPTIONAL, gpc=gpc)
    assert (set(consent.accepted), consent.ask) == (accepted, ask)


@pytest.mark.promise("PP-11")
def test_a_new_inventory_version_asks_again_only_when_a_new_category_appears() -> None:
    old = rules.parse_cookie_choice("1:functional=1,statistics=0", KNOWN)
    same_categories = rules.cookie_consent(old, current_version=2, optional=OPTIONAL, gpc=False)
    assert (same_categories.accepted, same_categories.ask) == (frozenset({"functional"}), False)
    grown = OPTIONAL | {"personalisation"}
    new_category = rules.cookie_consent(old, current_version=3, optional=grown, gpc=False)
    assert (new_category.accepted, new_category.ask) == (frozenset(), True)


def test_the_choice_payload_round_trips() -> None:
    text = rules.format_cookie_choice(1, {"statistics": False, "functional": True})
    assert text == "1:functional=1,statistics=0"
    assert rules.parse_cookie_choice(text, KNOWN) == (1, {"functional": True, "statistics": False})


# --- The inventory and its page.


def test_every_cookie_in_the_inventory_has_a_known_category_and_a_lifetime() -> None:
    inv = cookie_policy.inventory()
    assert {c.key for c in inv.categories} == {"necessary", "functional", "statistics"}
    assert inv.necessary == {"necessary"}
    for cookie in inv.cookies:
        assert cookie.category in inv.known
        assert (cookie.lifetime == "persistent") == (cookie.max_age_days is not None)
        assert cookie.purpose


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
@pytest.mark.parametrize(("language", "lang"), [("en", "en"), ("fr-ca", "fr-ca")])
def test_the_cookie_page_lists_every_cookie_in_plain_words(language: str, lang: str) -> None:
    page = Client().get("/cookies/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<html lang="{lang}">' in html
    for cookie in cookie_policy.inventory().cookies:
        assert f"<code>{cookie.name}</code>" in html
    assert '<section class="cookie-banner"' not in html  # the page carries the full choice itself
    assert 'name="action" value="refuse_all"' in html


@pytest.mark.django_db
def test_every_page_s_footer_links_to_the_cookie_choice() -> None:
    assert 'href="/cookies/"' in Client().get("/").content.decode()


# --- The gate.


def _through_gate(cookie: str, *, choice: str | None = None, delete: bool = False) -> HttpResponse:
    def view(request: Any) -> HttpResponse:
        response = HttpResponse("ok")
        if delete:
            response.delete_cookie(cookie)
        else:
            response.set_cookie(cookie, "x")
        return response

    request = RequestFactory().get("/")
    if choice is not None:
        request.COOKIES[cookie_policy.CHOICE_COOKIE] = signed(choice)
    return CookiePolicyMiddleware(view)(request)


@pytest.mark.promise("PP-11")
def test_a_cookie_not_in_the_inventory_raises_in_tests_and_debug(settings: Any) -> None:
    settings.COOKIE_POLICY_RAISE = True
    with pytest.raises(CookiePolicyViolation, match="tracker"):
        _through_gate("tracker", choice="1:functional=1,statistics=1")


@pytest.mark.promise("PP-11")
def test_a_cookie_of_a_category_not_accepted_raises(settings: Any) -> None:
    settings.COOKIE_POLICY_RAISE = True
    with pytest.raises(CookiePolicyViolation, match="hearth_policy_ack"):
        _through_gate("hearth_policy_ack")
    with pytest.raises(CookiePolicyViolation):
        _through_gate("hearth_policy_ack", choice="1:functional=0,statistics=1")
    accepted = _through_gate("hearth_policy_ack", choice="1:functional=1,statistics=0")
    assert "hearth_policy_ack" in accepted.cookies


@pytest.mark.promise("PP-11")
def test_in_production_a_refused_cookie_is_dropped_and_logged(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.COOKIE_POLICY_RAISE = False
    with caplog.at_level(logging.WARNING, logger="hearth.privacy.cookies"):
        response = _through_gate("tracker")
    assert "tracker" not in response.cookies
    assert response.content == b"ok"
    assert "tracker" in caplog.text


def test_deleting_a_cookie_is_always_allowed(settings: Any) -> None:
    settings.COOKIE_POLICY_RAISE = True
    response = _through_gate("hearth_policy_ack", delete=True)
    assert response.cookies["hearth_policy_ack"]["max-age"] == 0


@pytest.mark.promise("PP-11")
def test_a_forged_choice_cookie_accepts_nothing(settings: Any) -> None:
    settings.COOKIE_POLICY_RAISE = True
    request = RequestFactory().get("/")
    request.COOKIES[cookie_policy.CHOICE_COOKIE] = "1:functional=1,statistics=1:forged"
    consent = cookie_policy.consent_for(request)
    assert (consent.accepted, consent.ask) == (frozenset(), True)


# --- The choice.


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
def test_the_banner_offers_refuse_exactly_like_accept_and_each_category_alone() -> None:
    html = Client().get("/").content.decode()
    banner = html[html.index('<section class="cookie-banner"') :]
    assert html.index("</main>") < html.index('<section class="cookie-banner"')  # after content
    accept = '<button type="submit" name="action" value="accept_all">'
    refuse = '<button type="submit" name="action" value="refuse_all">'
    assert accept in banner and refuse in banner
    assert 'name="accept" value="functional"' in banner
    assert 'name="accept" value="statistics"' in banner
    assert '<label for="cookie-banner-statistics">' in banner


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
def test_refusing_all_keeps_only_the_choice_and_its_version_and_the_banner_goes() -> None:
    client = Client()
    client.get("/")
    response = client.post("/cookies/", {"action": "refuse_all", "next": "/shop/"})
    assert response.status_code == 302 and response.url == "/shop/"
    morsel = response.cookies[cookie_policy.CHOICE_COOKIE]
    payload = signing.Signer(salt="hearth.privacy.cookie-choice").unsign(morsel.value)
    assert payload == "1:functional=0,statistics=0"
    assert morsel["httponly"] and morsel["max-age"] == 365 * 24 * 3600
    assert '<section class="cookie-banner"' not in client.get("/").content.decode()


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
def test_each_category_can_be_chosen_on_its_own() -> None:
    client = Client()
    client.post("/cookies/", {"action": "save", "accept": ["statistics"]})
    request = RequestFactory().get("/")
    request.COOKIES = {k: v.value for k, v in client.cookies.items()}
    assert cookie_policy.statistics_allowed(request)
    assert not cookie_policy.may_set(request, "hearth_policy_ack")


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [{"action": "accept_everything"}, {"action": "save", "accept": ["tracking"]}, {}],
)
def test_a_bad_choice_is_refused_and_nothing_changes(data: dict[str, Any]) -> None:
    client = Client()
    response = client.post("/cookies/", data)
    assert response.status_code == 400
    assert 'id="choice-error"' in response.content.decode()
    assert cookie_policy.CHOICE_COOKIE not in response.cookies


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
def test_a_signed_in_customer_s_choice_is_in_the_consent_ledger(customer: Any) -> None:
    client = Client()
    client.force_login(customer)
    client.post("/cookies/", {"action": "save", "accept": ["functional"]})
    records = ConsentRecord.objects.filter(user=customer, purpose__startswith="cookies_")
    assert {(r.purpose, r.granted) for r in records} == {
        ("cookies_functional", True),
        ("cookies_statistics", False),
    }
    client.post("/cookies/", {"action": "save", "accept": ["functional"]})  # same: no new rows
    assert records.count() == 2


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
def test_statistics_are_refused_by_dnt_even_when_accepted() -> None:
    request = RequestFactory().get("/", HTTP_DNT="1")
    request.COOKIES[cookie_policy.CHOICE_COOKIE] = signed("1:functional=1,statistics=1")
    assert not cookie_policy.statistics_allowed(request)


# --- Global Privacy Control.


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
def test_gpc_refuses_every_optional_category_without_a_banner_and_is_counted() -> None:
    client = Client(headers={"Sec-GPC": "1"})
    home = client.get("/").content.decode()
    assert '<section class="cookie-banner"' not in home
    page = client.get("/cookies/").content.decode()
    assert "Global Privacy Control signal, and we honour it" in page
    assert cookie_policy.gpc_counter.flush() == 2
    assert GpcSignalDay.objects.get().page_views == 2  # a count, no identity
    request = RequestFactory().get("/", HTTP_SEC_GPC="1")
    request.COOKIES[cookie_policy.CHOICE_COOKIE] = signed("1:functional=1,statistics=1")
    assert not cookie_policy.statistics_allowed(request)
    assert not cookie_policy.may_set(request, "hearth_policy_ack")
    accepted = client.post("/cookies/", {"action": "accept_all"})  # cannot accept over it
    payload = signing.Signer(salt="hearth.privacy.cookie-choice").unsign(
        accepted.cookies[cookie_policy.CHOICE_COOKIE].value
    )
    assert payload == "1:functional=0,statistics=0"


@pytest.mark.promise("PP-6", "PP-11")
@pytest.mark.django_db
def test_gpc_opts_a_signed_in_customer_out_of_sale_or_share_in_the_ledger(customer: Any) -> None:
    from hearth.core import clock

    client = Client(headers={"Sec-GPC": "1"})
    client.force_login(customer)
    client.get("/")
    client.get("/shop/")  # once per session
    records = ConsentRecord.objects.filter(user=customer, source__startswith="Global Privacy")
    assert sorted((r.purpose, r.granted) for r in records) == [
        ("cookies_functional", False),
        ("cookies_statistics", False),
        ("sale_or_share", False),
    ]
    assert not current_consents(at=clock.now(), user=customer)["sale_or_share"].granted
    cookie_policy.gpc_counter.flush()
    assert not GpcSignalDay.objects.exists()  # a customer is in the ledger, not the count


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
def test_a_gpc_visitor_is_counted_in_batches_not_with_a_write_per_page_view() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Sec-GPC": "1"})
    client.get("/cookies/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/cookies/")
    assert not [q for q in captured.captured_queries if "privacy_gpcsignalday" in q["sql"]]
    assert not GpcSignalDay.objects.exists()
    counter = cookie_policy.GpcCounter(flush_views=3, flush_seconds=3600)
    day = dt.date(2026, 11, 30)
    counter.add(day)
    counter.add(day)
    assert not GpcSignalDay.objects.exists()
    counter.add(day)  # the third view fills the batch: one write of 3
    assert GpcSignalDay.objects.get(day=day).page_views == 3
    counter.add(day)
    assert counter.flush() == 1
    assert GpcSignalDay.objects.get(day=day).page_views == 4
    assert cookie_policy.gpc_counter.flush() == 2  # the two page views above, written now


# --- Being told (PP-11 "where refusing blocks a function, the visitor is told").


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
def test_adding_to_the_basket_without_cookies_explains_which_cookie_is_needed() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/basket/add/", {"sku": "EO-ONE-CHR", "quantity": "1"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This needs a cookie your browser did not send" in html
    assert "Adding to and changing your basket" in html
    assert "<code>csrftoken</code>" in html and "<code>sessionid</code>" in html
    assert "<footer>" in html  # the site's design, not Django's raw page
    assert "CSRF verification failed" not in html


@pytest.mark.promise("PP-11")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "function"),
    [("/sign-in/", "Signing in"), ("/support/", "Sending the support form")],
)
def test_sign_in_and_support_without_cookies_say_so(path: str, function: str) -> None:
    response = Client(enforce_csrf_checks=True).post(path, {"email": "a@example.com"})
    assert response.status_code == 403
    assert function in response.content.decode()


@pytest.mark.django_db
def test_a_stale_form_token_with_the_cookie_present_says_the_form_expired() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/sign-in/")
    response = client.post("/sign-in/", {"csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


@pytest.mark.django_db
def test_the_policy_acknowledgement_cookie_is_kept_only_when_functional_is_accepted() -> None:
    from hearth.privacy.services import load_policies

    load_policies()
    client = Client()
    refused = client.post("/privacy/acknowledge/", {"confirm": "on", "next": "/"})
    assert refused.status_code == 302
    assert "hearth_policy_ack" not in refused.cookies  # kept in the session instead
    client.post("/cookies/", {"action": "accept_all"})
    accepted = client.post("/privacy/acknowledge/", {"confirm": "on", "next": "/"})
    assert accepted.status_code == 302
    assert "hearth_policy_ack" in accepted.cookies


@pytest.mark.promise("PP-11")
@pytest.mark.parametrize(
    ("choice", "counted"),
    [
        (None, True),  # not chosen yet: cookieless aggregate counting goes on
        ("1:functional=1,statistics=1", True),
        ("1:functional=1,statistics=0", False),  # refused
    ],
)
def test_statistics_count_only_visitors_who_did_not_refuse(
    choice: str | None, counted: bool
) -> None:
    request = RequestFactory().get("/")
    if choice is not None:
        request.COOKIES[cookie_policy.CHOICE_COOKIE] = signed(choice)
    assert cookie_policy.statistics_allowed(request) is counted


def test_a_forged_choice_cookie_is_not_counted_in_statistics() -> None:
    request = RequestFactory().get("/")
    request.COOKIES[cookie_policy.CHOICE_COOKIE] = "1:functional=1,statistics=1:forged"
    assert not cookie_policy.statistics_allowed(request)


def test_every_text_of_the_cookie_inventory_is_marked_for_translation() -> None:
    from hearth.privacy.cookie_texts import TEXTS

    inv = cookie_policy.inventory()
    texts = [t for c in inv.categories for t in (c.name, c.description)]
    texts += [c.purpose for c in inv.cookies]
    assert sorted(texts) == sorted(TEXTS)
