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
