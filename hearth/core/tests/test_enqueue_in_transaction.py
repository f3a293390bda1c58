"""On the database backend, a task enqueued inside a transaction is a row of that transaction:
it commits with the change and rolls back with it, with no transaction of its own afterwards
(issue #12: placing an order wrote its three task rows in three commits after its own)."""

from __future__ import annotations

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
