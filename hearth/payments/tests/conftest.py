"""Fixtures for the payments tests: hosted sessions, tokens made through the sandbox card page's
service, staff clients with a role and the second factor passed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from hearth.accounts import services as accounts_services
from hearth.accounts.models import User
from hearth.accounts.tests.conftest import verified_device_id
from hearth.core import clock
from hearth.payments import services
from hearth.payments.models import HostedSession

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
RETURN = "/checkout/payment/return/"
CANCEL = "/checkout/payment/"


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def frozen_now():
    with clock.frozen(T0):
        yield T0


def session_id_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.query:
        return parse_qs(parts.query)["session"][0]
    return parts.path.rstrip("/").rsplit("/", 1)[-1]


def token_from(url: str) -> str:
    return parse_qs(urlsplit(url).query)["payment_token"][0]


def make_token(
    number: str = "4242424242424242",
    *,
    amount: Decimal = Decimal("199.00"),
    exp_month: int = 12,
    exp_year: int = 2030,
    cvc: str | None = None,
) -> str:
    """A token made the way the card page makes one (through its service)."""
    url = services.start_card_session(
        amount=amount, reference="EO-12345678", return_url=RETURN, cancel_url=CANCEL
    )
    digits = number.replace(" ", "").replace("-", "")
    target = services.tokenise_card(
        session_id=session_id_of(url),
        kind=HostedSession.Kind.CARD,
        number=number,
        exp_month=exp_month,
        exp_year=exp_year,
        cvc=cvc or ("1234" if digits.startswith(("34", "37")) else "123"),
        at=clock.now(),
    )
    return token_from(target)


@pytest.fixture
def staff_client(db) -> Callable[[str], Client]:
    """A client signed in as a staff member holding ``role``, past the second factor."""
    accounts_services.sync_roles()

    def make(role_key: str, *, second_factor: bool = True) -> Client:
        user = User.objects.create_user(email=f"{role_key}@example.com", password="x" * 12)
        accounts_services.assign_role(user=user, role_key=role_key, actor=None)
        client = Client()
        client.force_login(user)
        if second_factor:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = verified_device_id(user)
            session.save()
        return client

    return make
