"""manage.py create_partner --name "Tunewave Inc." --service tunewave: prints the token once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hearth.core import clock
from hearth.core.audit import SystemActor
from hearth.core.errors import DomainError
from hearth.devices.partners import create_partner


class Command(BaseCommand):
    help = "Create a partner music service and print its API token (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--service", required=True, help="music service key, e.g. tunewave")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            partner, token = create_partner(
                name=options["name"],
                service=options["service"],
                at=clock.now(),
                actor=SystemActor("create_partner command"),
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"Partner {partner.name} ({partner.service}) created.")
        self.stdout.write("API token (store it now; Hearth keeps only a hash):")
        self.stdout.write(token)
