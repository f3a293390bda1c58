"""Comms writes: queue an email inside the business transaction, deliver it after the commit.

Exactly once, as far as SMTP allows (issue #10 item 21, TOS-7):

1. :func:`queue_email` writes an :class:`OutboundMessage` in the caller's transaction, with an
   idempotency ``key`` (queueing twice gives the same row) and a Message-ID fixed once for all
   attempts; the delivery task is enqueued when that transaction commits.
2. :func:`deliver` (the task) claims the row in a short transaction: status ``sending``, one more
   attempt, a lease. It talks SMTP outside any transaction, then marks the row ``sent``.
   A sent row is never sent again; a live lease keeps a second worker off it.
3. A failed attempt (the server refused, or could not be reached) is queued again after an
   exponential backoff, and ``failed`` once out of attempts: staff see it in the back office and
   may retry it (:func:`retry_failed`).

The one window left: a worker that dies after the server accepted the message (its reply to
DATA) and before the ``sent`` mark commits will have the message sent again by the next worker:
at-least-once there, with the same Message-ID, so the receiving side can drop the copy. The
window is one UPDATE long. A worker killed *during* the SMTP conversation (before the server's
reply) leaves nothing delivered, and the next worker sends the message once.
"""

from __future__ import annotations

import base64
import datetime as dt
import smtplib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from hearth.comms import rules, selectors
from hearth.comms.dkim import SignedEmailMessage
from hearth.comms.errors import CommsErrorCode
from hearth.comms.models import (
    Campaign,
    CampaignSend,
    OutboundKind,
    OutboundMessage,
    OutboundStatus,
    OutboxMessage,
)
from hearth.core import audit, clock
from hearth.core.audit import Actor
from hearth.core.errors import DomainError
from hearth.core.languages import choose_language

#: How long past due a message waits before the sweep enqueues it again (its own task is
#: normally on the way).
SWEEP_GRACE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


def _message_id(from_address: str) -> str:
    """A Message-ID unique by construction: 128 random bits from the OS. (``make_msgid`` draws
    from the ``random`` module, which a test framework may re-seed: two emails queued in the
    same hundredth of a second then got the same ID.)"""
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "hearth.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def queue_email(
    *,
    key: str,
    to: Sequence[str],
    subject: str,
    body: str,
    at: dt.datetime,
    html_body: str = "",
    attachments: Sequence[Attachment] = (),
    from_address: str | None = None,
    kind: OutboundKind = OutboundKind.TRANSACTIONAL,
    forget_once_sent: bool = False,
    headers: Mapping[str, str] | None = None,
    language: str = "",
    actor: Actor | None = None,
) -> OutboundMessage:
    """Queue one email, sent once after the caller's transaction commits.

    Call it inside the business transaction that causes the email, so the email exists if and
    only if the change does. ``key`` names the email in the business (``order:12:confirmation``):
    queueing the same key again returns the row already queued and sends nothing more.
    ``forget_once_sent``: for one-time links and notices to a person being erased, the sent row
    keeps neither recipients nor content. The row is its own record (key, time, status): no
    audit event is written for queueing; staff retries are audited. ``language``: the one the
    content is written in (the recipient's, ``hearth.core.languages.choose_language``); by
    default the active language.
    """
    return _queue(
        key=key,
        to=to,
        subject=subject,
        body=body,
        at=at,
        html_body=html_body,
        attachments=attachments,
        from_address=from_address,
        kind=kind,
        forget_once_sent=forget_once_sent,
        headers=headers,
        language=language,
    )


def queue_rendered_later(
    *,
    key: str,
    to: Sequence[str],
    render_with: str,
    at: dt.datetime,
    from_address: str | None = None,
    kind: OutboundKind = OutboundKind.TRANSACTIONAL,
    new_key: bool = False,
    language: str = "",
) -> OutboundMessage:
    """:func:`queue_email` for a message costly to make (a tax invoice's PDF): the row is written
    now, in the caller's transaction, with its key, recipients and Message-ID, so the email
    exists if and only if the change does; its content is made by ``render_with`` (the dotted
    path of a function taking ``key=`` and returning an ``EmailMessage``) when a worker first
    claims it, outside the caller's request, and stored on the row before it is sent.

    ``new_key``: the key names a business object created in the caller's transaction, so no row
    can hold it yet: the lookup and the savepoint are skipped (a clash would fail the caller's
    transaction, as any unique key does). ``language``: the recipient's; the worker renders in
    it (issue #16), whatever its own language."""
    return _queue(
        new_key=new_key,
        key=key,
        to=to,
        subject="",
        body="",
        at=at,
        from_address=from_address,
        kind=kind,
        render_with=render_with,
        language=language,
    )


