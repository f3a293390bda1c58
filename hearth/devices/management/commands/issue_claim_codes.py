"""manage.py issue_claim_codes SERIAL [SERIAL ...]: the factory's step before a unit is boxed.

Prints each serial with the claim code to print on its box; Hearth keeps only a keyed hash.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.devices.services import issue_claim_code


class Command(BaseCommand):
    help = "Issue the claim code printed on each unit's box (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("serials", nargs="+", help="product serial numbers, e.g. EO-ONE-0001")

    def handle(self, *args: Any, **options: Any) -> None:
        at = clock.now()
        for serial in options["serials"]:
            try:
                code = issue_claim_code(serial=serial, at=at)
            except DomainError as exc:
                raise CommandError(f"{serial}: {exc.message}") from exc
            self.stdout.write(f"{serial.strip().upper()}\t{code}")
