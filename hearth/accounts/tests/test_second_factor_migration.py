"""Moving to django-otp keeps every staff member's authenticator: the same secret (their phone
keeps working), confirmed or not as before, and the last used step (no replay across the move)."""

from __future__ import annotations

import pyotp
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_user_language")]
AFTER = [("accounts", "0005_totp_devices_to_django_otp")]


@pytest.fixture
def back_to_latest():
    """Whatever happens, leave every app at its latest migration for the tests after this one."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_our_authenticators_become_django_otp_devices_with_the_same_secret(back_to_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("accounts", "User").objects.create(email="officer@example.com")
    pending = old.get_model("accounts", "User").objects.create(email="new@example.com")
    Ours = old.get_model("accounts", "TOTPDevice")
    secret = pyotp.random_base32()
    Ours.objects.create(
        user=user, secret=secret, confirmed_at="2026-03-01T12:00Z", last_used_step=7
    )
    Ours.objects.create(user=pending, secret=pyotp.random_base32())

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps
    Theirs = new.get_model("otp_totp", "TOTPDevice")
    moved = Theirs.objects.get(user_id=user.pk)
    assert bytes.fromhex(moved.key) == pyotp.TOTP(secret).byte_secret()
    assert moved.confirmed and moved.last_t == 7
    assert not Theirs.objects.get(user_id=pending.pk).confirmed
