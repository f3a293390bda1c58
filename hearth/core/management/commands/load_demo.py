"""Load everything the demo store needs, idempotently: safe to run on every start.

Each app that has demo or reference data offers its own idempotent command; this one runs those
that exist, in order, and creates the demo staff login.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

# App setup commands, in the order they depend on each other. Missing ones are skipped.
SETUP_COMMANDS = ["sync_roles", "load_policies", "load_catalogue", "load_demo_devices"]

DEMO_STAFF_EMAIL = "staff@example.com"
DEMO_STAFF_PASSWORD = "ember-and-oak-demo"  # noqa: S105 - printed demo login, never in production


class Command(BaseCommand):
    help = "Load the demo store (roles, policies, catalogue, ...) and the demo staff login."

    def handle(self, *args: Any, **options: Any) -> None:
        available = get_commands()
        for name in SETUP_COMMANDS:
            if name in available:
                call_command(name, verbosity=0)
                self.stdout.write(f"  {name}: done")
        if getattr(settings, "PRODUCTION", False):
            return
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        staff, _created = user_model.objects.get_or_create(
            email=DEMO_STAFF_EMAIL, defaults={"is_staff": True, "is_superuser": True}
        )
        staff.is_staff = True
        staff.is_superuser = True
        staff.set_password(DEMO_STAFF_PASSWORD)
        staff.save()
