"""The terms of sale offered in French first to a Quebec address (issue #16 item 2; Charter of the
French Language as amended by Bill 96), and the accepted language version recorded on the order."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from hearth.checkout.tests.test_one_page_checkout import DETAILS, pay, to_details
from hearth.checkout.tests.test_web_checkout import place, text
from hearth.orders import rules
from hearth.orders.models import Order
from hearth.orders.selectors import terms_offer
from hearth.privacy.services import load_policies

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")

QUEBEC = {"lines": "1000 rue Sherbrooke Ouest", "city": "Montréal", "province": "QC"} | {
    "postal_code": "H3A 3G4"
}
FRENCH_SENTENCE = "En passant la commande, vous acceptez les"
ENGLISH_SENTENCE = "By placing the order you accept the"


@pytest.fixture(autouse=True)
def _policies(db: object) -> None:
    load_policies()


def _review(client: Client, **address: str) -> str:
    to_details(client)
    return pay(client, client.post("/checkout/details/", {**DETAILS, **address}))


@pytest.mark.parametrize(
    ("province", "page", "expected"),
    [
        ("QC", "en", ("fr-ca", "en")),
        ("qc", "fr-ca", ("fr-ca", "en")),
        ("ON", "en", ("en", "fr-ca")),
        ("ON", "fr-ca", ("fr-ca", "en")),
        ("NB", "fr-ca", ("fr-ca", "en")),
        ("BC", "de", ("en", "fr-ca")),
    ],
)
def test_the_terms_are_offered_french_first_in_quebec_and_page_language_first_elsewhere(
    province: str, page: str, expected: tuple[str, ...]
) -> None:
    table = {"QC": "fr-ca"}
    assert (
        rules.terms_languages(
            province=province,
            page_language=page,
            first_by_province=table,
            languages=["en", "fr-ca"],
        )
        == expected
    )
    offer = terms_offer(province=province, page_language=page)
    assert offer.languages == expected
    assert offer.law_names_first == (province.upper() == "QC")


def test_a_quebec_address_is_offered_the_french_terms_first_on_an_english_page(
    client: Client,
) -> None:
    review = _review(client, **QUEBEC)
    assert '<html lang="en">' in review
    french = review.index(FRENCH_SENTENCE)
    english = review.index(ENGLISH_SENTENCE)
    assert french < english
    assert re.search(
        r'<p lang="fr-ca"><strong id="terms-offer-title">Conditions de vente</strong>', review
    )
    assert 'href="/legal/terms/2025.1/?lang=fr-ca" hreflang="fr-ca"' in review
    assert 'href="/legal/terms/2025.1/?lang=en" hreflang="en"' in review
    assert review.index("?lang=fr-ca") < review.index("?lang=en")
    # The version accepted: a choice, French first and chosen.
    assert "The version of the terms of sale I accept" in review
    radios = re.findall(r'<input type="radio" name="terms_language" value="([^"]+)"[^>]*>', review)
    assert radios == ["fr-ca", "en"]
    assert re.search(r'value="fr-ca"[^>]*checked', review)
    placed = place(client, review, terms_language="fr-ca")
    order = Order.objects.get()
    assert placed.url == f"/checkout/confirmation/{order.number}/"
    assert (order.province, order.terms_version, order.terms_language) == (
        "QC",
        "terms-2025.1",
        "fr-ca",
    )


def test_the_french_version_shown_first_is_recorded_when_the_buyer_changes_nothing(
    client: Client,
) -> None:
    review = _review(client, **QUEBEC)
    place(client, review)  # a form without the choice (as sent before this issue)
    assert Order.objects.get().terms_language == "fr-ca"


def test_a_quebec_buyer_may_then_accept_the_english_version_expressly(client: Client) -> None:
    review = _review(client, **QUEBEC)
    place(client, review, terms_language="en")
    assert Order.objects.get().terms_language == "en"


def test_a_forged_version_is_refused_beside_the_choice_and_nothing_is_placed(
    client: Client,
) -> None:
    review = _review(client, **QUEBEC)
    refused = place(client, review, terms_language="de")
    assert refused.status_code == 200
    assert 'id="id_terms_language_errors"' in text(refused)
    assert Order.objects.count() == 0


def test_an_ontario_address_on_an_english_page_gets_the_english_terms_then_the_french_link(
    client: Client,
) -> None:
    review = _review(client)
    assert FRENCH_SENTENCE not in review
    assert 'name="terms_language"' not in review
    assert review.index('href="/legal/terms/2025.1/?lang=en"') < review.index(
        'href="/legal/terms/2025.1/?lang=fr-ca" hreflang="fr-ca" lang="fr-ca">'
        "Les conditions de vente en français</a>"
    )
    place(client, review, terms_language="fr-ca")  # not asked: ignored
    order = Order.objects.get()
    assert (order.terms_language, order.language) == ("en", "en")


def test_an_ontario_address_on_a_french_page_accepts_the_french_terms(client: Client) -> None:
    client.post("/language/", {"language": "fr-ca", "next": "/"})
    review = _review(client)
    assert FRENCH_SENTENCE in review
    assert "The terms of sale in English" in review
    place(client, review)
    order = Order.objects.get()
    assert (order.terms_language, order.language) == ("fr-ca", "fr-ca")


def test_each_language_version_of_the_terms_has_its_own_address(client: Client) -> None:
    with translation.override("en"):
        french = client.get("/legal/terms/2025.1/?lang=fr-ca").content.decode()
    assert '<html lang="fr-ca">' in french
    assert "<h1>Conditions de vente</h1>" in french
    english = client.get("/legal/terms/2025.1/?lang=en", HTTP_ACCEPT_LANGUAGE="fr-CA")
    assert "<h1>Terms of Sale</h1>" in english.content.decode()
    ignored = client.get("/terms/?lang=de").content.decode()
    assert "<h1>Terms of Sale</h1>" in ignored