def queue_new_rendered_later(
    *,
    keys: Sequence[str],
    to: Sequence[str],
    render_with: str,
    at: dt.datetime,
    language: str = "",
) -> list[OutboundMessage]:
    """:func:`queue_rendered_later` with ``new_key`` for several transactional messages to the
    same recipients (an order's confirmation and tax invoice): one INSERT for them all, each
    delivery enqueued on commit. The keys name objects created in the caller's transaction."""
    recipients = [address for address in to if address]
    if not recipients:
        raise DomainError(CommsErrorCode.NO_RECIPIENT, _("An email needs a recipient."))
    sender = settings.DEFAULT_FROM_EMAIL
    chosen = choose_language(language, translation.get_language())
    rows = OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                key=key,
                message_id=_message_id(sender),
                kind=OutboundKind.TRANSACTIONAL,
                to_addresses=recipients,
                from_address=sender,
                subject="",
                body="",
                html_body="",
                attachments=_stored(()),
                headers={},
                created_at=at,
                next_attempt_at=at,
                forget_once_sent=False,
                render_with=render_with,
                language=chosen,
            )
            for key in keys
        ]
    )
    from hearth.comms.tasks import deliver_message
    from hearth.core.enqueue import enqueue_on_commit

    for row in rows:
        enqueue_on_commit(deliver_message, row.pk)
    return rows


def _queue(
    *,
    key: str,
    to: Sequence[str],
    subject: str,
    body: str,
    at: dt.datetime,
    html_body: str = "",
    attachments: Sequence[Attachment] = (),
    from_address: str | None = None,
    kind: OutboundKind = OutboundKind.TRANSACTIONAL,
    forget_once_sent: bool = False,
    headers: Mapping[str, str] | None = None,
    render_with: str = "",
    new_key: bool = False,
    language: str = "",
) -> OutboundMessage:
    recipients = [address for address in to if address]
    if not recipients:
        raise DomainError(CommsErrorCode.NO_RECIPIENT, _("An email needs a recipient."))
    existing = None if new_key else OutboundMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    extra = dict(headers or {})
    if any(
        rules.header_injected(name) or rules.header_injected(value) for name, value in extra.items()
    ):
        raise DomainError(
            CommsErrorCode.BAD_HEADER, _("An email header may not hold a line break.")
        )
    sender = from_address or settings.DEFAULT_FROM_EMAIL
    try:
        with transaction.atomic(savepoint=not new_key):
            row = OutboundMessage.objects.create(
                key=key,
                message_id=_message_id(sender),
                kind=kind,
                to_addresses=recipients,
                from_address=sender,
                subject=subject,
                body=body,
                html_body=html_body,
                attachments=_stored(attachments),
                headers=extra,
                created_at=at,
                next_attempt_at=at,
                forget_once_sent=forget_once_sent,
                render_with=render_with,
                language=choose_language(language, translation.get_language()),
            )
    except IntegrityError:
        # The same key queued concurrently: the first one won.
        found = OutboundMessage.objects.filter(key=key).first()
        if found is None:
            raise
        return found
    pk = row.pk
    transaction.on_commit(lambda: _enqueue_delivery(pk))
    return row


def _html_and_attachments(message: EmailMessage) -> tuple[str, list[Attachment]]:
    html = ""
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html":
            html = str(content)
    attachments = []
    for item in message.attachments:
        if not isinstance(item, tuple):
            raise TypeError("queue_message takes attachments given as (filename, content, type)")
        filename, content, mimetype = item
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        attachments.append(
            Attachment(
                filename=str(filename),
                content=data,
                mimetype=mimetype or "application/octet-stream",
            )
        )
    return html, attachments


def _stored(attachments: Sequence[Attachment]) -> list[dict[str, str]]:
    return [
        {
            "filename": a.filename,
            "mimetype": a.mimetype,
            "content": base64.b64encode(a.content).decode("ascii"),
        }
        for a in attachments
    ]


def queue_message(
    *,
    key: str,
    message: EmailMessage,
    at: dt.datetime,
    kind: OutboundKind = OutboundKind.TRANSACTIONAL,
    language: str = "",
    actor: Actor | None = None,
) -> OutboundMessage:
    """:func:`queue_email` for a message built as a Django ``EmailMessage`` (text, an HTML
    alternative, attachments given as (filename, content, mimetype))."""
    html, attachments = _html_and_attachments(message)
    return queue_email(
        key=key,
        to=list(message.to) + list(message.cc) + list(message.bcc),
        subject=str(message.subject),
        body=str(message.body),
        html_body=html,
        attachments=attachments,
        from_address=message.from_email,
        at=at,
        kind=kind,
        language=language,
        actor=actor,
    )


