"""Tasks on RQ over Redis (issue #17 item 3), against real Redis servers and real RQ workers.

- A worker SIGKILLed mid-send loses and duplicates nothing, as on the database backend
  (hearth/comms/tests/test_worker_killed_mid_send.py is the same scene there).
- With Redis down: readiness fails, an enqueue after a commit neither fails the request nor is
  lost (it is kept, then enqueued again by the scheduler once Redis answers), and the scheduler
  does not record a periodic run it could not enqueue.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django_rq
import pytest
from django.db import transaction
from django.test import Client
from django_tasks_rq import Job as DjangoTasksJob
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler

from hearth.checkout.tests.conftest import file_db  # noqa: F401  (the shared database fixture)
from hearth.comms import services
from hearth.comms.models import OutboundMessage, OutboundStatus
from hearth.comms.tests.test_worker_killed_mid_send import (  # the same scene's parts
    SlowToAcceptInbox,
    database_url,
    slow_smtp,  # noqa: F401
    wait_until,
)
from hearth.core import clock
from hearth.core.enqueue import enqueue_on_commit, flush_unsent
from hearth.core.models import PeriodicRun, UnsentTask
from hearth.core.tests.redis_servers import machine_redis_db, private_redis

ROOT = Path(__file__).resolve().parents[3]  # the project root (manage.py)
QUEUES = ["default", "email", "rollups"]
RQ_BACKEND = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": QUEUES}}


def _use_rq(settings: Any, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    settings.TASKS = RQ_BACKEND
    queues = {name: {"URL": url, "DEFAULT_TIMEOUT": 60} for name in QUEUES}
    settings.RQ_QUEUES = queues
    monkeypatch.setattr(django_rq.settings, "QUEUES", queues)  # django-rq read it at import


@pytest.fixture
def rq_on_machine_redis(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with machine_redis_db() as url:
        _use_rq(settings, monkeypatch, url)
        settings.HEARTH_RQ_RETRY_INTERVALS = [0, 0, 0]
        yield url


def test_a_worker_killed_mid_send_on_rq_leaves_every_email_delivered_exactly_once(
    file_db: str,  # noqa: F811
    slow_smtp: tuple[SlowToAcceptInbox, int],  # noqa: F811
    rq_on_machine_redis: str,
    tmp_path: Path,
) -> None:
    inbox, port = slow_smtp
    with transaction.atomic():
        rows = [
            services.queue_email(
                key=f"rq-kill-test:{n}",
                to=[f"buyer{n}@example.com"],
                subject=f"Your order EO-0000000{n} is confirmed",
                body="Thank you.",
                at=clock.now(),
            )
            for n in range(3)
        ]
    email_queue = django_rq.get_queue("email")
    assert email_queue.count == 3  # enqueued in Redis once the transaction committed

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hearth.settings",
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "rq",
        "REDIS_URL": rq_on_machine_redis,
        "HEARTH_RQ_RETRY_INTERVALS": "0,0,0",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "HEARTH_MAIL_LEASE_SECONDS": "3",
        "HEARTH_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "0",
    }

    def start_worker(name: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("wb")
        return subprocess.Popen(  # noqa: S603 (our own manage.py, fixed arguments)
            [
                sys.executable,
                "manage.py",
                "rqworker",
                "email",
                "--job-class",
                "django_tasks_rq.Job",
                "--with-scheduler",
                "--name",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: RQ forks a work-horse per job, and the kill below must take
            # the horse with its worker (a machine that dies), or the horse lives on after the test.
            start_new_session=True,
        )

    first = start_worker("killed-worker")
    try:
        assert inbox.first_data.wait(timeout=60), (tmp_path / "killed-worker.log").read_text()
        held = OutboundMessage.objects.get(status=OutboundStatus.SENDING)
        assert held.attempts == 1 and inbox.arrivals == []
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    # The job class the workers run with (--job-class below): RQ's clean-up calls its failure
    # callback, which django-tasks-rq's own Job class carries.
    started = StartedJobRegistry(queue=email_queue, job_class=DjangoTasksJob)
    assert len(started.get_job_ids(cleanup=False)) == 1  # RQ still thinks it runs

    # RQ calls a job abandoned once its dead worker's heartbeat lapsed (at most a minute and a
    # half here); rather than wait, ask RQ's own clean-up to look an hour ahead. It runs the
    # failure handling a worker's maintenance would, and our retry policy requeues the job.
    started.cleanup(timestamp=time.time() + 3600)
    assert email_queue.count >= 1
    # The dead worker also held the queue's scheduler lock (--with-scheduler), which lapses after
    # its time to live; let it lapse now, so that the second worker schedules the delivery that
    # comes back when the dead attempt's lease ends (services.deliver: HELD).
    email_queue.connection.delete(RQScheduler.get_locking_key("email"))

    second = start_worker("second-worker")
    try:
        wait_until(
            "every email is sent",
            lambda: OutboundMessage.objects.filter(status=OutboundStatus.SENT).count() == 3,
            timeout=60,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(second.pid, signal.SIGKILL)  # a horse left behind, if any

    assert Counter(inbox.arrivals) == {row.message_id: 1 for row in rows}
    held.refresh_from_db()
    assert (held.status, held.attempts) == (OutboundStatus.SENT, 2)


@pytest.fixture
def rq_on_private_redis(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Any]:
    with private_redis(tmp_path) as (url, server):
        _use_rq(settings, monkeypatch, url)
        yield server


@pytest.mark.django_db
def test_with_redis_down_nothing_is_lost_and_readiness_fails(
    rq_on_private_redis: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from hearth.comms.tasks import purge_outbox

    client = Client()
    assert client.get("/readyz").status_code == 200
    rq_on_private_redis.stop()

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "task_queue" in ready.json()["failing"]

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(purge_outbox)  # the commit succeeds; the refused enqueue is kept
    kept = UnsentTask.objects.get()
    assert kept.task == "hearth.comms.tasks.purge_outbox"
    assert kept.error == "ConnectionError"
    assert flush_unsent() == 0  # still down: kept, attempt counted
    kept.refresh_from_db()
    assert kept.attempts == 2

    rq_on_private_redis.start()  # Redis is back
    assert flush_unsent() == 1
    assert not UnsentTask.objects.exists()
    assert django_rq.get_queue("default").count == 1
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_the_scheduler_does_not_record_a_run_it_could_not_enqueue(
    rq_on_private_redis: Any, settings: Any
) -> None:
    from hearth.core.management.commands.scheduler import enqueue_due

    settings.HEARTH_PERIODIC_TASKS = [("hearth.comms.tasks.purge_outbox", 60)]
    rq_on_private_redis.stop()
    assert enqueue_due() == []
    assert not PeriodicRun.objects.exists()  # tried again next round
    rq_on_private_redis.start()
    assert enqueue_due() == ["hearth.comms.tasks.purge_outbox"]
    assert django_rq.get_queue("default").count == 1


@pytest.mark.django_db
def test_every_rq_job_carries_our_retry_policy(
    rq_on_private_redis: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from hearth.comms.tasks import purge_outbox

    settings.HEARTH_RQ_RETRY_INTERVALS = [5, 30]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(purge_outbox)
    (job,) = django_rq.get_queue("default").get_jobs()
    assert (job.retries_left, job.retry_intervals) == (2, [5, 30])


@pytest.mark.django_db
def test_metrics_show_the_depth_of_each_rq_queue(
    rq_on_private_redis: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from hearth.comms.tasks import purge_outbox

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(purge_outbox)
        enqueue_on_commit(purge_outbox)
    page = Client().get("/metrics").content.decode()
    assert 'hearth_task_queue_depth{queue="default"} 2.0' in page
    assert 'hearth_task_queue_depth{queue="email"} 0.0' in page
