"""The outbound queue (issue #10 item 21): queued in the business transaction, sent after the
commit outside it, once per key; failures retried with backoff, then shown to staff to retry;
purged after the declared 90 days. Mail goes to a real SMTP server (aiosmtpd) or, for refusals,
to a port where nothing listens.
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.db import transaction
from django.test import Client

from hearth.accounts.models import User
from hearth.accounts.services import assign_role, sync_roles
from hearth.comms import rules, services, tasks
from hearth.comms.models import OutboundMessage, OutboundStatus, OutboxMessage
from hearth.comms.selectors import outbox_policy
from hearth.comms.services import Attachment, Outcome
from hearth.core import clock
from hearth.core.models import AuditEvent

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
POLICY = rules.RetryPolicy(
    max_attempts=6, backoff_base=dt.timedelta(seconds=60), backoff_cap=dt.timedelta(hours=1)
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }


@pytest.fixture
def dead_smtp(settings: Any) -> None:
    """Mail to a local port where nothing listens: every attempt is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port


def queue(key: str = "order:1:confirmation", **overrides: Any) -> OutboundMessage:
    fields: dict[str, Any] = {
        "key": key,
        "to": ["ada@example.com"],
        "subject": "Your order EO-00000001 is confirmed",
        "body": "Thank you.",
        "at": clock.now(),
    }
    fields.update(overrides)
    return services.queue_email(**fields)


# --- Rules.


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [(1, 60), (2, 120), (3, 240), (4, 480), (5, 960), (6, 1920), (7, 3600), (40, 3600)],
)
def test_backoff_doubles_from_a_minute_up_to_an_hour(attempt: int, seconds: int) -> None:
    assert rules.backoff(attempt, POLICY) == dt.timedelta(seconds=seconds)


def test_a_failure_queues_again_until_the_last_attempt_then_fails() -> None:
    assert rules.after_failure(attempts=5, policy=POLICY, now=T0) == rules.AfterFailure(
        status=rules.MessageStatus.QUEUED, next_attempt_at=T0 + dt.timedelta(seconds=960)
    )
    assert rules.after_failure(attempts=6, policy=POLICY, now=T0) == rules.AfterFailure(
        status=rules.MessageStatus.FAILED, next_attempt_at=None
    )


@pytest.mark.parametrize(
    ("status", "lease_until", "next_attempt_at", "attempts", "expected"),
    [
        ("queued", None, T0, 0, rules.Claim.SEND),
        ("queued", None, T0 + dt.timedelta(seconds=1), 1, rules.Claim.NOT_DUE),
        ("sending", T0 + dt.timedelta(seconds=1), None, 1, rules.Claim.HELD),
        ("sending", T0, None, 1, rules.Claim.SEND),  # the holder's lease ended: take over
        ("sending", T0, None, 6, rules.Claim.GIVE_UP),
        ("sent", None, None, 1, rules.Claim.ALREADY_SENT),
        ("failed", None, None, 6, rules.Claim.FAILED),
    ],
)
def test_who_may_send_a_message_now(
    status: str, lease_until: Any, next_attempt_at: Any, attempts: int, expected: rules.Claim
) -> None:
    got = rules.claim(
        status=rules.MessageStatus(status),
        lease_until=lease_until,
        next_attempt_at=next_attempt_at,
        attempts=attempts,
        max_attempts=6,
        now=T0,
    )
    assert got == expected


def test_the_declared_policy_is_the_one_in_comms_data() -> None:
    policy = outbox_policy()
    assert policy.retention_key == "outbox_90_days"
    assert policy.retention_days == 90
    assert policy.retry == POLICY
    assert policy.sending_lease == dt.timedelta(minutes=5)


# --- Queue and send.


@pytest.mark.promise("TOS-7")
def test_an_email_queued_in_a_transaction_is_sent_once_after_the_commit(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        row = queue()
        again = queue()  # the same key: the same row
        assert smtp_server.messages == []  # nothing leaves inside the transaction
    assert len(callbacks) == 1
    assert again.pk == row.pk
    messages = smtp_server.wait_for(1)
    assert len(messages) == 1
    assert messages[0]["Message-ID"] == row.message_id
    assert messages[0]["Subject"] == "Your order EO-00000001 is confirmed"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.lease_until) == (OutboundStatus.SENT, 1, None)
    # A second delivery (a task run twice) sends nothing.
    assert services.deliver(outbound_id=row.pk) == Outcome.ALREADY_SENT
    assert tasks.deliver_message.call(row.pk) == "already_sent"
    assert len(smtp_server.messages) == 1


