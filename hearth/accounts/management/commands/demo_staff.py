"""Create one demo staff login per role for the embedded demo (never in production).

Every demo login shares one password and one authenticator secret, so a person trying the demo
can sign in to the back office: `manage.py demo_staff --code` prints the current TOTP code.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hearth.accounts import second_factor
from hearth.accounts.models import User
from hearth.accounts.roles import load_roles
from hearth.accounts.services import assign_role
from hearth.core import clock

DEMO_PASSWORD = "ember-and-oak-demo"  # noqa: S105 - printed demo login, refused in production
DEMO_TOTP_SECRET = "EMBEROAKDEMOTOTPSECRETKEY234567A"  # noqa: S105 - same reason
DEMO_LOGINS = {
    "administrator": "staff@example.com",
    "sales_agent": "sales@example.com",
    "care_agent": "care@example.com",
    "warehouse": "warehouse@example.com",
    "privacy_officer": "privacy@example.com",
    "finance": "finance@example.com",
    "marketing": "marketing@example.com",
}


def demo_code(at: float | None = None) -> str:
    """The demo authenticator's code now (or at ``at``, a Unix time), as the phone would show."""
    generator = TOTP(bytes.fromhex(second_factor.device_from_base32(DEMO_TOTP_SECRET)))
    generator.time = time.time() if at is None else at
    return f"{generator.token():06d}"


class Command(BaseCommand):
    help = "Create the demo staff logins (one per role) and print them; --code prints a TOTP code."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--code", action="store_true", help="print the current demo TOTP code")

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("Demo staff logins are never created in production.")
        if options["code"]:
            self.stdout.write(demo_code())
            return
        roles = load_roles()
        for role_key, email in DEMO_LOGINS.items():
            if role_key not in roles:
                continue
            user, _created = User.objects.get_or_create(email=email)
            user.is_staff = True
            user.is_superuser = role_key == "administrator"
            user.set_password(DEMO_PASSWORD)
            # Demo logins on the reserved example domain: created with the email proven.
            user.email_verified_at = user.email_verified_at or clock.now()
            user.save()
            assign_role(user=user, role_key=role_key, actor=None)
            TOTPDevice.objects.update_or_create(
                user=user,
                name=second_factor.DEVICE_NAME,
                defaults={
                    "key": second_factor.device_from_base32(DEMO_TOTP_SECRET),
                    "confirmed": True,
                },
            )
        self.stdout.write(f"  Demo staff logins (password {DEMO_PASSWORD}):")
        for role_key, email in DEMO_LOGINS.items():
            self.stdout.write(f"    {role_key:<16} {email}")
        self.stdout.write(
            f"  Back-office second factor: authenticator secret {DEMO_TOTP_SECRET}, or run"
            " `.venv/bin/python manage.py demo_staff --code` for the current code."
        )
