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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
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


#: The calls enqueued inside :func:`batched` (None outside one).
_batch: ContextVar[list[tuple[str, Sequence[Any], dt.datetime | None]] | None] = ContextVar(
    "hearth_enqueue_batch", default=None
)


def enqueue_on_commit(task: Any, *args: Any, run_after: dt.datetime | None = None) -> None:
    """Enqueue ``task(*args)`` after the current transaction commits (at once outside one).

    On the database backend, inside a transaction, the task's row is written now, in it: it
    commits or rolls back with the change (no worker sees it before), and costs no transaction
    (and no WAL flush) of its own after the commit, as one per task did. Inside
    :func:`batched`, the row is written when the batch ends."""
    if transaction.get_connection().in_atomic_block and stored_in_this_database(task):
        pending = _batch.get()
        if pending is not None:
            pending.append((task.module_path, args, run_after))
        else:
            _send(task.module_path, args, run_after)
        return
    transaction.on_commit(partial(enqueue_or_keep, task.module_path, args, run_after))


@contextmanager
def batched() -> Iterator[None]:
    """Write the database backend's task rows enqueued inside the block with one INSERT when it
    ends (placing an order queues its two emails and its release: one row each), in the order
    enqueued; none if it raises (its transaction or savepoint rolls back with the change that
    queued them). Use it inside that transaction or savepoint. A block inside another batches
    into the outer one; other backends still enqueue after the commit."""
    if _batch.get() is not None:
        yield
        return
    pending: list[tuple[str, Sequence[Any], dt.datetime | None]] = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    if pending:
        _write_task_rows(pending)


def _write_task_rows(calls: Sequence[tuple[str, Sequence[Any], dt.datetime | None]]) -> None:
    """The rows ``DatabaseBackend.enqueue`` writes one by one (the same fields, the same check
    of each task and the same ``task_enqueued`` signal), in one INSERT. ``bulk_create`` sends
    no ``pre_save``, so the "no run_after" date its handler fills in is filled in here."""
    from django_tasks_db.compat import normalize_json, task_enqueued
    from django_tasks_db.models import DBTaskResult, get_date_max

    rows: list[tuple[Any, Any]] = []
    for path, args, run_after in calls:
        task = import_string(path)
        if run_after is not None:
            task = task.using(run_after=run_after)
        backend = task.get_backend()
        backend.validate_task(task)
        row: Any = DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": tuple(args), "kwargs": {}}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after or get_date_max(),
            backend_name=backend.alias,
        )
        rows.append((row, backend))
    DBTaskResult.objects.bulk_create([row for row, _backend in rows])
    for row, backend in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)


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
