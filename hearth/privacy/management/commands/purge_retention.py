from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hearth.core import clock
from hearth.privacy import services


class Command(BaseCommand):
    help = "Purge the records kept by law after an erasure request whose keeping time is over."

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.purge_due_holds(at=clock.now())
        self.stdout.write(f"{count} held records purged.")
