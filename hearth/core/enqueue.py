"""Enqueue a task once its transaction commits, and never lose it (issue #17 item 3).

On the database backend the task row commits with the business data. On RQ the enqueue is a
separate system: if Redis refuses after the commit, the work would be lost, or the customer would
see an error for an order that was placed. So a refused enqueue is logged, counted
(``hearth_tasks_unsent_total``), and kept as an :class:`~hearth.core.models.UnsentTask` row; the
scheduler's leader calls :func:`flush_unsent` every round, which enqueues the kept calls again,
oldest first, as soon as the backend answers. Tasks are safe to run twice (ADR 0005).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

from hearth.core import clock
from hearth.core.models import UnsentTask

logger = logging.getLogger("hearth.core.enqueue")


def _send(path: str, args: Sequence[Any], run_after: dt.datetime | None) -> None:
    """A ``run_after`` the backend cannot defer runs now (callers that must wait check first)."""
    task = import_string(path)
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    task.enqueue(*args)


def enqueue_or_keep(path: str, args: Sequence[Any], run_after: dt.datetime | None = None) -> bool:
    """Enqueue ``path(*args)`` now; on any refusal keep it for :func:`flush_unsent`."""
    try:
        _send(path, args, run_after)
        return True
    except Exception as exc:  # the backend's own errors (redis.ConnectionError, timeouts, ...)
        logger.error("Could not enqueue %s (%s); kept to enqueue again", path, type(exc).__name__)
        from hearth.core.metrics import TASKS_UNSENT

        TASKS_UNSENT.labels(task=path).inc()
        UnsentTask.objects.create(
            task=path,
            args=list(args),
            run_after=run_after,
            error=type(exc).__name__[:200],
            failed_at=clock.now(),
        )
        return False


def stored_in_this_database(task: Any) -> bool:
    """Whether ``task``'s backend keeps its tasks as rows of this database (django_tasks_db)."""
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


def enqueue_on_commit(task: Any, *args: Any, run_after: dt.datetime | None = None) -> None:
    """Enqueue ``task(*args)`` after the current transaction commits (at once outside one).

    On the database backend, inside a transaction, the task's row is written now, in it: it
    commits or rolls back with the change (no worker sees it before), and costs no transaction
    (and no WAL flush) of its own after the commit, as one per task did."""
    if transaction.get_connection().in_atomic_block and stored_in_this_database(task):
        _send(task.module_path, args, run_after)
        return
    transaction.on_commit(partial(enqueue_or_keep, task.module_path, args, run_after))


def flush_unsent(limit: int = 500) -> int:
    """Enqueue the kept calls again, oldest first; stop at the first refusal (the backend is
    still down). Returns how many went through."""
    sent = 0
    for row in UnsentTask.objects.order_by("failed_at", "id")[:limit]:
        try:
            _send(row.task, row.args, row.run_after)
        except Exception as exc:
            UnsentTask.objects.filter(pk=row.pk).update(
                attempts=row.attempts + 1, error=type(exc).__name__[:200]
            )
            logger.warning("Backend still refuses tasks (%s)", type(exc).__name__)
            break
        row.delete()
        sent += 1
    return sent
