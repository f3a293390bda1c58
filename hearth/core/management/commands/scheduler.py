"""Enqueue periodic tasks when they are due (settings.HEARTH_PERIODIC_TASKS).

    manage.py scheduler           # loop, checking every --interval seconds
    manage.py scheduler --once    # enqueue what is due now, then exit (for cron)

Run one scheduler per deployment; the task worker(s) run the work. Last runs are kept in the
database, so a restart does not re-run everything at once.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from hearth.core import clock
from hearth.core.models import PeriodicRun
from hearth.core.schedule import due, parse_schedule


def enqueue_due() -> list[str]:
    schedule = parse_schedule(getattr(settings, "HEARTH_PERIODIC_TASKS", []))
    at = clock.now()
    last = dict(PeriodicRun.objects.values_list("task", "last_enqueued_at"))
    names = due(schedule, last, at)
    for name in names:
        import_string(name).enqueue()
        PeriodicRun.objects.update_or_create(task=name, defaults={"last_enqueued_at": at})
    return names


class Command(BaseCommand):
    help = "Enqueue the periodic tasks of settings.HEARTH_PERIODIC_TASKS when they are due."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=15.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            for name in enqueue_due():
                self.stdout.write(f"enqueued {name}")
            if options["once"]:
                return
            time.sleep(options["interval"])
