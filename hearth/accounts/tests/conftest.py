"""Fixtures for the accounts tests: customers, staff in a role with the second factor passed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from hearth.accounts import services
from hearth.accounts.models import User
from hearth.core import clock

PASSWORD = "correct horse battery 42"
T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with test-sized cost (same "argon2$" format), so hundreds of sign-ups stay fast."""

    time_cost = 1
    memory_cost = 256
    parallelism = 1


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]


@pytest.fixture
def frozen_now():
    with clock.frozen(T0):
        yield T0


def make_customer(
    email: str = "ada@example.com", full_name: str = "Ada Lovelace", *, verified: bool = True
) -> User:
    """A customer who signed up (and, unless ``verified=False``, proved the email at T0)."""
    user = services.sign_up(
        email=email,
        password=PASSWORD,
        full_name=full_name,
        adult_attested=True,
        marketing_email=False,
        at=T0,
    )
    if verified:
        user.email_verified_at = T0
        user.save(update_fields=["email_verified_at"])
    return user


@pytest.fixture
def customer(db) -> User:
    return make_customer()


@pytest.fixture
def customer_client(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client


def reauth(client: Client, at: dt.datetime = T0) -> None:
    """Mark the session as having entered the password again at ``at``."""
    session = client.session
    session["hearth_reauth_at"] = at.isoformat()
    session.save()


def verified_device_id(user: User) -> str:
    """django-otp's session value for a staff member past the second factor (with a confirmed
    authenticator made for them when they have none)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name="Authenticator", defaults={"confirmed": True}
    )
    return str(device.persistent_id)


def pass_second_factor(client: Client, user: User) -> None:
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device_id(user)
    session.save()


@pytest.fixture
def staff_client(db) -> Callable[[str], Client]:
    """A client signed in to the back office as a staff member holding ``role``."""
    services.sync_roles()

    def make(role_key: str) -> Client:
        user = User.objects.create_user(email=f"{role_key}@example.com", password=PASSWORD)
        services.assign_role(user=user, role_key=role_key, actor=None)
        client = Client()
        client.force_login(user)
        pass_second_factor(client, user)
        return client

    return make


@dataclasses.dataclass(frozen=True)
class Mail:
    to: list[str]
    subject: str
    body: str


class Mailbox:
    """What the real SMTP server (conftest's aiosmtpd ``smtp_server``) received."""

    def __init__(self, inbox: Any) -> None:
        self.inbox = inbox

    def _all(self) -> list[Mail]:
        return [
            Mail(
                [a.strip() for a in str(m["To"]).split(",")],
                str(m["Subject"]),
                m.get_body(preferencelist=("plain",)).get_content(),
            )
            for m in self.inbox.messages
        ]

    def __iter__(self) -> Iterator[Mail]:
        return iter(self._all())

    def __getitem__(self, index: int) -> Mail:
        return self._all()[index]

    def clear(self) -> None:
        self.inbox.messages.clear()


@pytest.fixture
def mailoutbox(smtp_server: Any) -> Mailbox:
    """Mail goes through Django's SMTP backend to a real local SMTP server."""
    return Mailbox(smtp_server)
