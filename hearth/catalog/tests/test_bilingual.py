"""Bilingual product content (issue #16): name, summary, description, colours, specifications and
the gallery's text alternatives in English and French; a missing French shows the English (never
an empty text) and is flagged in the back office."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from hearth.accounts import services as accounts
from hearth.accounts.models import User
from hearth.accounts.tests.conftest import verified_device_id
from hearth.catalog import demo, rules, selectors, services
from hearth.catalog.models import Product, ProductImage, Specification, Variant
from hearth.catalog.tests.conftest import TODAY, make_product

pytestmark = pytest.mark.django_db

FR = {"HTTP_ACCEPT_LANGUAGE": "fr-CA"}


@pytest.mark.parametrize(
    ("language", "french", "shown"),
    [
        ("fr-ca", "Enceinte", "Enceinte"),
        ("fr", "Enceinte", "Enceinte"),
        ("FR-CA", "Enceinte", "Enceinte"),
        ("en", "Enceinte", "Speaker"),
        ("fr-ca", "", "Speaker"),
        ("fr-ca", "   ", "Speaker"),
        (None, "Enceinte", "Speaker"),
        ("de", "Enceinte", "Speaker"),
    ],
)
def test_french_text_is_shown_to_french_readers_when_written(language, french, shown):
    assert rules.in_language(english="Speaker", french=french, language=language) == shown


def test_product_page_in_french_shows_every_text_in_french(client: Client, demo_catalogue):
    response = client.get("/shop/ember-one/", **FR)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Ember One</h1>" in html
    assert "Une enceinte intelligente compacte au son qui remplit la pièce." in html
    assert "Jumelez-en deux pour la stéréo." in html
    assert "<strong>Anthracite</strong>" in html
    assert "<strong>Bouleau</strong>" in html
    assert '<th scope="row">Poids</th><td>1,9 kg</td>' in html
    assert 'alt="L&#x27;arrière d&#x27;Ember One : alimentation, Ethernet' in html
    for english in ("A compact smart speaker", "Charcoal", ">Weight<", "The back of Ember One"):
        assert english not in html


def test_product_page_in_english_stays_english(client: Client, demo_catalogue):
    html = client.get("/shop/ember-one/").content.decode()
    assert "A compact smart speaker with room-filling sound." in html
    assert "<strong>Charcoal</strong>" in html
    assert '<th scope="row">Weight</th><td>1.9 kg</td>' in html
    assert "Une enceinte" not in html


def test_specification_table_is_a_table_with_row_headers(client: Client, demo_catalogue):
    html = client.get("/shop/oak-sub/").content.decode()
    table = re.search(
        r'<table class="specs" aria-labelledby="specs-heading">(.*?)</table>', html, re.S
    )
    assert table is not None
    assert '<h2 id="specs-heading">Specifications</h2>' in html
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td></tr>', table.group(1))
    assert rows == [
        ("Drivers", "Two 6.5-inch, force-cancelling"),
        ("Enclosure", "Sealed"),
        ("Connection", "Wireless"),
    ]


def test_gallery_shows_every_picture_with_its_text_alternative(client: Client, demo_catalogue):
    html = client.get("/shop/hearth-amp/").content.decode()
    pictures = re.findall(r'<img src="/static/catalog/img/([a-z-]+\.svg)" alt="([^"]+)"', html)
    assert pictures == [
        ("hearth-amp.svg", "Hearth Amp, a low graphite amplifier with a volume dial"),
        (
            "hearth-amp-back.svg",
            "The back of Hearth Amp: speaker terminals, HDMI and phono inputs",
        ),
    ]


def test_a_product_without_gallery_shows_its_main_image_named(client: Client):
    make_product("plain-speaker", variants=(("PLAIN-1", "Black", "10.00", 1),))
    html = client.get("/shop/plain-speaker/").content.decode()
    assert '<img src="/static/catalog/img/ember-one.svg" alt="Plain Speaker"' in html
    assert "specs-heading" not in html  # no empty table


def test_missing_french_shows_the_english_never_an_empty_text(client: Client):
    product = make_product("anglo", variants=(("ANGLO-1", "Walnut", "10.00", 1),))
    product.description = "Only in English."
    product.save()
    Specification.objects.create(product=product, label="Width", value="20 cm")
    ProductImage.objects.create(
        product=product, image="catalog/img/ember-one.svg", alt="An English-only picture"
    )
    html = client.get("/shop/anglo/", **FR).content.decode()
    assert '<html lang="fr-ca">' in html
    assert "<h1>Anglo</h1>" in html
    assert "<p>Summary of anglo</p>" in html
    assert "Only in English." in html
    assert "<strong>Walnut</strong>" in html
    assert '<th scope="row">Width</th><td>20 cm</td>' in html
    assert 'alt="An English-only picture"' in html
    listing = client.get("/shop/", **FR).content.decode()
    assert "<h3>Anglo</h3>" in listing
    assert "Walnut" in listing


def test_catalogue_cards_in_french(client: Client, demo_catalogue):
    html = client.get("/shop/", **FR).content.decode()
    assert "<h3>Paire de pieds Ember</h3>" in html
    assert "Bouleau, Anthracite" in html


def test_the_demo_catalogue_is_complete_in_french(demo_catalogue):
    assert list(Product.objects.filter(selectors.french_missing())) == []
    assert all(e.name_fr and e.summary_fr and e.description_fr for e in demo_catalogue)
    assert all(v.colour_fr for e in demo_catalogue for v in e.variants)
    assert all(e.specifications and e.gallery for e in demo_catalogue)
    assert all(s.label_fr and s.value_fr for e in demo_catalogue for s in e.specifications)
    assert all(g.alt_fr for e in demo_catalogue for g in e.gallery)


@pytest.mark.parametrize(
    "gap",
    ["name_fr", "summary_fr", "description_fr", "colour_fr", "spec_label_fr", "image_alt_fr"],
)
def test_any_french_gap_flags_the_product(demo_catalogue, gap):
    product = Product.objects.get(slug="oak-bar")
    if gap in ("name_fr", "summary_fr", "description_fr"):
        Product.objects.filter(pk=product.pk).update(**{gap: ""})
    elif gap == "colour_fr":
        Variant.objects.filter(sku="OAK-BAR-WAL").update(colour_fr="")
    elif gap == "spec_label_fr":
        Specification.objects.filter(product=product, label="Length").update(label_fr="")
    else:
        ProductImage.objects.filter(product=product).update(alt_fr="")
    assert [p.slug for p in Product.objects.filter(selectors.french_missing())] == ["oak-bar"]


def test_a_product_without_a_description_needs_no_french_one():
    product = make_product("terse", variants=(("TERSE-1", "Black", "10.00", 1),))
    Product.objects.filter(pk=product.pk).update(name_fr="Laconique", summary_fr="Court.")
    Variant.objects.filter(product=product).update(colour_fr="Noir")
    assert not Product.objects.filter(selectors.french_missing()).exists()


def _administrator() -> Client:
    accounts.sync_roles()
    user = User.objects.create_user(email="administrator@example.com", password=None)
    accounts.assign_role(user=user, role_key="administrator", actor=None)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device_id(user)
    session.save()
    return client


def test_back_office_flags_and_filters_products_missing_french(demo_catalogue):
    Product.objects.filter(slug="oak-sub").update(description_fr="")
    admin = _administrator()
    listing = admin.get("/admin/catalog/product/").content.decode()
    assert "French missing" in listing
    rows = re.findall(r"<tr>.*?</tr>", listing, re.S)
    flagged = [r for r in rows if 'href="/admin/catalog/product/' in r and 'alt="True"' in r]
    assert len(flagged) == 1 and "Oak Sub" in flagged[0]
    missing = admin.get("/admin/catalog/product/?french=missing").content.decode()
    assert "Oak Sub" in missing and "Oak Bar" not in missing
    complete = admin.get("/admin/catalog/product/?french=complete").content.decode()
    assert "Oak Bar" in complete and "Oak Sub" not in complete


def test_back_office_edits_french_texts_specifications_and_pictures(demo_catalogue):
    admin = _administrator()
    page = admin.get(f"/admin/catalog/product/{Product.objects.get(slug='oak-sub').pk}/change/")
    html = page.content.decode()
    for field in ("name_fr", "summary_fr", "description_fr", "variants-0-colour_fr"):
        assert f'name="{field}"' in html
    assert 'name="specifications-0-label_fr"' in html
    assert 'name="images-0-alt_fr"' in html


def test_loading_again_fills_french_still_missing_and_keeps_staff_edits(demo_catalogue):
    Product.objects.filter(slug="oak-bar").update(name_fr="", summary_fr="Écrit par l'équipe.")
    Variant.objects.filter(sku="OAK-BAR-WAL").update(colour_fr="")
    Specification.objects.filter(product__slug="ember-go").delete()
    services.load_catalogue(entries=demo_catalogue, today=TODAY)
    oak_bar = Product.objects.get(slug="oak-bar")
    assert oak_bar.name_fr == "Oak Bar"
    assert oak_bar.summary_fr == "Écrit par l'équipe."
    assert Variant.objects.get(sku="OAK-BAR-WAL").colour_fr == "Noyer"
    assert Specification.objects.filter(product__slug="ember-go").count() == 3
    assert Specification.objects.filter(product__slug="oak-bar").count() == 3  # not doubled
    services.load_catalogue(entries=demo_catalogue, today=TODAY, reset=True)
    assert Product.objects.get(slug="oak-bar").summary_fr == (
        "Une barre de son mince aux dialogues clairs, avec ambiophonie virtuelle."
    )


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"specifications": [{"label": "Width"}]}, "needs value"),
        ({"specifications": [{"label": "W", "value": "1", "colour": "x"}]}, "label(_fr)"),
        ({"gallery": [{"image": "catalog/img/nowhere.svg", "alt": "x"}]}, "no image file"),
        ({"gallery": [{"image": "catalog/img/ember-one.svg"}]}, "needs alt"),
        ({"name_fr": 3}, "name_fr must be a string"),
    ],
)
def test_catalogue_data_refuses_bad_bilingual_entries(patch, message):
    import tomllib

    data = tomllib.loads(Path(demo.CATALOGUE_FILE).read_text())
    data["product"][0].update(patch)
    with pytest.raises(demo.CatalogueDataError, match=re.escape(message)):
        demo.parse_catalogue(data)


def test_basket_in_french_names_the_product_and_colour_in_french(client: Client, demo_catalogue):
    client.post("/basket/add/", {"sku": "ACC-STAND-BIR", "quantity": "1"}, **FR)
    html = client.get("/basket/", **FR).content.decode()
    assert "Paire de pieds Ember" in html
    assert "Bouleau" in html
    assert "Ember Stand Pair" not in html


def test_an_order_priced_in_french_keeps_the_french_names(demo_catalogue):
    from django.utils import translation

    from hearth.orders.services import _priced

    with translation.override("fr-ca"):
        french = _priced([("ACC-STAND-BIR", 1)])
    with translation.override("en"):
        english = _priced([("ACC-STAND-BIR", 1)])
    assert (french[0].name, french[0].colour) == ("Paire de pieds Ember", "Bouleau")
    assert (english[0].name, english[0].colour) == ("Ember Stand Pair", "Birch")
