from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hearth.privacy import services


class Command(BaseCommand):
    help = (
        "Load the policy versions and the processor registry from hearth/privacy/data (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        documents, processors = services.load_policies()
        self.stdout.write(f"{documents} policy versions, {processors} processors loaded.")
