"""Run the embedded Hearth: migrate, load the demo store, start the task worker and the web server.

    python manage.py run [--port 8000]

Everything listens on 127.0.0.1 only. Ctrl-C stops the server, the worker and the scheduler.

The shop is served as a visitor should see it: with DEBUG off (the site's own 404 and 500 pages,
never Django's debug pages that list every route), a secret key made once and kept in
``var/secret_key`` when ``SECRET_KEY`` is not set, and static files collected into ``var/static``
at start and served by WhiteNoise with hashed, compressed names. ``DEBUG=1`` turns Django's
debug pages back on (static files then come straight from the apps, edits show at once).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from hearth.core.environment import truthy
from hearth.core.secret_key import DEV_SECRET_KEY, persisted_secret_key

MANAGE = Path(__file__).resolve().parents[4] / "manage.py"


def server_environment(base: dict[str, str]) -> dict[str, str]:
    """The environment of the run's processes: DEBUG off unless the caller set it, and static
    files from the collected directory when DEBUG is off."""
    env = dict(base)
    env.setdefault("DEBUG", "0")
    if truthy(env["DEBUG"]):
        env.pop("HEARTH_STATIC", None)
    else:
        env["HEARTH_STATIC"] = "collected"
    return env


class Command(BaseCommand):
    help = "Migrate, load the demo store, then serve on 127.0.0.1 with the task worker running."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        env = server_environment(dict(os.environ))
        debug = truthy(env["DEBUG"])
        if not debug and not os.environ.get("SECRET_KEY"):
            self._secret_key(env)

        # Every step that touches the data runs with the run's settings (its key above), so
        # each is a child process: this one loaded its settings before the key existed.
        def manage(*argv: str) -> list[str]:
            return [sys.executable, str(MANAGE), *argv]

        def step(*argv: str) -> None:
            self.stdout.flush()
            subprocess.run(manage(*argv), env=env, check=True)  # noqa: S603 - our manage.py

        self.stdout.write("Migrating the database ...")
        step("migrate", "--noinput", "-v0")
        self.stdout.write("Loading the demo store ...")
        step("load_demo")
        if not debug:
            self.stdout.write(f"Collecting static files into {settings.STATIC_ROOT} ...")
            step("collectstatic", "--noinput", "--clear", "-v0")
        background: list[subprocess.Popen[bytes]] = []
        if not options["no_worker"]:
            for argv in (
                ["db_worker", "--queue-name", "*", "--no-reload"],
                ["scheduler"],
            ):
                background.append(subprocess.Popen(manage(*argv), env=env))  # noqa: S603
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Hearth is running on http://127.0.0.1:{port}/"))
        self.stdout.write(
            f"  Database:    {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
        )
        self.stdout.write(f"  API docs:    http://127.0.0.1:{port}/api/v1/docs")
        self.stdout.write(f"  Shop:        http://127.0.0.1:{port}/")
        self.stdout.write(
            f"  Back office: http://127.0.0.1:{port}/admin/ (demo staff logins above)"
        )
        self.stdout.write(
            f"  Outbox:      http://127.0.0.1:{port}/admin/comms/outboxmessage/ (sent emails)"
        )
        state = "running, with the periodic scheduler" if background else "not started"
        self.stdout.write(f"  Task worker: {state}")
        if debug:
            self.stdout.write("  DEBUG:       on (debug pages; static files from the apps)")
        else:
            self.stdout.write("  DEBUG:       off (DEBUG=1 turns it on)")
        self.stdout.write("")
        self.stdout.flush()
        server = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
            manage("runserver", f"127.0.0.1:{port}", "--noreload"), env=env
        )
        # SIGTERM (a supervisor, a test) stops the children too, as Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for process in (server, *background):
                if process.poll() is None:
                    process.terminate()
            for process in (server, *background):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _secret_key(self, env: dict[str, str]) -> None:
        """Make the machine's key before any child starts. A database that exists without a
        key file was made with the development key (before this command made keys): keep that
        key for it, so that its encrypted fields stay readable, and say so."""
        key_file = Path(settings.VAR_DIR) / "secret_key"
        if key_file.exists():
            self.stdout.write(f"Secret key: {key_file}")
            return
        if "django_migrations" in connection.introspection.table_names():
            env["SECRET_KEY"] = DEV_SECRET_KEY
            self.stdout.write(
                self.style.WARNING(
                    "This database was made with the public development key, which this run "
                    "keeps so that its encrypted fields stay readable. For a key of its own, "
                    f"start a fresh store (delete {settings.DATABASES['default']['NAME']}) or "
                    "set SECRET_KEY and HEARTH_FIELD_KEYS."
                )
            )
            return
        persisted_secret_key(key_file)
        self.stdout.write(f"Secret key: made for this machine, kept in {key_file}")
