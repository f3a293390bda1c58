"""Fixtures for the orders tests: catalogue rows, real sandbox card tokens, staff clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from hearth.accounts import services as accounts_services
from hearth.accounts.models import User
from hearth.accounts.tests.conftest import (
    PASSWORD,
    QuickArgon2PasswordHasher,  # noqa: F401  (used by the settings fixture below)
    make_customer,
    pass_second_factor,
)
from hearth.catalog.models import Availability, Category, Product, Variant
from hearth.core import clock
from hearth.orders import rules
from hearth.payments.models import HostedSession
from hearth.payments.services import start_card_session, tokenise_card
from hearth.privacy.services import load_policies

# Monday 2 March 2026, 10:00 in Toronto: a business day before the noon cut-off.
T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

APPROVE_VISA = "4242424242424242"
APPROVE_MC = "5555555555554444"
APPROVE_AMEX = "378282246310005"
DECLINE_FUNDS = "4000000000009995"
DECLINE_STOLEN = "4000000000009979"
REVIEW = "4000000000000259"

ON_ADDRESS = {
    "lines": ["100 Queen Street West"],
    "city": "Toronto",
    "province": "ON",
    "postal_code": "M5H 2N2",
    "country": "CA",
}
BC_ADDRESS = {
    "lines": ["800 Robson Street"],
    "city": "Vancouver",
    "province": "BC",
    "postal_code": "V6Z 2E7",
    "country": "CA",
}


@pytest.fixture(autouse=True)
def quick_setup(settings, db):
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    load_policies()
    with clock.frozen(T0):
        yield


def make_variant(
    sku: str,
    price: str = "199.00",
    stock: int = 5,
    *,
    availability: str = Availability.IN_STOCK,
    expected_ship_date: dt.date | None = None,
    name: str = "Ember One",
) -> Variant:
    product, _created = Product.objects.get_or_create(
        slug=sku.lower(),
        defaults={
            "name": name,
            "category": Category.SPEAKERS,
            "summary": "A speaker",
            "image": "catalog/img/ember-one.svg",
        },
    )
    return Variant.objects.create(
        product=product,
        sku=sku,
        colour="Oak",
        price=Decimal(price),
        stock_on_hand=stock,
        availability=availability,
        expected_ship_date=expected_ship_date,
    )


@pytest.fixture
def speaker() -> Variant:
    return make_variant("EO-ONE-OAK", "199.00", 5)


def card_token(number: str) -> str:
    """A real sandbox token, made through the provider's own service (never a PAN kept)."""
    url = start_card_session(
        amount=Decimal("1.00"),
        reference="test",
        return_url="/back/",
        cancel_url="/cancel/",
    )
    session_id = parse_qs(urlsplit(url).query)["session"][0]
    cvc = "1234" if number.startswith("3") else "123"
    target = tokenise_card(
        session_id=session_id,
        kind=HostedSession.Kind.CARD,
        number=number,
        exp_month=12,
        exp_year=2030,
        cvc=cvc,
        at=T0,
    )
    return parse_qs(urlsplit(target).query)["payment_token"][0]


def draft(
    lines: list[tuple[str, int]] | None = None,
    *,
    customer: User | None = None,
    address: dict | None = None,
    attestations: rules.Attestations | None = None,
    bc_pst_number: str | None = None,
    marketing_opt_in: bool | None = False,
    marketing_opt_out: bool = False,
    email: str = "ada@example.com",
) -> rules.OrderDraft:
    return rules.OrderDraft(
        lines=lines or [("EO-ONE-OAK", 1)],
        customer=customer,
        email=email,
        name="Ada Lovelace",
        phone="+1 416 555 0100",
        shipping_address=address or ON_ADDRESS,
        attestations=attestations or rules.Attestations(adult=True, end_user=True, accurate=True),
        bc_pst_number=bc_pst_number,
        marketing_opt_in=marketing_opt_in,
        marketing_opt_out=marketing_opt_out,
    )


@pytest.fixture
def customer() -> User:
    return make_customer()


@pytest.fixture
def staff_client() -> Callable[[str], Client]:
    accounts_services.sync_roles()

    def make(role_key: str) -> Client:
        user = User.objects.create_user(email=f"{role_key}@example.com", password=PASSWORD)
        accounts_services.assign_role(user=user, role_key=role_key, actor=None)
        client = Client()
        client.force_login(user)
        pass_second_factor(client, user)
        return client

    return make
