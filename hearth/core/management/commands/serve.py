"""``hearth serve`` (or ``python -m hearth serve``, ``manage.py serve``): the production process
set (web server, task workers, one elected scheduler), configured from the environment.
See hearth/core/serve.py and the README's "Production".
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hearth.core import serve
from hearth.core.log_filters import TruncateIPFilter
from hearth.core.logjson import JsonFormatter


class Command(BaseCommand):
    help = "Run the production process set: granian, task workers and one elected scheduler."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--migrate", action="store_true", help="apply migrations before starting"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(TruncateIPFilter())
        serve.logger.addHandler(handler)
        serve.logger.setLevel(logging.INFO)
        serve.logger.propagate = False
        try:
            config = serve.config_from_env(
                os.environ,
                worker_command=getattr(
                    settings, "HEARTH_TASK_WORKER_COMMAND", serve.DEFAULT_WORKER_COMMAND
                ),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        try:
            code = serve.serve(config, os.environ)
        except ValueError as exc:  # the front's sockets cannot be placed: nothing has started
            raise CommandError(str(exc)) from exc
        if code:
            sys.exit(code)
