"""The site's chrome (footer, shop menu) is rendered once per process and language and reused
(issue #12 item 2): what a page shows is what rendering it afresh shows, in each language."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from hearth.web.templatetags.chrome import forget_fragments

FRAGMENT = Template(
    '{% load i18n chrome %}{% per_language "probe" %}{% get_current_language as lang %}'
    "{{ lang }} {{ visitor }}{% end_per_language %}"
)


def test_a_fragment_is_kept_per_language_and_not_per_visitor() -> None:
    forget_fragments()
    with translation.override("en"):
        assert FRAGMENT.render(Context({"visitor": "ada"})) == "en ada"
        # Kept: another visitor's context is not read again (only language-bound markup goes in).
        assert FRAGMENT.render(Context({"visitor": "bob"})) == "en ada"
    with translation.override("fr-ca"):
        assert FRAGMENT.render(Context({"visitor": "bob"})) == "fr-ca bob"
    forget_fragments()


@pytest.mark.django_db
def test_pages_show_the_same_footer_and_menu_kept_or_rendered_afresh(client: Client) -> None:
    forget_fragments()
    # The cookie banner's form carries a CSRF token, masked afresh on every page.
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    fresh = token.sub("", client.get("/").content.decode())
    kept = token.sub("", client.get("/").content.decode())
    assert fresh == kept
    for text in ('href="/privacy/', "Terms of sale", "Ask about your data", 'href="/basket/"'):
        assert text in kept, text


HOLED = Template(
    '{% load i18n chrome %}{% per_language "holed" %}{% get_current_language as lang %}'
    "[{{ lang }} {{ visitor }}|{% per_visitor %}{{ visitor }}{% end_per_visitor %}]"
    "{% end_per_language %}"
)


def test_a_hole_in_a_kept_fragment_is_rendered_for_each_visitor() -> None:
    forget_fragments()
    with translation.override("en"):
        assert HOLED.render(Context({"visitor": "ada"})) == "[en ada|ada]"
        assert HOLED.render(Context({"visitor": "<bob>"})) == "[en ada|&lt;bob&gt;]"
    with translation.override("fr-ca"):
        assert HOLED.render(Context({"visitor": "cy"})) == "[fr-ca cy|cy]"
    forget_fragments()


def test_a_hole_in_a_fragment_kept_inside_another_stays_a_hole() -> None:
    forget_fragments()
    outer = Template(
        '{% load chrome %}{% per_language "outer" %}<{% per_language "inner" %}'
        "{{ visitor }}:{% per_visitor %}{{ visitor }}{% end_per_visitor %}"
        "{% end_per_language %}>{% end_per_language %}"
    )
    inner = Template(
        '{% load chrome %}{% per_language "inner" %}'
        "{{ visitor }}:{% per_visitor %}{{ visitor }}{% end_per_visitor %}{% end_per_language %}"
    )
    with translation.override("en"):
        assert inner.render(Context({"visitor": "ada"})) == "ada:ada"  # kept first
        assert outer.render(Context({"visitor": "bob"})) == "<ada:bob>"
        assert outer.render(Context({"visitor": "cy"})) == "<ada:cy>"
    forget_fragments()


def test_a_hole_outside_any_kept_fragment_simply_renders() -> None:
    lone = Template("{% load chrome %}{% per_visitor %}{{ visitor }}{% end_per_visitor %}")
    assert lone.render(Context({"visitor": "ada"})) == "ada"


@pytest.mark.django_db
def test_each_visitor_gets_their_own_token_path_and_search_in_the_kept_chrome() -> None:
    forget_fragments()
    Client().get("/")  # keeps the header, language switch, search form and cookie banner
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get("/shop/search/?q=%22%3Cb%3E").content.decode()
    assert 'name="q" value="&quot;&lt;b&gt;"' in page
    # The language switch and the cookie banner send the visitor back to this page.
    assert page.count('name="next" value="/shop/search/?q=%22%3Cb%3E"') == 2
    # Its CSRF token is its own: the language switch's form is accepted.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    forged = visitor.post("/language/", {"csrfmiddlewaretoken": "x" * 64, "language": "fr-ca"})
    assert forged.status_code == 403
    switched = visitor.post("/language/", {"csrfmiddlewaretoken": token[1], "language": "fr-ca"})
    assert switched.status_code == 302
    forget_fragments()
