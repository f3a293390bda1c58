from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from hearth.privacy import services

UTC = dt.UTC


@pytest.fixture
def policies(db):
    services.load_policies()


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, password: str = "correct horse battery 9", **extra):  # noqa: S107
        n = next(counter)
        # An account whose email is proven, unless the test says otherwise (PP-15).
        extra.setdefault("email_verified_at", dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC))
        return get_user_model().objects.create_user(
            email=email or f"person{n}@example.com", password=password, **extra
        )

    return make


@pytest.fixture
def privacy_officer(db):
    from django.contrib.auth.models import Permission

    officer = get_user_model().objects.create_user(
        email="officer@example.com", password="officer pass phrase 9", is_staff=True
    )
    officer.user_permissions.set(Permission.objects.filter(content_type__app_label="privacy"))
    return get_user_model().objects.get(pk=officer.pk)
