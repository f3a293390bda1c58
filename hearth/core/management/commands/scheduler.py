"""Enqueue periodic tasks when they are due (settings.HEARTH_PERIODIC_TASKS).

    manage.py scheduler           # loop, checking every --interval seconds
    manage.py scheduler --once    # enqueue what is due now, then exit (for cron)

Any number may run: they elect one leader (``hearth.core.leader``: a PostgreSQL advisory lock,
or a file lock on SQLite), only the leader enqueues, and the others wait on standby and take
over when it dies. Last runs are kept in the database, so a restart or a change of leader does
not re-run everything at once. SIGTERM or SIGINT ends the loop after the current round.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils.module_loading import import_string

from hearth.core import clock
from hearth.core.enqueue import flush_unsent
from hearth.core.leader import LeaderLock
from hearth.core.models import PeriodicRun
from hearth.core.schedule import due, parse_schedule

logger = logging.getLogger("hearth.core.scheduler")
LOCK_NAME = "scheduler"


def enqueue_due() -> list[str]:
    schedule = parse_schedule(getattr(settings, "HEARTH_PERIODIC_TASKS", []))
    at = clock.now()
    last = dict(PeriodicRun.objects.values_list("task", "last_enqueued_at"))
    names = due(schedule, last, at)
    enqueued = []
    for name in names:
        try:
            import_string(name).enqueue()
        except Exception as exc:  # the backend is down: not recorded, so tried again next round
            logger.error("Could not enqueue %s (%s)", name, type(exc).__name__)
            continue
        PeriodicRun.objects.update_or_create(task=name, defaults={"last_enqueued_at": at})
        enqueued.append(name)
    return enqueued


class Command(BaseCommand):
    help = "Enqueue the periodic tasks of settings.HEARTH_PERIODIC_TASKS when they are due."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=15.0)

    def _say(self, text: str) -> None:
        logger.info(text)  # settings.LOGGING shows hearth.core.scheduler at INFO

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        previous = {}
        if not options["once"] and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, lambda *_: stop.set())
        lock = LeaderLock(LOCK_NAME)
        leading: bool | None = None
        try:
            while not stop.is_set():
                try:
                    now_leading = lock.try_acquire()
                except DatabaseError as exc:
                    logger.warning("Scheduler election failed (%s); trying again", exc)
                    now_leading = False
                if now_leading != leading:
                    leading = now_leading
                    self._say("scheduler: leader" if leading else "scheduler: standby")
                if leading:
                    for name in enqueue_due():
                        self._say(f"enqueued {name}")
                    if flushed := flush_unsent():
                        self._say(f"enqueued {flushed} kept tasks again")
                if options["once"]:
                    return
                stop.wait(options["interval"])
        finally:
            lock.release()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
