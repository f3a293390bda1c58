"""The staff second factor on django-otp (issue #17 item 6): enrolment, sign-in with the
authenticator's code, one step of clock drift, no replay, back-off after wrong codes, single-use
backup codes, the staff API, and the secret never shown to administrators. Codes are made the way
a phone makes them, from the real time (django-otp reads the system clock)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from hearth.accounts import second_factor, services
from hearth.accounts.erasure import erase_account
from hearth.accounts.models import User
from hearth.core import clock

from .conftest import PASSWORD, T0, pass_second_factor

pytestmark = pytest.mark.django_db
STEP = 30


@pytest.fixture
def staff(db) -> User:
    services.sync_roles()
    user = User.objects.create_user(email="officer@example.com", password=PASSWORD)
    services.assign_role(user=user, role_key="privacy_officer", actor=None)
    return user


def _code(secret: str, *, steps_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + steps_from_now * STEP)


def _enrol(user: User) -> tuple[str, list[str]]:
    """Set up the authenticator as a person would; return its secret and the backup codes."""
    device = second_factor.start_enrolment(user=user, actor=user)
    secret = second_factor.secret_of(device)
    # A code one step old: the sign-in below may then use the current one (codes work once).
    codes = second_factor.confirm_enrolment(
        user=user, code=_code(secret, steps_from_now=-1), actor=user
    )
    # django-otp now believes the phone runs a step behind; as if it was set up half a minute
    # ago with a phone on time, start the tests with no drift.
    TOTPDevice.objects.filter(user=user).update(drift=0)
    return secret, codes


def _admin_login(client: Client, code: str, password: str = PASSWORD):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "officer@example.com", "password": password, "otp_code": code},
    )


def test_enrolment_shows_the_secret_and_uri_then_confirms_and_shows_backup_codes_once(staff):
    client = Client()
    client.force_login(staff)
    html = client.get("/two-step/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert "otpauth://totp/" in html
    assert not TOTPDevice.objects.get(user=staff).confirmed

    page = client.post("/two-step/", {"code": _code(secret)}).content.decode()

    assert TOTPDevice.objects.get(user=staff).confirmed
    shown = re.findall(r"<li><code>([a-z0-9]+)</code></li>", page)
    assert len(shown) == second_factor.BACKUP_CODES
    stored = StaticDevice.objects.get(user=staff).token_set.values_list("token", flat=True)
    assert sorted(stored) == sorted(shown)
    again = client.get("/two-step/").content.decode()
    assert shown[0] not in again and "is set up" in again


def test_enrolment_rejects_a_wrong_code(staff):
    client = Client()
    client.force_login(staff)
    client.get("/two-step/")
    response = client.post("/two-step/", {"code": "000000"})
    assert "That code is not valid." in response.content.decode()
    assert not TOTPDevice.objects.get(user=staff).confirmed
    assert not StaticDevice.objects.filter(user=staff).exists()


def test_customers_have_no_enrolment_page(customer_client):
    assert customer_client.get("/two-step/").status_code == 404


def test_admin_sign_in_needs_the_authenticator_code(staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the back-off after the wrong code has its own test
    secret, _codes = _enrol(staff)
    client = Client()
    assert _admin_login(client, "").status_code == 200
    assert client.get("/admin/").status_code == 302
    good = _code(secret)
    wrong = _admin_login(client, "123456" if good != "123456" else "654321")
    assert "That authenticator code is not valid." in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    assert _admin_login(client, _code(secret)).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_code_works_only_once(staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the refused replay must not be a back-off refusal
    secret, _codes = _enrol(staff)
    code = _code(secret)
    assert _admin_login(Client(), code).status_code == 302
    replay = Client()
    assert _admin_login(replay, code).status_code == 200
    assert replay.get("/admin/").status_code == 302


def test_one_step_of_phone_clock_drift_is_accepted_and_followed_three_is_not(staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    secret, _codes = _enrol(staff)
    assert _admin_login(Client(), _code(secret, steps_from_now=3)).status_code == 200
    assert _admin_login(Client(), _code(secret, steps_from_now=1)).status_code == 302
    assert TOTPDevice.objects.get(user=staff).drift == 1  # the phone runs a step ahead


def test_wrong_codes_back_off_even_the_right_code(staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 600  # 600 s after one wrong code: no race with the clock
    secret, _codes = _enrol(staff)
    _admin_login(Client(), "000000")
    blocked = Client()
    answer = _admin_login(blocked, _code(secret))
    assert "Too many wrong codes." in answer.content.decode()
    assert blocked.get("/admin/").status_code == 302
    assert TOTPDevice.objects.get(user=staff).throttling_failure_count == 1


def test_a_backup_code_signs_in_once(staff, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    _secret, codes = _enrol(staff)
    client = Client()
    assert _admin_login(client, codes[0].upper()).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert _admin_login(Client(), codes[0]).status_code == 200
    assert StaticDevice.objects.get(user=staff).token_set.count() == len(codes) - 1


def test_staff_not_enrolled_cannot_enter_the_back_office(staff):
    client = Client()
    response = _admin_login(client, "123456")
    assert "Set up your authenticator first" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_signing_in_on_the_shop_page_gives_no_back_office_access(staff):
    _enrol(staff)
    client = Client()
    client.post("/sign-in/", {"email": "officer@example.com", "password": PASSWORD})
    assert client.get("/my-stuff/").status_code == 200
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_removing_a_lost_device_ends_the_sessions_it_verified(staff):
    client = Client()
    client.force_login(staff)
    pass_second_factor(client, staff)
    assert client.get("/admin/").status_code == 200
    TOTPDevice.objects.filter(user=staff).delete()  # the administrator's "lost phone" action
    assert client.get("/admin/").status_code == 302


def test_administrators_never_see_the_secret(staff, staff_client):
    secret, codes = _enrol(staff)
    admin = staff_client("administrator")
    device = TOTPDevice.objects.get(user=staff)
    page = admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert "officer@example.com" in page
    assert secret not in page and device.key not in page
    backup = StaticDevice.objects.get(user=staff)
    page = admin.get(f"/admin/otp_static/staticdevice/{backup.pk}/change/").content.decode()
    assert all(code not in page for code in codes)


def test_erasure_removes_the_authenticator_and_backup_codes(staff):
    _enrol(staff)
    erase_account(staff, clock.now())
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not StaticDevice.objects.filter(user=staff).exists()


def test_admin_sign_in_is_throttled_too(staff):
    secret, _codes = _enrol(staff)
    with clock.frozen(T0):
        for _ in range(5):
            _admin_login(Client(), "000000", password="wrong")
        blocked = _admin_login(Client(), _code(secret))
    assert "Too many failed sign-ins." in blocked.content.decode()
