from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from django.test import Client

from hearth.accounts import services
from hearth.accounts.models import TOTPDevice, User
from hearth.core import clock

from .conftest import PASSWORD, T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db) -> User:
    services.sync_roles()
    user = User.objects.create_user(email="officer@example.com", password=PASSWORD)
    services.assign_role(user=user, role_key="privacy_officer", actor=None)
    return user


def _code(secret: str, at: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def _enrol(user: User) -> str:
    device = services.start_totp_enrolment(user=user, actor=user)
    services.confirm_totp(
        user=user,
        code=_code(device.secret, T0 - dt.timedelta(minutes=5)),
        at=T0 - dt.timedelta(minutes=5),
        actor=user,
    )
    return device.secret


def _admin_login(client: Client, code: str, password: str = PASSWORD):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "officer@example.com", "password": password, "otp_code": code},
    )


def test_enrolment_page_shows_the_secret_and_otpauth_uri_then_confirms(staff, frozen_now):
    client = Client()
    client.force_login(staff)
    html = client.get("/two-step/").content.decode()
    device = TOTPDevice.objects.get(user=staff)
    assert device.secret in html
    assert "otpauth://totp/" in html
    response = client.post("/two-step/", {"code": _code(device.secret, T0)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed_at == T0


def test_enrolment_rejects_a_wrong_code(staff, frozen_now):
    client = Client()
    client.force_login(staff)
    client.get("/two-step/")
    response = client.post("/two-step/", {"code": "000000"})
    assert "That code is not valid." in response.content.decode()
    assert TOTPDevice.objects.get(user=staff).confirmed_at is None


def test_customers_have_no_enrolment_page(customer_client):
    assert customer_client.get("/two-step/").status_code == 404


def test_admin_sign_in_needs_the_authenticator_code(staff):
    secret = _enrol(staff)
    with clock.frozen(T0):
        client = Client()
        without = _admin_login(client, "")
        assert without.status_code == 200
        assert client.get("/admin/").status_code == 302
        wrong = _admin_login(client, "123456" if _code(secret, T0) != "123456" else "654321")
        assert "That authenticator code is not valid." in wrong.content.decode()
        assert client.get("/admin/").status_code == 302
        ok = _admin_login(client, _code(secret, T0))
        assert ok.status_code == 302
        assert client.get("/admin/").status_code == 200


def test_a_code_works_only_once(staff):
    secret = _enrol(staff)
    with clock.frozen(T0):
        assert _admin_login(Client(), _code(secret, T0)).status_code == 302
        replay = Client()
        assert _admin_login(replay, _code(secret, T0)).status_code == 200
        assert replay.get("/admin/").status_code == 302


def test_staff_not_enrolled_cannot_enter_the_back_office(staff, frozen_now):
    client = Client()
    response = _admin_login(client, "123456")
    assert "Set up your authenticator first" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_signing_in_on_the_shop_page_gives_no_back_office_access(staff, frozen_now):
    _enrol(staff)
    client = Client()
    client.post("/sign-in/", {"email": "officer@example.com", "password": PASSWORD})
    assert client.get("/my-stuff/").status_code == 200
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_sign_in_is_throttled_too(staff):
    secret = _enrol(staff)
    with clock.frozen(T0):
        for _ in range(5):
            _admin_login(Client(), "000000", password="wrong")
        blocked = _admin_login(Client(), _code(secret, T0))
    assert "Too many failed sign-ins." in blocked.content.decode()