def _enqueue_delivery(outbound_id: int, *, run_after: dt.datetime | None = None) -> None:
    """Enqueue the delivery; a refusing backend (Redis down) keeps the call (core.enqueue), and
    the outbox sweep would send the email when due in any case."""
    from hearth.comms.tasks import deliver_message
    from hearth.core.enqueue import enqueue_or_keep

    if run_after is not None and not deliver_message.get_backend().supports_defer:
        return  # a backend that cannot defer (tests' immediate backend): the sweep, when due
    enqueue_or_keep(deliver_message.module_path, [outbound_id], run_after)


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    HELD = "held"
    NOT_DUE = "not_due"
    RETRY_LATER = "retry_later"
    FAILED = "failed"
    GONE = "gone"
    SUPPRESSED = "suppressed"


def _as_email(row: OutboundMessage) -> EmailMessage:
    message = SignedEmailMessage(  # DKIM-signed when a key is configured
        row.subject,
        row.body,
        row.from_address,
        list(row.to_addresses),
        headers={**(row.headers or {}), "Message-ID": row.message_id},
    )
    if row.html_body:
        message.attach_alternative(row.html_body, "text/html")
    for item in row.attachments:
        message.attach(item["filename"], base64.b64decode(item["content"]), item["mimetype"])
    return message


def _render(row: OutboundMessage, *, attempt: int) -> None:
    """Make a message queued by :func:`queue_rendered_later` (the worker holds its lease) and
    store its content on the row, so a later attempt sends the same content."""
    with translation.override(choose_language(row.language)):
        message = import_string(row.render_with)(key=row.key)
    html, attachments = _html_and_attachments(message)
    row.subject = str(message.subject)
    row.body = str(message.body)
    row.html_body = html
    row.attachments = _stored(attachments)
    row.render_with = ""
    OutboundMessage.objects.filter(
        pk=row.pk, status=OutboundStatus.SENDING, attempts=attempt
    ).update(
        subject=row.subject,
        body=row.body,
        html_body=row.html_body,
        attachments=row.attachments,
        render_with="",
    )


def _error_text(exc: BaseException) -> str:
    """The class and SMTP code of a failure: never the server's text, which may echo an address."""
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
    return f"{type(exc).__name__}" + (f" ({code})" if code else "")


def deliver(*, outbound_id: int) -> Outcome:
    """Send one queued email now if it is due and nobody holds it (the delivery task's work)."""
    policy = selectors.outbox_policy()
    now = clock.now()
    with transaction.atomic():
        row = OutboundMessage.objects.select_for_update().filter(pk=outbound_id).first()
        if row is None:
            return Outcome.GONE  # erased or purged before it was sent
        decision = rules.claim(
            status=rules.MessageStatus(row.status),
            lease_until=row.lease_until,
            next_attempt_at=row.next_attempt_at,
            attempts=row.attempts,
            max_attempts=policy.retry.max_attempts,
            now=now,
        )
        if decision == rules.Claim.GIVE_UP:
            row.status = OutboundStatus.FAILED
            row.lease_until = None
            row.last_error = "WorkerLost"
            row.save(update_fields=["status", "lease_until", "last_error"])
            return Outcome.FAILED
        if decision != rules.Claim.SEND:
            if decision == rules.Claim.HELD and row.lease_until is not None:
                # Come back when the holder's lease ends, in case it died.
                lease_end = row.lease_until
                transaction.on_commit(lambda: _enqueue_delivery(outbound_id, run_after=lease_end))
            return {
                rules.Claim.ALREADY_SENT: Outcome.ALREADY_SENT,
                rules.Claim.HELD: Outcome.HELD,
                rules.Claim.NOT_DUE: Outcome.NOT_DUE,
                rules.Claim.FAILED: Outcome.FAILED,
            }[decision]
        if row.kind == OutboundKind.MARKETING and _suppressed(row):
            # Unsubscribed (or bounced) since it was queued: a commercial email never goes.
            row.status = OutboundStatus.FAILED
            row.last_error = "Suppressed"
            row.lease_until = None
            row.save(update_fields=["status", "last_error", "lease_until"])
            return Outcome.SUPPRESSED
        row.status = OutboundStatus.SENDING
        row.attempts += 1
        row.lease_until = now + policy.sending_lease
        row.save(update_fields=["status", "attempts", "lease_until"])
        attempt = row.attempts
    if row.render_with:
        try:
            _render(row, attempt=attempt)
        except Exception as exc:  # a renderer that fails is retried like a refused send
            return _attempt_failed(outbound_id, attempt=attempt, error=_error_text(exc))
    email = _as_email(row)
    try:
        with mail.get_connection(fail_silently=False) as connection:
            if connection.send_messages([email]) != 1:
                raise smtplib.SMTPException("the mail backend did not send the message")
    except (smtplib.SMTPException, OSError) as exc:
        return _attempt_failed(outbound_id, attempt=attempt, error=_error_text(exc))
    # The server has the message. Until this one UPDATE commits, a crash means a second copy.
    forget = (
        {"to_addresses": [], "body": "", "html_body": "", "attachments": []}
        if row.forget_once_sent
        else {}
    )
    OutboundMessage.objects.filter(
        pk=outbound_id, status=OutboundStatus.SENDING, attempts=attempt
    ).update(
        status=OutboundStatus.SENT, sent_at=clock.now(), lease_until=None, last_error="", **forget
    )
    if row.kind == OutboundKind.MARKETING:
        _count_campaign_sent(outbound_id)
    return Outcome.SENT


