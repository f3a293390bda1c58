from __future__ import annotations

from collections.abc import Iterator

import pytest

from hearth.stats import services


@pytest.fixture
def stats_on(settings, db, monkeypatch) -> Iterator[None]:
    """Statistics on, with a buffer far from its flush size, and nothing left from before."""
    settings.HEARTH_STATS = {
        **settings.HEARTH_STATS,
        "ENABLED": True,
        "FLUSH_SIZE": 10_000,
        "MAX_KEYS": 20_000,
        "FLUSH_SECONDS": 3600.0,
        "FLUSHER_THREAD": False,
    }
    monkeypatch.setattr(services, "BUFFER", services.new_buffer())
    services.forget_salt()
    yield
    services.forget_salt()


@pytest.fixture
def staff_client(db):
    """A client signed in to the back office as a staff member holding ``role``."""
    from django.test import Client

    from hearth.accounts import services as accounts
    from hearth.accounts.models import User
    from hearth.accounts.tests.conftest import PASSWORD, pass_second_factor

    accounts.sync_roles()

    def make(role_key: str) -> Client:
        user = User.objects.create_user(email=f"{role_key}@example.com", password=PASSWORD)
        accounts.assign_role(user=user, role_key=role_key, actor=None)
        client = Client()
        client.force_login(user)
        pass_second_factor(client, user)
        return client

    return make
