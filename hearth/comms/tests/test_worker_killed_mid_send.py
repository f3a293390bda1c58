"""A real worker process is SIGKILLed while it is sending an email; another worker takes over,
and every email reaches a real SMTP server exactly once (issue #10 item 21, TOS-7).

The scene: three emails are queued (in a committed transaction) on a database both this test and
the workers share (a temporary SQLite file, or the PostgreSQL test database when DATABASE_URL
names one). A real aiosmtpd server holds back its reply to the first message's DATA, so the first
``manage.py db_worker`` is caught mid-send: it has sent the message but the server has not
accepted it. The test kills that worker with SIGKILL (no clean-up of any kind), starts a second
one, and waits until every email is marked sent. The second worker finds the task the dead one
left RUNNING (no heartbeat for a lease: 2 seconds here), runs it again, takes the message over
once its sending lease (3 seconds here) ran out, and sends it.

An arrival is a message the server acknowledged with its 250 reply: a client killed before that
reply has delivered nothing (RFC 5321 4.1.1.4); the killed worker's half-sent copy is dropped by
the server when the connection dies. The count below is of raw arrivals, with no de-duplication.
(The remaining window, a crash after the 250 and before the ``sent`` mark commits, is the
at-least-once boundary documented in ``hearth.comms.services``.)
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from hearth.checkout.tests.conftest import file_db  # noqa: F401  (the shared database fixture)
from hearth.comms import services
from hearth.comms.models import OutboundMessage, OutboundStatus
from hearth.core import clock

EMAILS = 3
ROOT = Path(django_settings.BASE_DIR)


class SlowToAcceptInbox:
    """An aiosmtpd handler that holds its reply to the first DATA for ``hold`` seconds."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.arrivals: list[str] = []
        self.first_data = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        if not self.first_data.is_set():
            self.first_data.set()
            await asyncio.sleep(self.hold)  # the client is killed during this (we are cancelled)
            if server.transport is None:  # no one to tell: not accepted
                return "451 Requested action aborted"
        with self._lock:
            self.arrivals.append(str(message["Message-ID"]))
        return "250 Message accepted for delivery"


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowToAcceptInbox, int]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = SlowToAcceptInbox(hold=120)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
    return (
        f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def wait_until(what: str, condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.2)


@pytest.mark.promise("TOS-7")
def test_a_worker_killed_mid_send_leaves_every_email_delivered_exactly_once(
    file_db: str,  # noqa: F811
    slow_smtp: tuple[SlowToAcceptInbox, int],
    tmp_path: Path,
    settings: Any,
) -> None:
    inbox, port = slow_smtp
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    with transaction.atomic():
        rows = [
            services.queue_email(
                key=f"kill-test:{n}",
                to=[f"buyer{n}@example.com"],
                subject=f"Your order EO-0000000{n} is confirmed",
                body="Thank you.",
                at=clock.now(),
            )
            for n in range(EMAILS)
        ]
    assert DBTaskResult.objects.filter(status="READY").count() == EMAILS  # enqueued on commit

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hearth.settings",
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "HEARTH_TASK_LEASE_SECONDS": "2",
        "HEARTH_MAIL_LEASE_SECONDS": "3",
        "HEARTH_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "0",
    }

    def start_worker(worker_id: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{worker_id}.log").open("wb")
        return subprocess.Popen(  # noqa: S603 (our own manage.py, fixed arguments)
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--queue-name=email",
                "--interval=0.2",
                "--no-startup-delay",
                "--no-reload",
                f"--worker-id={worker_id}",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def sending_row() -> OutboundMessage | None:
        return OutboundMessage.objects.filter(status=OutboundStatus.SENDING).first()

    first = start_worker("killed-worker")
    try:
        assert inbox.first_data.wait(timeout=40), (tmp_path / "killed-worker.log").read_text()
        held = sending_row()
        assert held is not None and held.attempts == 1
        assert inbox.arrivals == []
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    abandoned = DBTaskResult.objects.get(status="RUNNING")
    assert abandoned.worker_ids == ["killed-worker"]

    second = start_worker("second-worker")
    try:
        wait_until(
            "every email is sent",
            lambda: OutboundMessage.objects.filter(status=OutboundStatus.SENT).count() == EMAILS,
            timeout=45,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()

    assert Counter(inbox.arrivals) == {row.message_id: 1 for row in rows}
    held.refresh_from_db()
    assert (held.status, held.attempts) == (OutboundStatus.SENT, 2)
    abandoned.refresh_from_db()
    assert abandoned.status == "SUCCESSFUL"
    assert abandoned.worker_ids == ["killed-worker", "second-worker"]
    assert not DBTaskResult.objects.filter(status__in=["RUNNING", "FAILED"]).exists()
