"""Load everything the demo store needs, idempotently: safe to run on every start.

Each app that has demo or reference data offers its own idempotent command; this one runs those
that exist, in the order they depend on each other, and passes their output through.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

# App setup commands, in dependency order. Missing ones are skipped.
SETUP_COMMANDS = ["sync_roles", "load_policies", "load_catalogue", "load_demo_devices"]
# Demo-only commands (never in production).
DEMO_COMMANDS = ["demo_staff", "demo_aftersales"]


class Command(BaseCommand):
    help = "Load the demo store (roles, policies, catalogue, ...) and the demo staff logins."

    def handle(self, *args: Any, **options: Any) -> None:
        available = get_commands()
        names = SETUP_COMMANDS + ([] if getattr(settings, "PRODUCTION", False) else DEMO_COMMANDS)
        for name in names:
            if name in available:
                call_command(name, stdout=self.stdout)
