"""Fixtures for the warehouse tests: real orders placed and released through the orders app
(real sandbox card tokens), catalogue variants whose SKUs have serial formats, staff clients."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from hearth.core import clock

# Monday 2 November 2026, 10:00 in Toronto: a business day before the noon cut-off.
T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
ON_ADDRESS = {
    "lines": ["100 Queen Street West"],
    "city": "Toronto",
    "province": "ON",
    "postal_code": "M5H 2N2",
    "country": "CA",
}
_keys = itertools.count(1)


@pytest.fixture
def warehouse_setup(settings: Any, db: Any) -> Any:
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    from hearth.privacy.services import load_policies

    load_policies()
    with clock.frozen(T0):
        yield


def variant(sku: str, *, stock: int = 10, price: str = "249.00", threshold: int = 5) -> Any:
    from hearth.orders.tests.conftest import make_variant

    v = make_variant(sku, price, stock, name=f"Product {sku}")
    v.low_stock_threshold = threshold
    v.save(update_fields=["low_stock_threshold"])
    return v


def released_order(
    lines: list[tuple[str, int]],
    *,
    at: dt.datetime = T0,
    method: str = "standard",
    customer: Any = None,
    email: str = "ada@example.com",
) -> Any:
    """An order placed with a test Visa and released to the warehouse (payment captured)."""
    from hearth.orders import rules
    from hearth.orders.services import place_order, release_order
    from hearth.orders.tests.conftest import APPROVE_VISA, card_token

    draft = rules.OrderDraft(
        lines=lines,
        customer=customer,
        email=email,
        name="Ada Lovelace",
        phone="+1 416 555 0100",
        shipping_address=ON_ADDRESS,
        attestations=rules.Attestations(adult=True, end_user=True, accurate=True),
        shipping_method=method,
    )
    with clock.frozen(at):
        order = place_order(
            draft=draft,
            payment_token=card_token(APPROVE_VISA),
            payment_method="card",
            idempotency_key=f"wh-{next(_keys)}",
            channel="web",
            at=at,
        )
        return release_order(order=order, actor=None, at=at)


@pytest.fixture
def staff_client(warehouse_setup: Any) -> Callable[[str], Client]:
    from hearth.accounts import services as accounts_services
    from hearth.accounts.models import User
    from hearth.accounts.tests.conftest import PASSWORD, pass_second_factor

    accounts_services.sync_roles()

    def make(role_key: str) -> Client:
        user = User.objects.create_user(email=f"{role_key}@example.com", password=PASSWORD)
        accounts_services.assign_role(user=user, role_key=role_key, actor=None)
        client = Client()
        client.force_login(user)
        pass_second_factor(client, user)
        client.user = user  # type: ignore[attr-defined]
        return client

    return make
