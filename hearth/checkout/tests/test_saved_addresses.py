"""At the one-page checkout a signed-in customer chooses among their saved addresses (a radio
list, no JavaScript) or enters a new one and may save it (issue #16). Someone else's saved
address is never a choice."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from hearth.accounts.models import Address, User
from hearth.accounts.services import AddressInput, add_address, sign_up
from hearth.checkout.tests.conftest import AT
from hearth.checkout.tests.test_one_page_checkout import DETAILS, pay, to_details
from hearth.checkout.tests.test_web_checkout import place, text
from hearth.checkout.views import SESSION_STATE
from hearth.orders.models import Order

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker", "fast_passwords")

NEW = {"lines": "12 Wellington Street", "city": "Ottawa", "province": "ON"} | {
    "postal_code": "K1A 0B1",
    "country": "CA",
}
EMPTY_NEW = dict.fromkeys(("lines", "city", "postal_code"), "") | {"province": "", "country": "CA"}


def _customer(email: str) -> User:
    with translation.override("en"):
        return sign_up(
            email=email,
            password="correct horse battery 42",
            full_name="Ada Lovelace",
            adult_attested=True,
            marketing_email=False,
            at=AT,
        )


def _address(user: User, *, label: str, lines: str, city: str, province: str, postal: str):
    return add_address(
        user=user,
        data=AddressInput(
            name="Ada Lovelace",
            lines=lines,
            city=city,
            province=province,
            postal_code=postal,
            label=label,
        ),
        at=AT,
        actor=user,
    )


@pytest.fixture
def ada(db: object) -> User:
    return _customer("ada@example.com")


@pytest.fixture
def ada_client(ada: User) -> Client:
    client = Client()
    client.force_login(ada)
    return client


def test_the_customer_s_saved_addresses_are_a_labelled_radio_list_with_a_new_one_last(
    ada: User, ada_client: Client
) -> None:
    home = _address(
        ada, label="Home", lines="1 Elgin Street", city="Ottawa", province="ON", postal="K1P 1A1"
    )
    cottage = _address(
        ada,
        label="Cottage",
        lines="9 Lake Road",
        city="Huntsville",
        province="ON",
        postal="P1H 1A1",
    )
    to_details(ada_client)
    page = text(ada_client.get("/checkout/details/"))
    assert "<legend>Deliver to</legend>" in page
    radios = re.findall(r'<input type="radio" name="saved_address" value="([^"]+)"[^>]*>', page)
    assert radios == [str(home.pk), str(cottage.pk), "new"]
    assert re.search(rf'value="{home.pk}"[^>]*checked', page)  # the first one is chosen
    assert "Home: 1 Elgin Street, Ottawa ON K1P 1A1" in page
    assert "Cottage: 9 Lake Road, Huntsville ON P1H 1A1" in page
    assert 'name="save_address"' in page and 'for="id_save_address"' in page
    assert "<script" not in page


def test_a_chosen_saved_address_ends_up_on_the_order(ada: User, ada_client: Client) -> None:
    _address(
        ada, label="Home", lines="1 Elgin Street", city="Ottawa", province="ON", postal="K1P 1A1"
    )
    cottage = _address(
        ada,
        label="Cottage",
        lines="9 Lake Road\nUnit 2",
        city="Huntsville",
        province="ON",
        postal="P1H 1A1",
    )
    to_details(ada_client)
    review = pay(
        ada_client,
        ada_client.post(
            "/checkout/details/", {**DETAILS, **EMPTY_NEW, "saved_address": str(cottage.pk)}
        ),
    )
    assert "9 Lake Road" in review and "Huntsville" in review
    place(ada_client, review)
    order = Order.objects.get()
    assert (order.address_lines, order.city, order.province, order.postal_code) == (
        "9 Lake Road\nUnit 2",
        "Huntsville",
        "ON",
        "P1H 1A1",
    )
    assert order.customer == ada
    assert Address.objects.filter(user=ada).count() == 2  # nothing new saved


def test_someone_else_s_saved_address_is_refused_beside_the_choice(
    ada: User, ada_client: Client
) -> None:
    _address(
        ada, label="Home", lines="1 Elgin Street", city="Ottawa", province="ON", postal="K1P 1A1"
    )
    victim = _customer("grace@example.com")
    theirs = _address(
        victim,
        label="Home",
        lines="77 Secret Lane",
        city="Toronto",
        province="ON",
        postal="M5V 2T6",
    )
    to_details(ada_client)
    refused = ada_client.post(
        "/checkout/details/", {**DETAILS, **EMPTY_NEW, "saved_address": str(theirs.pk)}
    )
    assert refused.status_code == 200
    page = text(refused)
    assert 'id="id_saved_address_errors"' in page
    assert "77 Secret Lane" not in page and "Toronto" not in page
    assert "address" not in ada_client.session[SESSION_STATE]
    assert Order.objects.count() == 0


def test_a_guest_cannot_use_a_saved_address_id(client: Client) -> None:
    victim = _customer("grace@example.com")
    theirs = _address(
        victim,
        label="Home",
        lines="77 Secret Lane",
        city="Toronto",
        province="ON",
        postal="M5V 2T6",
    )
    to_details(client)
    refused = client.post(
        "/checkout/details/", {**DETAILS, **EMPTY_NEW, "saved_address": str(theirs.pk)}
    )
    assert refused.status_code == 200
    assert 'id="id_lines_errors"' in text(refused)  # the id means nothing: the address is asked
    assert "77 Secret Lane" not in text(refused)


def test_a_saved_address_that_breaks_the_delivery_rules_is_refused_beside_the_choice(
    ada: User, ada_client: Client
) -> None:
    po_box = _address(
        ada, label="Box", lines="PO Box 123", city="Ottawa", province="ON", postal="K1A 0B1"
    )
    to_details(ada_client)
    refused = ada_client.post(
        "/checkout/details/", {**DETAILS, **EMPTY_NEW, "saved_address": str(po_box.pk)}
    )
    assert refused.status_code == 200
    page = text(refused)
    errors = re.search(r'id="id_saved_address_errors">(.*?)</ul>', page, re.S)
    assert errors and "PO" in errors.group(1)
    assert 'id="id_lines_errors"' not in page  # the empty new-address fields were not asked
    assert "address" not in ada_client.session[SESSION_STATE]


def test_a_new_address_can_be_entered_and_saved_for_next_time(
    ada: User, ada_client: Client
) -> None:
    _address(
        ada, label="Home", lines="1 Elgin Street", city="Ottawa", province="ON", postal="K1P 1A1"
    )
    to_details(ada_client)
    review = pay(
        ada_client,
        ada_client.post(
            "/checkout/details/", {**DETAILS, **NEW, "saved_address": "new", "save_address": "on"}
        ),
    )
    place(ada_client, review)
    order = Order.objects.get()
    assert (order.address_lines, order.city) == ("12 Wellington Street", "Ottawa")
    kept = Address.objects.filter(user=ada).order_by("id").last()
    assert kept is not None
    assert (kept.line_list, kept.city, kept.postal_code, kept.name) == (
        ["12 Wellington Street"],
        "Ottawa",
        "K1A 0B1",
        "Ada Lovelace",
    )


def test_a_new_address_not_asked_to_be_saved_is_not_saved(ada: User, ada_client: Client) -> None:
    _address(
        ada, label="Home", lines="1 Elgin Street", city="Ottawa", province="ON", postal="K1P 1A1"
    )
    to_details(ada_client)
    pay(
        ada_client,
        ada_client.post("/checkout/details/", {**DETAILS, **NEW, "saved_address": "new"}),
    )
    assert Address.objects.filter(user=ada).count() == 1


def test_a_new_address_with_errors_shows_them_beside_its_fields(
    ada: User, ada_client: Client
) -> None:
    _address(
        ada, label="Home", lines="1 Elgin Street", city="Ottawa", province="ON", postal="K1P 1A1"
    )
    to_details(ada_client)
    refused = ada_client.post(
        "/checkout/details/", {**DETAILS, **EMPTY_NEW, "saved_address": "new"}
    )
    page = text(refused)
    for name in ("lines", "city", "postal_code"):
        assert f'id="id_{name}_errors"' in page, name
    assert 'id="id_saved_address_errors"' not in page


def test_a_customer_without_saved_addresses_sees_only_the_new_address_and_may_save_it(
    ada: User, ada_client: Client
) -> None:
    to_details(ada_client)
    page = text(ada_client.get("/checkout/details/"))
    assert 'name="saved_address"' not in page
    assert 'name="save_address"' in page
    pay(ada_client, ada_client.post("/checkout/details/", {**DETAILS, **NEW, "save_address": "on"}))
    assert Address.objects.filter(user=ada).count() == 1