def test_a_rolled_back_transaction_queues_and_sends_nothing(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue()
        raise RuntimeError("the business change failed")
    assert callbacks == []
    assert OutboundMessage.objects.count() == 0
    assert smtp_server.messages == []


def test_attachments_and_html_arrive_as_queued(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        queue(
            html_body="<p>Thank you.</p>",
            attachments=[Attachment("invoice-1.pdf", b"%PDF-1.4 demo", "application/pdf")],
        )
    message = smtp_server.wait_for(1)[0]
    assert message.get_body(("html",)).get_content().strip() == "<p>Thank you.</p>"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "invoice-1.pdf"
    assert attachment.get_content() == b"%PDF-1.4 demo"


RENDERED: list[str] = []


def render_demo(*, key: str) -> EmailMessage:
    """A renderer for rows queued with ``queue_rendered_later`` (called by dotted path)."""
    RENDERED.append(key)
    message = EmailMessage(f"Rendered for {key}", "Made by the worker.", None, ["x@example.com"])
    message.attach("invoice-1.pdf", b"%PDF-1.4 late", "application/pdf")
    return message


def render_broken(*, key: str) -> EmailMessage:
    raise LookupError(key)


@pytest.mark.promise("TOS-11")
def test_a_message_rendered_later_is_made_by_the_sending_worker_once_and_kept(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    RENDERED.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        row = services.queue_rendered_later(
            key="order:7:tax_invoice",
            to=["ada@example.com"],
            render_with=f"{__name__}.render_demo",
            at=clock.now(),
        )
    # Queued with the change: key, recipient and Message-ID fixed, no content made yet.
    row.refresh_from_db()
    assert (row.subject, row.body, row.attachments, RENDERED) == ("", "", [], [])
    for callback in callbacks:
        callback()
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Rendered for order:7:tax_invoice"
    assert message["Message-ID"] == row.message_id
    assert message["To"] == "ada@example.com"  # the row's recipients, not the renderer's
    assert [a.get_content() for a in message.iter_attachments()] == [b"%PDF-1.4 late"]
    row.refresh_from_db()
    assert row.render_with == "" and row.subject == "Rendered for order:7:tax_invoice"
    assert row.body == "Made by the worker." and row.status == OutboundStatus.SENT
    assert services.deliver(outbound_id=row.pk) == Outcome.ALREADY_SENT
    assert RENDERED == ["order:7:tax_invoice"]


def test_a_renderer_that_fails_is_retried_later_and_sends_nothing(smtp_server: Any) -> None:
    with clock.frozen(T0):
        row = services.queue_rendered_later(
            key="order:8:confirmation",
            to=["ada@example.com"],
            render_with=f"{__name__}.render_broken",
            at=T0,
        )
        assert services.deliver(outbound_id=row.pk) == Outcome.RETRY_LATER
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (
        OutboundStatus.QUEUED,
        1,
        "LookupError",
    )
    assert row.render_with.endswith("render_broken") and row.body == ""
    assert smtp_server.messages == []


def test_a_live_lease_keeps_a_second_worker_off_until_it_ends(smtp_server: Any) -> None:
    with clock.frozen(T0):
        row = queue()
        OutboundMessage.objects.filter(pk=row.pk).update(
            status=OutboundStatus.SENDING, attempts=1, lease_until=T0 + dt.timedelta(minutes=5)
        )
        assert services.deliver(outbound_id=row.pk) == Outcome.HELD
    assert smtp_server.messages == []
    with clock.frozen(T0 + dt.timedelta(minutes=5)):  # the holder died: its lease ran out
        assert services.deliver(outbound_id=row.pk) == Outcome.SENT
    assert len(smtp_server.wait_for(1)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundStatus.SENT, 2)


def test_refused_attempts_back_off_then_fail_and_keep_no_address(dead_smtp: None) -> None:
    with clock.frozen(T0):
        row = queue()
    row.refresh_from_db()
    at = T0
    waits = []
    for attempt in range(1, 7):
        with clock.frozen(at):
            outcome = services.deliver(outbound_id=row.pk)
            # Not due yet: a second call inside the backoff does not try.
            row.refresh_from_db()
        assert row.attempts == attempt
        if attempt < 6:
            assert outcome == Outcome.RETRY_LATER
            assert row.status == OutboundStatus.QUEUED
            waits.append(int((row.next_attempt_at - at).total_seconds()))
            with clock.frozen(at + dt.timedelta(seconds=1)):
                assert services.deliver(outbound_id=row.pk) == Outcome.NOT_DUE
            at = row.next_attempt_at
    assert waits == [60, 120, 240, 480, 960]
    assert outcome == Outcome.FAILED
    assert row.status == OutboundStatus.FAILED
    assert row.last_error == "ConnectionRefusedError (111)"
    assert "example.com" not in row.last_error
    with clock.frozen(at + dt.timedelta(days=1)):
        assert services.deliver(outbound_id=row.pk) == Outcome.FAILED  # only staff retry it
    assert row.attempts == 6


def test_the_sweep_enqueues_overdue_messages_and_a_dead_holders_message(
    smtp_server: Any,
) -> None:
    with clock.frozen(T0):
        overdue = queue("sweep:1")
        fresh = queue("sweep:2", at=T0 + dt.timedelta(minutes=10))
        held = queue("sweep:3")
    OutboundMessage.objects.filter(pk=held.pk).update(
        status=OutboundStatus.SENDING, attempts=1, lease_until=T0 + dt.timedelta(minutes=2)
    )
    with clock.frozen(T0 + dt.timedelta(minutes=5)):
        assert services.enqueue_due(at=clock.now()) == 2
    sent = {m["Message-ID"] for m in smtp_server.wait_for(2)}
    overdue.refresh_from_db()
    held.refresh_from_db()
    assert sent == {overdue.message_id, held.message_id}
    assert OutboundMessage.objects.get(pk=fresh.pk).status == OutboundStatus.QUEUED


# --- Staff.


def test_staff_see_failed_emails_and_retry_them(
    dead_smtp: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with clock.frozen(T0):
        row = queue()
    OutboundMessage.objects.filter(pk=row.pk).update(
        status=OutboundStatus.FAILED, attempts=6, last_error="ConnectionRefusedError (111)"
    )
    queue("order:2:confirmation", subject="Still waiting")
    sync_roles()
    care = User.objects.create_user(email="care@example.com", password="x" * 12)
    assign_role(user=care, role_key="care_agent", actor=None)
    warehouse = User.objects.create_user(email="wh@example.com", password="x" * 12)
    assign_role(user=warehouse, role_key="warehouse", actor=None)
    client = staff_client(care)

    page = client.get("/admin/comms/outboundmessage/?status__exact=failed")

    assert page.status_code == 200
    listed = page.context["cl"].result_list
    assert [m.pk for m in listed] == [row.pk]
    assert "ConnectionRefusedError (111)" in page.content.decode()
    assert staff_client(warehouse).get("/admin/comms/outboundmessage/").status_code == 403

    from aiosmtpd.controller import Controller

    from conftest import _Inbox

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()  # the mail server is back
    try:
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(
                "/admin/comms/outboundmessage/",
                {"action": "retry", "_selected_action": [row.pk]},
            )
        assert answer.status_code == 302
        assert [m["Message-ID"] for m in inbox.wait_for(1)] == [row.message_id]
    finally:
        controller.stop()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundStatus.SENT, 1)
    retried = AuditEvent.objects.filter(object_type="comms.OutboundMessage", action="state_changed")
    assert [(e.actor_id, e.fields) for e in retried] == [(care.pk, ["status"])]


def staff_client(user: User) -> Client:
    from hearth.accounts.tests.conftest import pass_second_factor

    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return client


# --- Retention.


def test_the_outbox_is_purged_after_its_declared_90_days(settings: Any) -> None:
    old = queue("old", at=T0 - dt.timedelta(days=90, seconds=1))
    kept = queue("kept", at=T0 - dt.timedelta(days=89, hours=23))
    copies = [
        OutboxMessage.objects.create(from_address="orders@example.com", subject=s, body="", raw=b"")
        for s in ("old copy", "kept copy")
    ]
    OutboxMessage.objects.filter(pk=copies[0].pk).update(created_at=T0 - dt.timedelta(days=91))
    OutboxMessage.objects.filter(pk=copies[1].pk).update(created_at=T0 - dt.timedelta(days=89))

    with clock.frozen(T0):
        assert tasks.purge_outbox.call() == 2

    assert list(OutboundMessage.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(OutboxMessage.objects.values_list("subject", flat=True)) == ["kept copy"]
    assert not OutboundMessage.objects.filter(pk=old.pk).exists()
    assert ("hearth.comms.tasks.purge_outbox", 86_400) in settings.HEARTH_PERIODIC_TASKS
    assert ("hearth.comms.tasks.sweep_outbox", 60) in settings.HEARTH_PERIODIC_TASKS


def test_a_one_time_link_email_keeps_no_address_or_content_once_sent(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(
            "devices:confirm:abc", body="Confirm: https://example.com/c/tok", forget_once_sent=True
        )
    [message] = smtp_server.wait_for(1)
    assert "https://example.com/c/tok" in message.get_content()
    row.refresh_from_db()
    assert row.status == OutboundStatus.SENT
    assert (row.to_addresses, row.body, row.html_body, row.attachments) == ([], "", "", [])
    assert row.subject == "Your order EO-00000001 is confirmed"  # what was sent, not to whom


# --- Extra headers (a care reply's Reply-To).


@pytest.mark.promise("TOS-27")
def test_extra_headers_reach_the_sent_message(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue(headers={"Reply-To": "care+abc123@example.com"})

    sent = smtp_server.wait_for(1)
    assert sent[0]["Reply-To"] == "care+abc123@example.com"


def test_a_header_with_a_line_break_is_refused_and_nothing_is_queued() -> None:
    from hearth.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        queue(headers={"Reply-To": "care@example.com\r\nBcc: eve@example.com"})

    assert refused.value.code == "bad_header"
    assert OutboundMessage.objects.count() == 0
