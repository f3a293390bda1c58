import pyotp
import pytest
from django.core.management import call_command

from hearth.accounts import roles
from hearth.accounts.management.commands.demo_staff import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
)
from hearth.accounts.models import User


@pytest.mark.django_db
def test_demo_staff_gets_one_login_per_role_that_can_sign_in_to_the_back_office(client, capsys):
    call_command("sync_roles", verbosity=0)
    call_command("demo_staff")
    call_command("demo_staff")  # idempotent
    code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    call_command("demo_staff", "--code")
    assert capsys.readouterr().out.strip().endswith(code)

    assert User.objects.filter(email__in=DEMO_LOGINS.values()).count() == len(DEMO_LOGINS)
    for role_key, email in DEMO_LOGINS.items():
        assert roles.roles_of(User.objects.get(email=email)) == [role_key]
    page = client.get("/admin/login/").content.decode()
    assert 'name="otp_code"' in page
    assert '<label for="id_otp_code"' in page
    response = client.post(
        "/admin/login/",
        {"username": "privacy@example.com", "password": DEMO_PASSWORD, "otp_code": code},
    )
    assert response.status_code == 302
    assert client.get("/admin/privacy/datarequest/").status_code == 200


@pytest.mark.django_db
def test_demo_staff_is_refused_in_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("demo_staff")
