"""The language switch on every page, without JavaScript (issue #16 item 2): it sets the language,
comes back to the same page, stores a signed-in customer's choice, and takes any other value as
English without an error."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from hearth.accounts import services as accounts
from hearth.accounts.models import User
from hearth.core import clock
from hearth.core.languages import choose_language, supported_language

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policies(db: object) -> None:
    from hearth.privacy.services import load_policies

    load_policies()


SWITCH = re.compile(
    r'<form method="post" action="/language/" class="language-switch"[^>]*>(.*?)</form>', re.S
)


def _switch(html: str) -> str:
    found = SWITCH.search(html)
    assert found, "no language switch on the page"
    return found.group(1)


def _customer(email: str = "ada@example.com") -> User:
    with translation.override("en"):  # signed up on an English page
        return accounts.sign_up(
            email=email,
            password="correct horse battery 42",
            full_name="Ada Lovelace",
            adult_attested=True,
            marketing_email=False,
            at=clock.now(),
        )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("fr-ca", "fr-ca"),
        ("fr_CA", "fr-ca"),
        ("FR", "fr-ca"),
        ("en", "en"),
        ("en-GB", "en"),
        ("de", None),
        ("", None),
        ("x" * 500, None),
        (None, None),
    ],
)
def test_a_language_code_is_read_as_one_the_shop_supports_or_none(given, expected) -> None:
    assert supported_language(given) == expected


def test_the_first_supported_preference_wins_and_nothing_supported_means_english() -> None:
    assert choose_language("", "fr-ca", "en") == "fr-ca"
    assert choose_language("de", None, "EN") == "en"
    assert choose_language("de", "") == "en"


@pytest.mark.parametrize(
    "path", ["/", "/basket/", "/sign-in/", "/sign-up/", "/privacy/", "/terms/"]
)
def test_every_customer_page_offers_the_other_language_as_a_labelled_button(
    client: Client, path: str
) -> None:
    english = client.get(path).content.decode()
    switch = _switch(english)
    assert 'name="csrfmiddlewaretoken"' in switch
    assert f'name="next" value="{path}"' in switch
    assert re.search(
        r'<button type="submit" name="language" value="fr-ca" lang="fr-ca">Fran', switch
    )
    assert 'value="en"' not in switch  # the language already shown is not offered
    assert 'aria-label="Language"' in english
    french = client.get(path, HTTP_ACCEPT_LANGUAGE="fr-CA").content.decode()
    assert 'aria-label="Langue"' in french
    assert 'value="en" lang="en">English</button>' in _switch(french)


def test_switching_to_french_returns_to_the_same_page_now_in_french(client: Client) -> None:
    before = client.get("/terms/?from=footer").content.decode()
    assert '<html lang="en">' in before
    switched = client.post("/language/", {"language": "fr-ca", "next": "/terms/?from=footer"})
    assert switched.status_code == 302
    assert switched["Location"] == "/terms/?from=footer"
    cookie = switched.cookies["django_language"]
    assert cookie.value == "fr-ca"
    assert not cookie["max-age"]  # a session cookie, as the inventory says
    assert cookie["httponly"]
    after = client.get("/terms/?from=footer").content.decode()
    assert '<html lang="fr-ca">' in after
    assert "Passer au contenu" in after
    back = client.post("/language/", {"language": "en", "next": "/terms/"})
    assert back["Location"] == "/terms/"
    assert '<html lang="en">' in client.get("/terms/").content.decode()


@pytest.mark.parametrize("forged", ["de", "", "fr-ca\r\nSet-Cookie: x=1", "<script>", "x" * 300])
def test_an_unsupported_or_forged_language_falls_back_to_english_without_an_error(
    client: Client, forged: str
) -> None:
    client.post("/language/", {"language": "fr-ca", "next": "/"})
    answer = client.post("/language/", {"language": forged, "next": "/basket/"})
    assert answer.status_code == 302
    assert answer["Location"] == "/basket/"
    assert answer.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get("/basket/").content.decode()


def test_no_language_at_all_falls_back_to_english_too(client: Client) -> None:
    answer = client.post("/language/", {}, HTTP_ACCEPT_LANGUAGE="fr-CA")
    assert answer.status_code == 302
    assert answer["Location"] == "/"
    assert answer.cookies["django_language"].value == "en"


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_the_switch_never_sends_the_visitor_to_another_site(client: Client, elsewhere: str) -> None:
    answer = client.post("/language/", {"language": "fr-ca", "next": elsewhere})
    assert answer["Location"] == "/"


def test_a_get_of_the_switch_changes_nothing(client: Client) -> None:
    answer = client.get("/language/?language=fr-ca&next=/basket/")
    assert answer.status_code == 302
    assert answer["Location"] == "/basket/"
    assert "django_language" not in answer.cookies


def test_the_switch_is_a_form_protected_against_forgery() -> None:
    forged = Client(enforce_csrf_checks=True).post("/language/", {"language": "fr-ca"})
    assert forged.status_code == 403


def test_a_signed_in_customer_s_choice_is_stored_on_the_account(client: Client) -> None:
    customer = _customer()
    assert customer.language == "en"  # signed up on an English page
    client.force_login(customer)
    client.post("/language/", {"language": "fr-ca", "next": "/my-stuff/"})
    customer.refresh_from_db()
    assert customer.language == "fr-ca"
    client.post("/language/", {"language": "de", "next": "/my-stuff/"})
    customer.refresh_from_db()
    assert customer.language == "en"


def test_a_visitor_s_choice_stores_nothing_on_any_account(client: Client) -> None:
    customer = _customer()
    client.post("/language/", {"language": "fr-ca", "next": "/"})
    customer.refresh_from_db()
    assert customer.language == "en"


def test_the_provider_s_payment_page_has_the_switch_too(client: Client) -> None:
    from decimal import Decimal

    from hearth.payments.services import start_card_session

    url = start_card_session(
        amount=Decimal("10.00"),
        reference="R1",
        return_url="/checkout/payment/return/",
        cancel_url="/checkout/payment/cancelled/",
    )
    page = client.get(url).content.decode()
    assert f'name="next" value="{url}"' in _switch(page).replace("&amp;", "&")


def test_switching_on_a_policy_version_shown_in_one_language_shows_it_in_the_chosen_one(
    client: Client,
) -> None:
    answer = client.post(
        "/language/", {"language": "en", "next": "/legal/terms/2025.1/?lang=fr-ca&x=1"}
    )
    assert answer["Location"] == "/legal/terms/2025.1/?x=1"
    assert "<h1>Terms of Sale</h1>" in client.get(answer["Location"]).content.decode()
