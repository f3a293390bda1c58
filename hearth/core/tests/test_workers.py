"""Tasks survive a killed worker (issue #10 item 21): a task left RUNNING by a worker that
stopped beating its heartbeat for a lease is queued again, once per death, and failed after
too many deaths; a task on a live worker, or started within the lease, is left alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from hearth.core import workers
from hearth.core.models import WorkerHeartbeat
from hearth.core.rules import MAX_TASK_RUNS, Abandoned, abandoned_task

NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=60)


@pytest.mark.parametrize(
    ("worker_ids", "started_ago", "alive", "expected"),
    [
        (["w1"], 61, set(), Abandoned.REQUEUE),
        (["w1"], 60, set(), Abandoned.REQUEUE),
        (["w1"], 59, set(), Abandoned.NO),  # still inside its lease
        (["w1"], 3600, {"w1"}, Abandoned.NO),  # a long task on a live worker
        (["w1", "w2"], 61, {"w1"}, Abandoned.REQUEUE),  # its last worker is the dead one
        (["w1", "w2", "w3", "w4"], 61, set(), Abandoned.REQUEUE),
        (["w1", "w2", "w3", "w4", "w5"], 61, set(), Abandoned.FAIL),
        ([], 61, set(), Abandoned.REQUEUE),
    ],
)
def test_when_a_running_task_was_abandoned(
    worker_ids: list[str], started_ago: int, alive: set[str], expected: Abandoned
) -> None:
    got = abandoned_task(
        worker_ids=worker_ids,
        started_at=NOW - dt.timedelta(seconds=started_ago),
        alive=frozenset(alive),
        now=NOW,
        lease=LEASE,
    )
    assert got == expected
    assert MAX_TASK_RUNS == 5


@task()
def noop() -> None:
    """A task for the recovery to find."""


def running(*, worker_ids: list[str], started_at: dt.datetime) -> str:
    result = noop.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=started_at, worker_ids=worker_ids
    )
    return str(result.id)


@pytest.mark.django_db
def test_tasks_of_dead_workers_are_queued_again_and_live_ones_are_left_alone(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    workers.beat(worker_id="alive", at=NOW - dt.timedelta(seconds=10))
    workers.beat(worker_id="dead", at=NOW - dt.timedelta(seconds=61))
    long_started = NOW - dt.timedelta(minutes=30)
    of_dead = running(worker_ids=["dead"], started_at=long_started)
    of_unknown = running(worker_ids=["never-beat"], started_at=long_started)
    of_alive = running(worker_ids=["alive"], started_at=long_started)
    just_started = running(worker_ids=["dead"], started_at=NOW - dt.timedelta(seconds=5))
    cursed = running(worker_ids=[f"w{i}" for i in range(MAX_TASK_RUNS)], started_at=long_started)

    recovery = workers.requeue_abandoned_tasks(at=NOW, lease=LEASE)

    assert sorted(recovery.requeued) == sorted([of_dead, of_unknown])
    assert recovery.failed == [cursed]
    status = dict(DBTaskResult.objects.values_list("id", "status"))
    assert {str(k): v for k, v in status.items()} == {
        of_dead: "READY",
        of_unknown: "READY",
        of_alive: "RUNNING",
        just_started: "RUNNING",
        cursed: "FAILED",
    }
    failed = DBTaskResult.objects.get(id=cursed)
    assert failed.exception_class_path == "hearth.core.workers.WorkerLost"
    # A second pass finds nothing more to do.
    again = workers.requeue_abandoned_tasks(at=NOW, lease=LEASE)
    assert (again.requeued, again.failed) == ([], [])
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {"alive", "dead"}
    workers.forget(worker_id="dead")
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["alive"]
