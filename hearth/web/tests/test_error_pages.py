"""404 and 500 pages in the site's design, in English and in Quebec French, with DEBUG off
(issue #16 item 6: the run command showed Django's debug 404 listing every route)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from hearth.urls import handler500

FRENCH = {"accept-language": "fr-CA"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "lang", "heading", "shop"),
    [
        ({}, "en", "We could not find that page", "Go to the shop"),
        (FRENCH, "fr-ca", "Nous n’avons pas trouvé cette page", "Aller à la boutique"),
    ],
)
def test_an_unknown_page_answers_404_in_the_sites_design_and_language(
    settings, headers, lang, heading, shop
) -> None:
    settings.DEBUG = False
    response = Client(headers=headers).get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    assert heading in page and shop in page
    assert "/static/web/site.css" in page  # the site's style sheet
    assert 'class="basket-link"' in page  # the site's header
    assert "URLconf" not in page and "admin/" not in page  # never the debug page's routes


@pytest.mark.django_db
@pytest.mark.urls("hearth.web.tests.urls_with_a_bug")
@pytest.mark.parametrize(
    ("headers", "lang", "heading"),
    [
        ({}, "en", "Something went wrong on our side"),
        (FRENCH, "fr-ca", "Une erreur s’est produite de notre côté"),
    ],
)
def test_a_bug_answers_the_500_page_in_the_sites_design_and_language(
    settings, headers, lang, heading
) -> None:
    settings.DEBUG = False
    response = Client(headers=headers, raise_request_exception=False).get("/a-bug/")
    assert response.status_code == 500
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    assert heading in page
    assert "/static/web/site.css" in page
    assert "a bug in a view" not in page and "Traceback" not in page


@pytest.mark.django_db
@pytest.mark.urls("hearth.web.tests.urls_with_a_bug")
def test_a_bug_under_the_api_still_answers_the_json_error_body(settings) -> None:
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/api/v1/a-bug/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


def test_the_500_page_renders_without_a_database_or_a_session() -> None:
    """No django_db mark: any query raises, and so would a context processor or the session
    (the 500 handler renders with no request). The designed page, not the bare fallback."""
    request = RequestFactory().get("/anything/")
    response = handler500(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "/static/web/site.css" in page
    assert "care@example.com" in page
