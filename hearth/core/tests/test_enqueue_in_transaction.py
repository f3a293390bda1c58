"""On the database backend, a task enqueued inside a transaction is a row of that transaction:
it commits with the change and rolls back with it, with no transaction of its own afterwards
(issue #12: placing an order wrote its three task rows in three commits after its own)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from hearth.core.enqueue import enqueue_on_commit

pytestmark = pytest.mark.django_db


@task()
def do_nothing() -> None:
    """A task of this module (the core imports no domain app's)."""


@pytest.fixture
def database_tasks(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }


@pytest.mark.usefixtures("database_tasks")
def test_a_task_enqueued_in_a_transaction_is_written_in_it(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        enqueue_on_commit(do_nothing)
        assert DBTaskResult.objects.filter(task_path=do_nothing.module_path).count() == 1
    assert callbacks == []  # nothing left to do after the commit


@pytest.mark.usefixtures("database_tasks")
def test_a_task_enqueued_in_a_rolled_back_transaction_is_gone_with_it() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(do_nothing)
        raise RuntimeError("the change failed")
    assert DBTaskResult.objects.count() == 0


def test_another_backend_still_enqueues_after_the_commit(
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        enqueue_on_commit(do_nothing)
    assert len(callbacks) == 1


@task()
def do_something(n: int, word: str) -> None:
    """Another task of this module, with arguments."""


@pytest.mark.usefixtures("database_tasks")
def test_tasks_enqueued_in_a_batch_are_written_in_one_insert_as_enqueue_writes_them() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.compat import task_enqueued

    from hearth.core.enqueue import batched

    later = dt.datetime(2030, 1, 2, 3, 4, tzinfo=dt.UTC)
    signalled: list[str] = []

    def heard(sender: Any, task_result: Any, **kwargs: Any) -> None:
        signalled.append(task_result.task.module_path)

    task_enqueued.connect(heard)
    try:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured, batched():
                enqueue_on_commit(do_nothing)
                with batched():  # an inner batch joins the outer one
                    enqueue_on_commit(do_something, 7, "seven")
                enqueue_on_commit(do_something, 8, "eight", run_after=later)
                assert DBTaskResult.objects.count() == 0  # not yet: when the batch ends
            inserts = [q for q in captured.captured_queries if "INSERT" in q["sql"]]
            assert len(inserts) == 1
            enqueue_on_commit(do_something, 9, "nine")  # outside a batch: its own row at once
    finally:
        task_enqueued.disconnect(heard)
    batched_rows = DBTaskResult.objects.exclude(args_kwargs__args=[9, "nine"])
    rows = sorted(batched_rows, key=lambda r: r.args_kwargs["args"])
    assert [(r.task_path, r.args_kwargs, r.task_result.task.run_after) for r in rows] == [
        (do_nothing.module_path, {"args": [], "kwargs": {}}, None),
        (do_something.module_path, {"args": [7, "seven"], "kwargs": {}}, None),
        (do_something.module_path, {"args": [8, "eight"], "kwargs": {}}, later),
    ]
    one_by_one = DBTaskResult.objects.get(args_kwargs__args=[9, "nine"])
    for row in rows:  # the same columns the backend's own enqueue fills
        assert (row.status, row.queue_name, row.priority, row.backend_name) == (
            one_by_one.status,
            one_by_one.queue_name,
            one_by_one.priority,
            one_by_one.backend_name,
        )
        assert row.task_result.task.func is not None
    assert rows[0].run_after == one_by_one.run_after  # "no date" stored as the backend stores it
    assert signalled == [
        do_nothing.module_path,
        do_something.module_path,
        do_something.module_path,
        do_something.module_path,
    ]


@pytest.mark.usefixtures("database_tasks")
def test_a_batch_that_raises_writes_no_task() -> None:
    from hearth.core.enqueue import batched

    with pytest.raises(RuntimeError), transaction.atomic(), batched():
        enqueue_on_commit(do_nothing)
        raise RuntimeError("the change failed")
    assert DBTaskResult.objects.count() == 0
