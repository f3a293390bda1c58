"""``manage.py db_worker``: django-tasks-db's worker, with a heartbeat and abandoned-task recovery.

Same options as django-tasks-db's command (it overrides it: ``hearth.core`` is listed before
``django_tasks_db`` in INSTALLED_APPS). While it runs, a thread beats the worker's heartbeat
every quarter of ``settings.HEARTH_TASK_LEASE_SECONDS`` and re-queues the tasks that dead workers
left RUNNING (``hearth.core.workers``). A worker killed with SIGKILL stops beating; within one
lease another worker runs its task again.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.db import DatabaseError, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from hearth.core import clock, workers

logger = logging.getLogger("hearth.core.workers")


class HeartbeatWorker(Worker):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._stopped = threading.Event()

    def _beat_and_recover(self) -> None:
        at = clock.now()
        workers.beat(worker_id=self.worker_id, at=at)
        recovery = workers.requeue_abandoned_tasks(at=at)
        for task_id in recovery.requeued:
            logger.warning("Task id=%s was abandoned by a dead worker: queued again", task_id)
        for task_id in recovery.failed:
            logger.error("Task id=%s kept killing its workers: failed", task_id)

    def _heartbeat(self) -> None:
        interval = workers.task_lease().total_seconds() / 4
        try:
            while not self._stopped.wait(interval):
                try:
                    self._beat_and_recover()
                except DatabaseError:
                    logger.warning("Heartbeat of worker %s failed; trying again", self.worker_id)
        finally:
            connection.close()

    def run(self) -> None:
        self._beat_and_recover()
        thread = threading.Thread(target=self._heartbeat, name="hearth-heartbeat", daemon=True)
        thread.start()
        try:
            super().run()
        finally:
            self._stopped.set()
            thread.join(timeout=5)
            try:
                workers.forget(worker_id=self.worker_id)
            except DatabaseError:
                logger.warning("Could not remove the heartbeat of worker %s", self.worker_id)


class Command(DatabaseWorkerCommand):
    help = "Run a database background worker with a heartbeat (abandoned tasks run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        reload = options["reload"] and not options["batch"]
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            from django.core.management.base import CommandError

            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = HeartbeatWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
