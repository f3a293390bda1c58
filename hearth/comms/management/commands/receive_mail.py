from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hearth.comms import inbound


class Command(BaseCommand):
    help = (
        "Receive email over SMTP (or LMTP, behind an MTA) and act on it: replies asking to stop "
        "unsubscribe, hard bounces suppress, the rest goes to the registered handlers (care)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        controller = inbound.start_receiver(
            host=options["host"], port=options["port"], lmtp=options["lmtp"]
        )
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        self.stdout.write(f"Receiving mail ({protocol}) on {options['host']}:{options['port']}.")
        try:
            stop.wait()
        finally:
            controller.stop()
