from __future__ import annotations

import re

import pytest
from django.test import Client

from hearth.catalog.models import Variant

pytestmark = pytest.mark.django_db


def _product_links(html: str) -> list[str]:
    return sorted(set(re.findall(r'href="/shop/([a-z0-9-]+)/"', html)))


def test_catalogue_lists_every_product_on_sale(client: Client, demo_catalogue):
    response = client.get("/shop/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _product_links(html) == sorted(e.slug for e in demo_catalogue)
    assert "10 products" in html


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ("category=soundbar", ["oak-bar"]),
        ("category=accessories&max_price=40", ["ember-go-sleeve", "speaker-cable-kit"]),
        ("colour=Walnut", ["oak-bar"]),
        ("colour=Ember+Red&in_stock=on", ["ember-go"]),
        ("category=subwoofer&in_stock=on", []),
        ("max_price=179.00&category=portable", ["ember-go"]),
        ("max_price=178.99&category=portable", []),
    ],
)
def test_catalogue_filters_through_the_get_form(client: Client, demo_catalogue, query, slugs):
    response = client.get(f"/shop/?{query}")
    assert response.status_code == 200
    assert _product_links(response.content.decode()) == slugs


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("max_price=cheap", "max_price", "Enter a number."),
        ("max_price=-5", "max_price", "Ensure this value is greater than or equal to 0."),
        ("max_price=1e999", "max_price", "Ensure that there are no more than 10 digits in total."),
        ("max_price=NaN", "max_price", "Enter a number."),
        ("colour=Plaid", "colour", "Select a valid choice. Plaid is not one of the available"),
        ("category=toasters", "category", "Select a valid choice. toasters is not one of"),
    ],
)
def test_bad_filter_values_are_answered_with_the_form_error(
    client: Client, demo_catalogue, query, field, message
):
    url = f"/shop/?{query}" if field == "category" else f"/shop/?{query}&category=speakers"
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    # the valid filters still apply
    if field != "category":
        assert _product_links(response.content.decode()) == ["ember-five", "ember-one"]


def test_filter_form_fields_are_labelled(client: Client, demo_catalogue):
    html = client.get("/shop/").content.decode()
    for field in ("category", "colour", "max_price", "in_stock"):
        assert f'<label for="id_{field}">' in html
        assert f'id="id_{field}"' in html
    assert '<form method="get" action="/shop/"' in html


def test_catalogue_pages_beyond_the_first(client: Client, demo_catalogue, settings):
    from hearth.catalog import views

    views.PAGE_SIZE, old = 4, views.PAGE_SIZE
    try:
        html = client.get("/shop/?category=accessories&page=2").content.decode()
        assert "Page 2 of 1" not in html
        page = client.get("/shop/?page=3").content.decode()
        assert "Page 3 of 3" in page
        assert _product_links(page) == ["ember-go-sleeve", "speaker-cable-kit"]
        assert client.get("/shop/?page=zzz").status_code == 200
    finally:
        views.PAGE_SIZE = old


@pytest.mark.promise("TOS-1")
def test_prices_are_shown_before_tax_and_the_pages_say_so(client: Client, demo_catalogue):
    listing = client.get("/shop/").content.decode()
    assert "From $249.00 <small>before tax</small>" in listing
    assert "Prices are in Canadian dollars and exclude sales tax." in listing
    product = client.get("/shop/oak-bar/").content.decode()
    assert "$799.00 <small>before tax</small>" in product
    assert "$849.00 <small>before tax</small>" in product
    assert "Prices exclude sales tax, which is added at checkout for your province." in product


