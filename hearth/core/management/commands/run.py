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
        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                [sys.executable, str(MANAGE), "db_worker", "--queue-name", "*", "--no-reload"],
            )
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
        self.stdout.write("  Task worker: " + ("running" if worker else "not started"))
        self.stdout.write("")
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
