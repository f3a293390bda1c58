from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hearth.privacy import keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every EncryptedTextField value not under the current key (the first of "
        "HEARTH_FIELD_KEYS). Keep the old keys listed until this has run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = keys.rotate_field_keys()
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} values re-encrypted")
        self.stdout.write(f"Total: {sum(counts.values())}")
