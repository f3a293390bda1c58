"""Product search in English and French (issue #16): PostgreSQL full text with the English and
French configurations (unaccented) or SQLite FTS5, ranked, accent-insensitive, and never a 500
whatever is typed. Runs on both databases (DATABASE_URL=postgres://... for PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hearth.catalog import rules, search, selectors
from hearth.catalog.models import Category, Product
from hearth.catalog.tests.conftest import make_product

pytestmark = pytest.mark.django_db


def _slugs(text: str) -> list[str]:
    return [p.slug for p in selectors.search_products(text)]


def _result_links(html: str) -> list[str]:
    main = re.split(r'<main id="main"[^>]*>', html, maxsplit=1)[1].split("</main>", 1)[0]
    return re.findall(r'<a href="/shop/([a-z0-9-]+)/">', main)


# --- The words searched: letters and digits only ----------------------------------------------


@pytest.mark.parametrize(
    ("typed", "terms"),
    [
        ("Enceinte", ["enceinte"]),
        ("  oak   SUB ", ["oak", "sub"]),
        ('"sub"*', ["sub"]),
        ("sub* NEAR(oak bar)", ["sub", "near", "oak", "bar"]),
        ("oak AND -bar OR NOT (sub)", ["oak", "and", "bar", "or", "not", "sub"]),
        ("éco-énergétique", ["éco", "énergétique"]),
        ("l'enceinte", ["l", "enceinte"]),
        ("a:* & b | !c <-> d", ["a", "b", "c", "d"]),
        ("'; DROP TABLE catalog_product; --", ["drop", "table", "catalog", "product"]),
        ("snake_case", ["snake", "case"]),
        ('"*()-:^', []),
        ("", []),
    ],
)
def test_search_keeps_only_words_of_letters_and_digits(typed, terms):
    assert rules.search_terms(typed) == terms


def test_search_words_are_bounded_in_number_and_length():
    terms = rules.search_terms(" ".join(["x" * 100] * 20))
    assert len(terms) == rules.MAX_SEARCH_TERMS
    assert all(len(t) == rules.MAX_TERM_LENGTH for t in terms)


def test_each_engine_gets_every_word_as_a_required_prefix():
    assert rules.fts5_query(["oak", "sub"]) == '"oak"* "sub"*'
    assert rules.tsquery(["oak", "sub"]) == "oak:* & sub:*"


# --- Relevance on the demo catalogue ------------------------------------------------------------


def test_enceinte_finds_the_speakers_in_french(demo_catalogue):
    found = _slugs("enceinte")
    speakers = {"ember-one", "ember-five", "ember-go"}
    assert speakers <= set(found)
    assert "oak-bar" not in found
    assert "ember-one-wall-mount" not in found


def test_the_plural_enceintes_finds_the_speakers_too(demo_catalogue):
    assert {"ember-one", "ember-five", "ember-go"} <= set(_slugs("enceintes"))


def test_sub_finds_the_subwoofer_as_a_prefix(demo_catalogue):
    assert _slugs("sub")[0] == "oak-sub"
    assert "oak-sub" in _slugs("subwoofer")
    assert "oak-sub" in _slugs("caisson de graves")


def test_every_word_must_match(demo_catalogue):
    assert _slugs("ember stand") == ["ember-stand-pair"]
    assert _slugs("ember zzzz") == []


def test_french_product_names_are_searchable(demo_catalogue):
    assert _slugs("housse") == ["ember-go-sleeve"]
    assert _slugs("support mural") == ["ember-one-wall-mount"]


# --- Accents, ranking, what is on sale, keeping in step -----------------------------------------


def _product(slug: str, **fields: str) -> Product:
    product = make_product(slug, variants=((slug.upper(), "Black", "100.00", 5),))
    for field, value in fields.items():
        setattr(product, field, value)
    product.save()
    return product


@pytest.mark.parametrize("typed", ["eco", "éco", "ÉCO", "Eco"])
def test_accents_are_ignored_in_the_search_and_in_the_text(typed):
    _product("frugal", description_fr="Mode veille écoénergétique.")
    _product("other", description="Nothing to see.")
    assert _slugs(typed) == ["frugal"]


def test_accented_words_in_the_search_find_plain_text():
    _product("plain", summary="Cafe speaker for the kitchen.")
    assert _slugs("café") == ["plain"]


def test_a_match_in_the_name_ranks_before_one_in_the_description():
    in_description = _product("oak-cabinet", description="Veneered in walnut.")
    in_description.position = 1
    in_description.save()
    _product("walnut-edition", summary="A speaker.")
    _product("walnut-summary", name="Plain Box", summary="Walnut finish.")
    assert _slugs("walnut") == ["walnut-edition", "walnut-summary", "oak-cabinet"]


def test_products_off_sale_are_not_found():
    _product("hidden-speaker")
    Product.objects.filter(slug="hidden-speaker").update(is_active=False)
    assert _slugs("hidden") == []


def test_the_index_follows_saves_updates_bulk_creates_and_deletes():
    product = _product("renamed")
    product.name = "Brand New Name"
    product.save()
    assert _slugs("brand") == ["renamed"]
    Product.objects.filter(pk=product.pk).update(name="Quartz")
    assert _slugs("quartz") == ["renamed"]
    assert _slugs("brand") == []
    Product.objects.bulk_create(
        [
            Product(
                slug="bulk-one",
                name="Zircon",
                category=Category.SPEAKERS,
                summary="Made in bulk.",
                image="catalog/img/ember-one.svg",
            )
        ]
    )
    assert _slugs("zircon") == ["bulk-one"]
    product.variants.all().delete()
    product.delete()
    assert _slugs("quartz") == []


def test_sqlite_puts_back_triggers_a_table_rebuild_dropped():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 triggers")
    with connection.cursor() as cursor:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f"DROP TRIGGER catalog_product_fts_{suffix}")
    _product("unindexed", summary="Added while the triggers were gone.")
    assert _slugs("unindexed") == []
    search.repair(connection)
    assert _slugs("unindexed") == ["unindexed"]
    _product("later", summary="Added after the repair.")
    assert _slugs("later") == ["later"]


def test_postgresql_has_its_french_and_english_configurations_and_gin_indexes():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL full text")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cfgname FROM pg_ts_config WHERE cfgname IN ('hearth_en', 'hearth_fr') "
            "ORDER BY cfgname"
        )
        assert [r[0] for r in cursor.fetchall()] == ["hearth_en", "hearth_fr"]
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_product' "
            "AND indexdef LIKE '%USING gin%' ORDER BY indexname"
        )
        assert [r[0] for r in cursor.fetchall()] == [
            "catalog_product_search_en",
            "catalog_product_search_fr",
        ]
        cursor.execute("SELECT to_tsvector('hearth_fr', 'Écoénergétiques')::text")
        assert cursor.fetchone()[0] == "'ecoenerget':1"


# --- The page ----------------------------------------------------------------------------------

HOSTILE = [
    '"',
    '""',
    '"unterminated',
    "*",
    "sub*",
    "NEAR",
    "NEAR(oak bar, 2)",
    "AND",
    "oak AND",
    "OR NOT",
    "-",
    "-oak",
    "(",
    ")(",
    "oak:*",
    "a & | ! b",
    "<->",
    "^sub",
    "name:oak",
    "'; DROP TABLE catalog_product; --",
    "%",
    "_",
    "\\",
    "😀 enceinte",
    "x² ½",
    "ǅ ﬁ Ⅻ",
    "a" * 5000,
    "word " * 300,
]


@pytest.mark.parametrize("typed", HOSTILE)
def test_any_string_is_a_search_that_answers_200(client: Client, demo_catalogue, typed):
    response = client.get("/shop/search/", {"q": typed})
    assert response.status_code == 200
    assert b'role="search"' in response.content


def test_a_nul_byte_is_refused_at_the_edge_not_a_500(client: Client, demo_catalogue):
    assert client.get("/shop/search/", {"q": "oak\x00"}).status_code == 400  # ADR 0003


def test_search_page_lists_results_best_first(client: Client, demo_catalogue):
    response = client.get("/shop/search/", {"q": "sub"})
    assert response.status_code == 200
    html = response.content.decode()
    assert _result_links(html)[0] == "oak-sub"
    assert 'value="sub"' in html  # the box keeps what was typed
    assert "1 product matches “sub”." in html


def test_search_page_in_french_shows_the_french_text(client: Client, demo_catalogue):
    html = client.get(
        "/shop/search/", {"q": "hauteur"}, HTTP_ACCEPT_LANGUAGE="fr-CA"
    ).content.decode()
    assert _result_links(html) == ["ember-stand-pair"]
    assert "Paire de pieds Ember" in html
    assert "Deux pieds qui élèvent Ember One à la hauteur des oreilles." in html
    assert "Two floor stands" not in html


def test_a_search_finding_nothing_says_so(client: Client, demo_catalogue):
    html = client.get("/shop/search/", {"q": "zzzz"}).content.decode()
    assert "No product matches “zzzz”." in html
    assert _result_links(html) == []


def test_every_page_has_a_labelled_search_box(client: Client, demo_catalogue):
    for url in ("/", "/shop/", "/shop/oak-bar/"):
        html = client.get(url).content.decode()
        assert re.search(r'<form role="search" method="get" action="/shop/search/"', html), url
        assert '<label for="site-search-q">Search the shop</label>' in html
        assert '<input id="site-search-q" type="search" name="q"' in html


def test_search_page_queries_do_not_grow_with_the_matches(client: Client):
    for n in range(3):
        _product(f"lamp-{n}", summary="A lamp speaker.")
    client.get("/shop/search/", {"q": "lamp"})
    with CaptureQueriesContext(connection) as few:
        client.get("/shop/search/", {"q": "lamp"})
    for n in range(3, 40):
        _product(f"lamp-{n}", summary="A lamp speaker.")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/shop/search/", {"q": "lamp"})
    html = response.content.decode()
    assert len(_result_links(html)) == selectors.SEARCH_LIMIT
    assert f"The {selectors.SEARCH_LIMIT} best matches for “lamp”." in html
    assert len(many.captured_queries) == len(few.captured_queries)
