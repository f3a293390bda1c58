"""Tasks on RQ over Redis (issue #17 item 3), when ``TASKS_BACKEND=rq``.

The task code does not change: django-tasks' interface, with django-tasks-rq's backend and RQ's
workers (``manage.py rqworker ... --job-class django_tasks_rq.Job --with-scheduler``, what
``hearth serve`` starts). The database backend stays the embedded default.

Crash safety, as on the database backend (ADR 0005): every job is created with RQ retries, so a
job whose worker was SIGKILLed (RQ finds it in the started registry once its heartbeat lapsed,
and calls it abandoned) is run again, and so is one that raised; our tasks are safe to run twice.
Emails need not even that: the outbox row is the truth, and ``sweep_outbox`` sends what is due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django_rq.queues import DjangoRQ
from rq import Retry

from hearth.core import clock

BACKEND_PATH = "django_tasks_rq.RQBackend"


def retry_policy() -> Retry:
    intervals = list(getattr(settings, "HEARTH_RQ_RETRY_INTERVALS", [10, 30, 60, 120, 300]))
    return Retry(max=len(intervals), interval=intervals)


class RetryingQueue(DjangoRQ):
    """django-rq's queue, with our retry policy on every job that does not name its own."""

    def create_job(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("retry") is None:
            kwargs["retry"] = retry_policy()
        return super().create_job(*args, **kwargs)


def using_rq() -> bool:
    from django_tasks import task_backends

    backend = type(task_backends["default"])  # the backend, not its proxy
    return f"{backend.__module__}.{backend.__name__}".startswith("django_tasks_rq.")


def check_redis() -> None:
    """Readiness: every configured queue's Redis answers a PING."""
    import django_rq

    for name in settings.RQ_QUEUES:
        django_rq.get_connection(name).ping()


def read_rq_queues() -> list[Any]:
    """Depth and oldest waiting age per queue, for ``/metrics``."""
    import django_rq

    from hearth.core.metrics import QueueStat

    stats = []
    now = clock.now()
    for name in settings.RQ_QUEUES:
        queue = django_rq.get_queue(name)
        depth = queue.count
        oldest = 0.0
        if depth:
            jobs = queue.get_jobs(0, 0)
            if jobs and jobs[0].enqueued_at is not None:
                enqueued = jobs[0].enqueued_at
                if enqueued.tzinfo is None:
                    enqueued = enqueued.replace(tzinfo=dt.UTC)
                oldest = max(0.0, (now - enqueued).total_seconds())
        stats.append(QueueStat(name, depth, oldest))
    return stats
