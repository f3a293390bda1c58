"""Pure kernel rules: when a background task left running was abandoned by a dead worker.

No Django, no database, no clock: time comes in as an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum

#: A task whose workers died this many times is failed rather than run again (a task that kills
#: its worker must not take every worker down in turn).
MAX_TASK_RUNS = 5


class Abandoned(StrEnum):
    NO = "no"
    REQUEUE = "requeue"
    FAIL = "fail"


def abandoned_task(
    *,
    worker_ids: Sequence[str],
    started_at: dt.datetime | None,
    alive: frozenset[str],
    now: dt.datetime,
    lease: dt.timedelta,
) -> Abandoned:
    """A running task is abandoned when it started more than ``lease`` ago and the worker that
    claimed it last has not beaten its heart within the lease. It runs again, unless its workers
    died :data:`MAX_TASK_RUNS` times already."""
    last = worker_ids[-1] if worker_ids else None
    if last is not None and last in alive:
        return Abandoned.NO
    if started_at is not None and now - started_at < lease:
        return Abandoned.NO
    return Abandoned.FAIL if len(worker_ids) >= MAX_TASK_RUNS else Abandoned.REQUEUE
