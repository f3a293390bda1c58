"""Project-wide pytest wiring: the promise marker.

Every ``@pytest.mark.promise("ID")`` must name an ID of docs/PROMISES.md, else the run fails.
When HEARTH_PROMISES_OUT is set, collection writes {ID: [test ids]} there as JSON (used by
``manage.py promises``).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, settings

from hearth.core.promises import read_register

# Hypothesis on a loaded 2-core machine: generation speed and example run time depend on the other
# processes, so neither may fail a test. "ci" (the default) drops the deadline and the too_slow and
# large_base_example health checks; "dev" keeps Hypothesis' defaults for local exploration
# (HYPOTHESIS_PROFILE=dev).
settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
    derandomize=False,
    print_blob=True,
)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def _visitor_statistics_off() -> None:
    """Visitor statistics (hearth/stats) count no test's pages unless the test turns them on
    (``settings.HEARTH_STATS``): the day's salt is read once per process and day, which would
    otherwise land in whichever test first shows a page and break its query count."""
    from django.conf import settings as django_settings

    django_settings.HEARTH_STATS = {**django_settings.HEARTH_STATS, "ENABLED": False}


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    known = {p.id for p in read_register()}
    proofs: dict[str, list[str]] = defaultdict(list)
    bad: list[str] = []
    for item in items:
        for mark in item.iter_markers(name="promise"):
            if not mark.args:
                bad.append(f"{item.nodeid}: promise marker without an ID")
            for promise_id in mark.args:
                if promise_id not in known:
                    bad.append(f"{item.nodeid}: unknown promise ID {promise_id!r}")
                proofs[promise_id].append(item.nodeid)
    if bad:
        raise pytest.UsageError(
            "Promise markers name IDs not in docs/PROMISES.md:\n" + "\n".join(bad)
        )
    out = os.environ.get("HEARTH_PROMISES_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(proofs, fh)


@pytest.fixture
def api_client():
    """Django's test client, for driving the HTTP API as a device or auditor would."""
    from django.test import Client

    return Client()


class _Inbox:
    """What a real SMTP server on 127.0.0.1 received, as parsed email messages."""

    def __init__(self) -> None:
        import threading

        self.messages: list = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        """Block until at least ``count`` messages arrived (or ``timeout`` passed)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return list(self.messages)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Django's mail goes to it for the test.

    Yields an inbox whose ``messages`` are ``email.message.EmailMessage`` objects.
    """
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    # Mail queued in comms' outbound queue is delivered by a task as soon as its transaction
    # commits: run tasks in the test's process, as a worker would run them.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _fresh_device_auth_cache() -> object:
    """Each test starts with an empty device-token cache (a worker-process cache in production:
    see hearth/devices/selectors.py)."""
    from hearth.devices.selectors import forget_device_tokens

    forget_device_tokens()
    yield
    forget_device_tokens()


@pytest.fixture(autouse=True)
def _fresh_gpc_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test counts Global Privacy Control views in its own counter (one per worker process
    in production: hearth/privacy/cookie_policy.py), so nothing another test left pending is
    written into this one's database."""
    from hearth.privacy import cookie_policy

    monkeypatch.setattr(cookie_policy, "gpc_counter", cookie_policy.GpcCounter())


@pytest.fixture(autouse=True)
def _default_language_first() -> object:
    """Each test starts in the default language: a request in French (LocaleMiddleware activates
    it for the thread and leaves it active) must not make the next test's sign-up or order
    French, since both record the active language (issue #16)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_policy_documents() -> object:
    """Each test reads policy versions from its own database (a worker-process cache in
    production: see hearth/privacy/selectors.py); a rolled-back test's versions are forgotten."""
    from hearth.privacy.selectors import forget_policy_documents
    from hearth.web.templatetags.chrome import forget_fragments

    forget_policy_documents()
    forget_fragments()  # a test may change URLs or translations
    yield
    forget_policy_documents()
