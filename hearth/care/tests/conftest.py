"""Fixtures for care's tests: a frozen clock on a business day, tasks run in-process, mail kept
in the test outbox (or a real SMTP server where mail is the point), care staff clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from hearth.core import clock

# Wednesday 4 November 2026, 10:00 in Toronto (15:00 UTC): a business day, care is open.
T0 = dt.datetime(2026, 11, 4, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def care_setup(settings: Any, db: Any) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    settings.HEARTH_CARE_REPLY_DOMAIN = "example.com"
    from hearth.privacy.services import load_policies

    load_policies()
    with clock.frozen(T0):
        yield


@pytest.fixture
def care_staff(care_setup: Any) -> Callable[[str], Client]:
    """A client in the back office (past the second factor) as a new staff member of a role."""
    from hearth.accounts import services as accounts_services
    from hearth.accounts.models import User
    from hearth.accounts.tests.conftest import PASSWORD, pass_second_factor

    accounts_services.sync_roles()

    def make(role_key: str, email: str = "") -> Client:
        user = User.objects.create_user(
            email=email or f"{role_key}@example.com", password=PASSWORD, full_name="Cora Agent"
        )
        accounts_services.assign_role(user=user, role_key=role_key, actor=None)
        client = Client()
        client.force_login(user)
        pass_second_factor(client, user)
        client.user = user  # type: ignore[attr-defined]
        return client

    return make
