"""Run the embedded Hearth: migrate, load the demo store, start the task worker and the web server.

    python manage.py run [--port 8000]

Everything listens on 127.0.0.1 only. Ctrl-C stops both the server and the worker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

MANAGE = Path(__file__).resolve().parents[4] / "manage.py"


class Command(BaseCommand):
    help = "Migrate, load the demo store, then serve on 127.0.0.1 with the task worker running."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        self.stdout.write("Migrating the database ...")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading the demo store ...")
        call_command("load_demo", stdout=self.stdout)
        background: list[subprocess.Popen[bytes]] = []
        if not options["no_worker"]:
            for argv in (
                ["db_worker", "--queue-name", "*", "--no-reload"],
                ["scheduler"],
            ):
                background.append(subprocess.Popen([sys.executable, str(MANAGE), *argv]))  # noqa: S603
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Hearth is running on http://127.0.0.1:{port}/"))
        self.stdout.write(
            f"  Database:   {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
        )
        self.stdout.write(f"  API docs:    http://127.0.0.1:{port}/api/v1/docs")
        self.stdout.write(f"  Shop:        http://127.0.0.1:{port}/")
        self.stdout.write(
            f"  Back office: http://127.0.0.1:{port}/admin/ (demo staff logins above)"
        )
        state = "running, with the periodic scheduler" if background else "not started"
        self.stdout.write(f"  Task worker: {state}")
        self.stdout.write("")
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            for process in background:
                process.terminate()
            for process in background:
                process.wait(timeout=10)
