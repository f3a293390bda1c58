"""The fr-CA catalogue (issue #16 item 4): every message has its French translation, each
translation keeps its source's placeholders and HTML tags, the committed .mo is the compiled .po
(a fresh machine has only Python, no msgfmt), and a French visitor reads French pages."""

from __future__ import annotations

import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.test import Client

from hearth.checkout.tests.conftest import make_variant
from hearth.core.management.commands.catalogue import missing_strings, stale_compilations

LOCALE = Path(settings.BASE_DIR) / "hearth" / "locale" / "fr_CA" / "LC_MESSAGES"
PO = LOCALE / "django.po"

# %(name)s, %(mb).1f, %s, %d; "%%" is a literal percent sign and is dropped first. No space flag,
# so French typography ("50 % de rabais") is not read as "% d".
_PERCENT = re.compile(r"%(?:\((?P<name>\w+)\))?[-#0+]*\d*(?:\.\d+)?[sdifrxXeEgG]")
_BRACES = re.compile(r"\{\{?\s*[\w.]*\s*\}?\}")
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
# Attribute values a translator must translate (they are read by people, not machines).
_WORDY_ATTRIBUTE = re.compile(r'\s(title|alt|aria-label|placeholder)="[^"]*"')


def placeholders(text: str) -> Counter[str]:
    """The placeholders, brace fields and HTML tags of a message, as a multiset."""
    bare = text.replace("%%", "")
    found: Counter[str] = Counter(m.group(0) for m in _PERCENT.finditer(bare))
    found.update(m.group(0) for m in _BRACES.finditer(text))
    found.update(_WORDY_ATTRIBUTE.sub(r' \1=""', m.group(0)) for m in _TAG.finditer(text))
    return found


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def _where(entry: polib.POEntry) -> str:
    return entry.occurrences[0][0] if entry.occurrences else "?"


