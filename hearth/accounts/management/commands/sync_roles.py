"""Create or update one Django Group per staff role of data/roles.toml (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hearth.accounts.services import sync_roles
from hearth.core.errors import DomainError


class Command(BaseCommand):
    help = "Sync staff roles (hearth/accounts/data/roles.toml) to Django Groups."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = sync_roles(actor=None)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        for key, count in summary.items():
            self.stdout.write(f"{key}: {count} permissions")
