"""Which periodic tasks are due: a pure rule over the schedule, the last runs and the time.

django-tasks queues and runs work but has no timer; ``manage.py scheduler`` asks :func:`due`
every few seconds and enqueues what it returns, on whatever task backend is configured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Periodic:
    task: str  # dotted path of a django-tasks Task
    every: dt.timedelta


def due(
    schedule: Sequence[Periodic], last_runs: Mapping[str, dt.datetime], at: dt.datetime
) -> list[str]:
    """The tasks never run, or last run at least ``every`` before ``at``, in schedule order."""
    return [
        entry.task
        for entry in schedule
        if entry.task not in last_runs or at - last_runs[entry.task] >= entry.every
    ]


def parse_schedule(raw: Sequence[tuple[str, int]]) -> list[Periodic]:
    """``[("app.tasks.name", seconds), ...]`` from settings, validated."""
    entries = []
    for task, seconds in raw:
        if not isinstance(task, str) or "." not in task:
            raise ValueError(f"not a dotted task path: {task!r}")
        if not isinstance(seconds, int) or seconds < 1:
            raise ValueError(f"{task}: the period must be a positive number of seconds")
        entries.append(Periodic(task, dt.timedelta(seconds=seconds)))
    return entries