def _suppressed(row: OutboundMessage) -> bool:
    """Every commercial send checks the suppression list (issue #14 item 9)."""
    from hearth.comms import suppression  # it writes privacy's ledger, which queues mail here

    return any(suppression.is_suppressed(address) for address in row.to_addresses)


def _count_campaign_sent(outbound_id: int) -> None:

    campaign_id = (
        CampaignSend.objects.filter(outbound_id=outbound_id)
        .values_list("campaign_id", flat=True)
        .first()
    )
    if campaign_id is not None:
        Campaign.objects.filter(pk=campaign_id).update(sent_count=F("sent_count") + 1)


def _attempt_failed(outbound_id: int, *, attempt: int, error: str) -> Outcome:
    policy = selectors.outbox_policy()
    now = clock.now()
    with transaction.atomic():
        row = OutboundMessage.objects.select_for_update().filter(pk=outbound_id).first()
        if row is None or row.status != OutboundStatus.SENDING or row.attempts != attempt:
            return Outcome.GONE  # erased meanwhile, or another worker took it over
        after = rules.after_failure(attempts=attempt, policy=policy.retry, now=now)
        row.status = OutboundStatus(after.status)
        row.next_attempt_at = after.next_attempt_at
        row.lease_until = None
        row.last_error = error
        row.save(update_fields=["status", "next_attempt_at", "lease_until", "last_error"])
        if after.next_attempt_at is None:
            return Outcome.FAILED
        retry_at = after.next_attempt_at
        transaction.on_commit(lambda: _enqueue_delivery(outbound_id, run_after=retry_at))
    return Outcome.RETRY_LATER


def retry_failed(*, outbound_ids: Iterable[int], actor: Actor | None, at: dt.datetime) -> int:
    """Staff's retry: failed messages get a fresh set of attempts, starting now."""
    retried = 0
    with transaction.atomic():
        rows = OutboundMessage.objects.select_for_update().filter(
            pk__in=list(outbound_ids), status=OutboundStatus.FAILED
        )
        for row in rows:
            row.status = OutboundStatus.QUEUED
            row.attempts = 0
            row.next_attempt_at = at
            row.save(update_fields=["status", "attempts", "next_attempt_at"])
            audit.record(
                actor=actor, action=audit.AuditAction.STATE_CHANGED, obj=row, fields=["status"]
            )
            transaction.on_commit(partial(_enqueue_delivery, row.pk))
            retried += 1
    return retried


def enqueue_due(*, at: dt.datetime) -> int:
    """The sweep: enqueue delivery of messages overdue by more than :data:`SWEEP_GRACE` (their
    task was lost, a backend could not defer a retry, or their worker died holding them)."""
    ids = list(selectors.messages_due(at=at - SWEEP_GRACE).values_list("pk", flat=True)[:1000])
    for pk in ids:
        _enqueue_delivery(pk)
    return len(ids)


@dataclass(frozen=True)
class Purged:
    outbound: int
    outbox: int


def purge_outbox(*, at: dt.datetime) -> Purged:
    """Delete outbound emails and outbox copies older than the declared retention (90 days)."""
    policy = selectors.outbox_policy()
    cutoff = rules.purge_before(now=at, retention_days=policy.retention_days)
    with transaction.atomic():
        outbound, _detail = OutboundMessage.objects.filter(created_at__lt=cutoff).delete()
        outbox, _detail = OutboxMessage.objects.filter(created_at__lt=cutoff).delete()
        # Campaign sends hold the address (encrypted) for the same 90 days.
        CampaignSend.objects.filter(at__lt=cutoff).delete()
    return Purged(outbound=outbound, outbox=outbox)
