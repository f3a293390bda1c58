"""Crash-safe background work: worker heartbeats and the recovery of tasks a dead worker left
``RUNNING`` (issue #10 item 21).

django-tasks-db 0.13 marks a task RUNNING when a worker claims it and never looks at it again,
so a worker killed mid-task would leave it RUNNING forever. Hearth's ``manage.py db_worker``
(``hearth.core.management.commands.db_worker``) therefore beats a heartbeat row every quarter
lease and, on each beat, calls :func:`requeue_abandoned_tasks`: the one place that puts a task
whose worker is dead (no beat for ``settings.HEARTH_TASK_LEASE_SECONDS``) back in the queue.
Tasks are written to be safe to run twice, so a re-run does no harm.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass, field

from django.conf import settings
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from hearth.core import rules
from hearth.core.models import WorkerHeartbeat


class WorkerLost(Exception):
    """Recorded as a task's error when its workers kept dying while running it."""


def task_lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "HEARTH_TASK_LEASE_SECONDS", 60)))


def beat(*, worker_id: str, at: dt.datetime) -> None:
    """Record that ``worker_id`` is alive at ``at``."""
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(beat_at=at)
    if not updated:
        WorkerHeartbeat.objects.get_or_create(
            worker_id=worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": at,
                "beat_at": at,
            },
        )


def forget(*, worker_id: str) -> None:
    """A worker that stops cleanly removes its heartbeat."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


@dataclass
class Recovery:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def requeue_abandoned_tasks(*, at: dt.datetime, lease: dt.timedelta | None = None) -> Recovery:
    """Put back in the queue each RUNNING task whose worker is dead (``rules.abandoned_task``);
    fail those whose workers died too often. Safe to run from many workers at once."""
    lease = lease or task_lease()
    recovery = Recovery()
    alive = frozenset(
        WorkerHeartbeat.objects.filter(beat_at__gte=at - lease).values_list("worker_id", flat=True)
    )
    candidates = DBTaskResult.objects.running().filter(started_at__lte=at - lease)
    with exclusive_transaction(candidates.db):
        for result in candidates.select_for_update(skip_locked=True)[:100]:
            verdict = rules.abandoned_task(
                worker_ids=list(result.worker_ids),
                started_at=result.started_at,
                alive=alive,
                now=at,
                lease=lease,
            )
            if verdict == rules.Abandoned.REQUEUE:
                result.status = TaskResultStatus.READY
                result.save(update_fields=["status"])
                recovery.requeued.append(str(result.id))
            elif verdict == rules.Abandoned.FAIL:
                result.set_failed(
                    WorkerLost(f"{len(result.worker_ids)} workers died while running this task")
                )
                recovery.failed.append(str(result.id))
    # Dead workers' rows, long after anything could still point at them.
    WorkerHeartbeat.objects.filter(beat_at__lt=at - lease * 100).delete()
    return recovery
