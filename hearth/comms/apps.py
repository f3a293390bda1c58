from typing import Any

from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "hearth.comms"
    label = "comms"

    def ready(self) -> None:
        from hearth.privacy.erasure import EraserReport, register_eraser

        def keep_suppression(user: Any, at: Any) -> EraserReport:
            # The suppression list survives erasure untouched and unheld: it holds keyed hashes
            # only, and deleting it would let commercial email reach the person again.
            return EraserReport()

        register_eraser(keep_suppression, models=["comms.Suppression"])