def test_product_page_offers_each_colour_and_an_add_to_basket_form(client: Client, demo_catalogue):
    response = client.get("/shop/ember-go/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="post" action="' in html
    assert 'name="csrfmiddlewaretoken"' in html
    radios = re.findall(r'<input type="radio" name="sku" value="([A-Z0-9-]+)"([^>]*)>', html)
    assert [sku for sku, _attrs in radios] == ["EO-GO-BIR", "EO-GO-CHR", "EO-GO-EMB"]
    assert "checked" in radios[0][1]
    assert '<label for="quantity">Quantity</label>' in html
    assert 'name="quantity"' in html
    assert (
        '<img src="/static/catalog/img/ember-go.svg" '
        'alt="Ember Go, a portable speaker with a carrying strap"'
    ) in html


def test_product_page_preselects_the_colour_asked_for(client: Client, demo_catalogue):
    html = client.get("/shop/ember-go/?sku=EO-GO-EMB").content.decode()
    assert re.search(r'value="EO-GO-EMB" checked', html)


def test_a_sold_out_colour_cannot_be_chosen(client: Client, demo_catalogue):
    html = client.get("/shop/ember-go-sleeve/?sku=ACC-SLEEVE-EMB").content.decode()
    assert re.search(r'value="ACC-SLEEVE-EMB" disabled', html)
    assert re.search(r'value="ACC-SLEEVE-GRY" checked', html)
    assert "Out of stock" in html


def test_a_product_sold_out_in_every_colour_has_no_add_button(client: Client, demo_catalogue):
    Variant.objects.filter(product__slug="ember-go-sleeve").update(stock_on_hand=0)
    html = client.get("/shop/ember-go-sleeve/").content.decode()
    assert "Add to basket" not in html
    assert "This product is out of stock in every colour." in html


@pytest.mark.promise("TOS-20")
@pytest.mark.parametrize(
    ("slug", "text"),
    [
        (
            "hearth-amp",
            'Pre-order: expected to ship <time datetime="2026-05-16">May 16, 2026</time>',
        ),
        (
            "oak-sub",
            'Backordered: expected to ship <time datetime="2026-03-23">March 23, 2026</time>',
        ),
    ],
)
def test_preorder_and_backorder_show_the_expected_ship_date(
    client: Client, demo_catalogue, slug, text
):
    html = client.get(f"/shop/{slug}/").content.decode()
    assert text in html


@pytest.mark.promise("TOS-20")
def test_an_unknown_ship_date_is_said_to_be_announced(client: Client, demo_catalogue):
    Variant.objects.filter(sku="HEARTH-AMP-GRA").update(expected_ship_date=None)
    html = client.get("/shop/hearth-amp/").content.decode()
    assert "Pre-order: ship date to be announced" in html


@pytest.mark.parametrize("slug", ["no-such-speaker", "UPPER"])
def test_unknown_product_is_404(client: Client, demo_catalogue, slug):
    assert client.get(f"/shop/{slug}/").status_code == 404


def test_a_product_taken_off_sale_is_404(client: Client, demo_catalogue):
    from hearth.catalog.models import Product

    Product.objects.filter(slug="oak-bar").update(is_active=False)
    assert client.get("/shop/oak-bar/").status_code == 404
    assert "oak-bar" not in _product_links(client.get("/shop/").content.decode())


def test_shop_pages_answer_get_only(client: Client, demo_catalogue):
    assert client.post("/shop/").status_code == 405
    assert client.post("/shop/oak-bar/").status_code == 405


def test_home_page_features_products_and_links_the_shop(client: Client, demo_catalogue):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert _product_links(html) == ["ember-five", "ember-one", "hearth-amp", "oak-bar"]
    assert '<a href="/shop/">Shop</a>' in html
    assert '<a class="basket-link" href="/basket/">Basket' in html


def test_home_page_without_a_catalogue_still_renders(client: Client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "Featured" not in response.content.decode()


def test_catalogue_images_are_shipped(client: Client, demo_catalogue):
    from django.contrib.staticfiles import finders

    for entry in demo_catalogue:
        path = finders.find(entry.image)
        assert path is not None, entry.image
        with open(path, encoding="utf-8") as fh:
            assert fh.read().lstrip().startswith("<svg")