def _translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs: each plural form is checked against the plural source,
    except form 0, checked against the singular."""
    if entry.msgid_plural:
        return [
            (entry.msgid if form == 0 else entry.msgid_plural, text)
            for form, text in sorted(entry.msgstr_plural.items())
        ]
    return [(entry.msgid, entry.msgstr)]


def test_the_catalogue_declares_french_plural_forms() -> None:
    po = catalogue()
    assert po.metadata["Language"] == "fr_CA"
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"


def test_every_message_has_a_french_translation_and_none_is_fuzzy() -> None:
    missing: dict[str, list[str]] = defaultdict(list)
    for entry in catalogue():
        if entry.obsolete:
            continue
        empty = any(not text.strip() for _, text in _translations(entry))
        if empty or "fuzzy" in entry.flags:
            missing[_where(entry)].append(entry.msgid)
    report = "\n".join(
        f"{path}: {len(ids)} missing, e.g. {ids[0]!r}" for path, ids in sorted(missing.items())
    )
    assert not missing, f"{sum(map(len, missing.values()))} messages lack French:\n{report}"


def test_every_translation_keeps_the_placeholders_and_tags_of_its_source() -> None:
    wrong = []
    for entry in catalogue():
        for source, text in _translations(entry):
            if text and placeholders(source) != placeholders(text):
                kept, got = (
                    sorted(placeholders(source).elements()),
                    sorted(placeholders(text).elements()),
                )
                wrong.append(f"{_where(entry)}: {source!r}\n  source {kept}\n  French {got}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("source", "translation", "same"),
    [
        ("%(count)s items", "%(count)s articles", True),
        ("%(count)s items", "%(total)s articles", False),
        ("Only %s left", "Il en reste", False),
        ("%(value)s%% off", "%(value)s\u00a0%% de rabais", True),
        ("50% off", "50 % de rabais", True),
        ("At most %(mb).1f MB", "Au plus %(mb).1f Mo", True),
        ('<a href="/terms/">terms</a>', '<a href="/terms/">conditions</a>', True),
        ('<a href="/terms/">terms</a>', "conditions", False),
        ('<abbr title="Goods and Services Tax">GST</abbr>', '<abbr title="Taxe">TPS</abbr>', True),
        ("Hello {name}", "Bonjour {nom}", False),
    ],
)
def test_the_placeholder_check_tells_a_kept_placeholder_from_a_changed_one(
    source: str, translation: str, same: bool
) -> None:
    assert (placeholders(source) == placeholders(translation)) is same


def test_the_committed_mo_is_the_compiled_po() -> None:
    assert stale_compilations(PO.parents[2]) == [], "Run: python manage.py catalogue"


@pytest.mark.django_db
def test_a_french_visitor_reads_the_home_product_and_checkout_details_pages_in_french() -> None:
    make_variant("EO-ONE-CHR", price="1234.56", stock=5, slug="ember-one", name="Ember One")
    client = Client(headers={"accept-language": "fr-CA"})
    home = client.get("/").content.decode()
    assert 'lang="fr-ca"' in home
    assert "Magasiner toute la gamme" in home and "Shop the whole range" not in home
    product = client.get("/shop/ember-one/").content.decode()
    assert "Ajouter au panier" in product and "Add to basket" not in product
    client.post("/basket/add/", {"sku": "EO-ONE-CHR", "quantity": "1"})
    assert client.post("/checkout/age/", {"adult": "yes"})["Location"] == "/checkout/details/"
    details = client.get("/checkout/details/").content.decode()
    assert "Adresse de livraison" in details and "Delivery address" not in details
    assert "Passer au contenu" in details


@pytest.mark.django_db
def test_an_unsupported_language_falls_back_to_english() -> None:
    home = Client(headers={"accept-language": "de-DE"}).get("/")
    assert home.status_code == 200
    assert "Shop the whole range" in home.content.decode()


def _catalogue_with(directory: Path, entries: dict[str, str]) -> Path:
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for msgid, msgstr in entries.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    path = directory / "fr_CA" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    po.save(str(path))
    return path


def test_the_catalogue_check_names_a_mo_not_compiled_from_its_po(tmp_path: Path) -> None:
    path = _catalogue_with(tmp_path, {"Basket": "Panier"})
    polib.pofile(str(path)).save_as_mofile(str(path.with_suffix(".mo")))
    assert stale_compilations(tmp_path) == []
    _catalogue_with(tmp_path / "later", {"Basket": "Panier", "Shop": "Boutique"}).replace(path)
    assert stale_compilations(tmp_path) == ["fr_CA/LC_MESSAGES/django.mo"]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="extraction needs GNU gettext")
def test_the_catalogue_check_names_a_string_marked_in_the_code_but_not_in_the_catalogue(
    tmp_path: Path, settings: Any
) -> None:
    project, locale = tmp_path / "project", tmp_path / "locale"
    (project / "shop" / "tests").mkdir(parents=True)
    (project / "shop" / "views.py").write_text(
        'from django.utils.translation import gettext as _\n_("Basket")\n_("Shop the range")\n'
    )
    (project / "shop" / "tests" / "test_views.py").write_text(
        'from django.utils.translation import gettext as _\n_("Only a test reads this")\n'
    )
    _catalogue_with(locale, {"Basket": "Panier"})
    settings.BASE_DIR = project
    assert missing_strings(locale) == {"fr_CA/LC_MESSAGES/django.po": ["Shop the range"]}


def test_fill_from_takes_the_other_sides_translation_only_where_ours_is_missing(tmp_path):
    from hearth.core.management.commands.catalogue import fill_from_catalogue

    ours_dir = tmp_path / "ours" / "fr_CA" / "LC_MESSAGES"
    ours_dir.mkdir(parents=True)
    ours = polib.POFile()
    ours.append(polib.POEntry(msgid="Basket", msgstr="Panier"))
    ours.append(polib.POEntry(msgid="Search", msgstr=""))
    fuzzy = polib.POEntry(msgid="Order", msgstr="Ordre", flags=["fuzzy"])
    ours.append(fuzzy)
    ours.append(polib.POEntry(msgid="Unknown", msgstr=""))
    ours.save(str(ours_dir / "django.po"))
    theirs = polib.POFile()
    theirs.append(polib.POEntry(msgid="Basket", msgstr="Chariot"))
    theirs.append(polib.POEntry(msgid="Search", msgstr="Rechercher"))
    theirs.append(polib.POEntry(msgid="Order", msgstr="Commande"))
    theirs.save(str(tmp_path / "theirs.po"))

    assert fill_from_catalogue(tmp_path / "ours", tmp_path / "theirs.po") == 2

    merged = {e.msgid: e for e in polib.pofile(str(ours_dir / "django.po"))}
    assert merged["Basket"].msgstr == "Panier"
    assert merged["Search"].msgstr == "Rechercher"
    assert merged["Order"].msgstr == "Commande" and "fuzzy" not in merged["Order"].flags
    assert merged["Unknown"].msgstr == ""
