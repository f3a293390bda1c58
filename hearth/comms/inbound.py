"""Email in (issue #14 items 3 and 8; PP-12): one parsing path for the provider's signed
inbound-parse webhook (``views.inbound_webhook``) and the self-hosted SMTP/LMTP receiver
(:class:`SMTPHandler`, ``manage.py receive_mail --port``).

:func:`receive` takes the raw message (RFC 5322 bytes) and, in this order:

1. refuses it when too big or malformed (``DomainError``: 413 / 400 at the webhook, 552 / 550 at
   SMTP), so nothing half-read is acted on;
2. a delivery status notification (RFC 3464) with a permanent failure (a hard bounce):
   suppresses each failed recipient and counts the bounce on its campaign;
3. a message to the unsubscribe mailbox (the ``List-Unsubscribe`` mailto), or a reply asking to
   stop ("stop", "unsubscribe", "arrêt", "désabonner"... alone as a word in the subject or the
   first lines the sender wrote; ``data/inbound.toml``): unsubscribes the sender
   (``suppression.unsubscribe``: suppression list + consent ledger, at once);
4. every other message (and a stop reply sent to a thread address, ``local+token@``, so that a
   conversation loses nothing) goes to the registered handlers, in registration order, until
   one takes it: ``register_inbound_handler(fn)`` with ``fn(mail: InboundMail, *, at) -> bool``.
   The care app registers one that threads a reply on its case by the token in the address.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parseaddr
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.models import F
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from hearth.comms import rules, selectors, suppression
from hearth.comms.errors import CommsErrorCode
from hearth.comms.models import Campaign, CampaignSend, OutboundMessage
from hearth.core import clock
from hearth.core.errors import DomainError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class InboundMail:
    """One message received, parsed once. ``recipients``: the envelope's (SMTP) or the
    To/Cc/Delivered-To addresses (webhook); ``text``: the plain-text body (HTML stripped when the
    message has no text part); ``sender``: the From address."""

    sender: str
    sender_name: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    auto_submitted: bool
    attachments: tuple[InboundAttachment, ...] = ()
    raw: bytes = field(default=b"", repr=False)

    def tokens_for(self, local_part: str) -> list[str]:
        """The ``+token`` of each recipient addressed to ``local_part+token@...``
        (``care`` gives the reply tokens of ``care+<token>@example.com``)."""
        found = []
        for address in self.recipients:
            local = address.rpartition("@")[0]
            base, plus, token = local.partition("+")
            if plus and token and base.casefold() == local_part.casefold():
                found.append(token)
        return found

    @property
    def thread_tagged(self) -> bool:
        """Sent to a thread address (``local+token@``): part of a conversation."""
        return any("+" in address.rpartition("@")[0] for address in self.recipients)


class Disposition(StrEnum):
    BOUNCE = "bounce"  # a delivery status notification (hard bounces suppressed)
    STOP = "stop"  # the sender asked to stop: unsubscribed
    HANDLED = "handled"  # a registered handler took it (e.g. threaded on a care case)
    UNHANDLED = "unhandled"  # nobody took it: logged, nothing else


InboundHandler = Callable[..., bool]
_handlers: list[InboundHandler] = []


def register_inbound_handler(fn: InboundHandler) -> InboundHandler:
    """Offer every message that is neither a bounce nor a stop to ``fn(mail, *, at) -> bool``
    (True: taken). Registered once (in the app's ``AppConfig.ready``); usable as a decorator."""
    if fn not in _handlers:
        _handlers.append(fn)
    return fn


def unregister_inbound_handler(fn: InboundHandler) -> None:
    """For tests."""
    if fn in _handlers:
        _handlers.remove(fn)


# --- Parsing (one path).


def _malformed(why: str) -> DomainError:
    return DomainError(
        CommsErrorCode.INBOUND_MALFORMED,
        _("The message could not be read as an email (%(why)s).") % {"why": why},
        status=400,
    )


def check_size(size: int) -> None:
    """Refuse a message over the declared limit (before reading it, where the size is known)."""
    if size > selectors.inbound_policy().max_bytes:
        raise DomainError(
            CommsErrorCode.INBOUND_TOO_LARGE,
            _("The message is larger than %(limit)d bytes.")
            % {"limit": selectors.inbound_policy().max_bytes},
            status=413,
        )


def _address(value: str) -> str:
    return parseaddr(value)[1].strip()


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError) as exc:
        raise _malformed("undecodable body") from exc
    text = str(content)
    return strip_tags(text) if body.get_content_type() == "text/html" else text


def _bytes(payload: object) -> bytes:
    return payload if isinstance(payload, bytes) else b""


def parse(raw: bytes, *, envelope_to: tuple[str, ...] = ()) -> InboundMail:
    """Parse one raw message; refuse one too big, without a sender, or not an email at all."""
    check_size(len(raw))
    if not raw.strip():
        raise _malformed("empty")
    try:
        message = BytesParser(policy=email_policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)  # noqa: S101 (policy.default makes these)
        headers = {k.lower() for k in message}
        if "from" not in headers:
            raise _malformed("no From header")
        sender_name, sender = parseaddr(str(message["From"]))
        if "@" not in sender or any(c.isspace() for c in sender):
            raise _malformed("no sender address")
        recipients = envelope_to or tuple(
            a
            for _name, a in getaddresses(
                [str(v) for k in ("Delivered-To", "To", "Cc") for v in message.get_all(k, [])]
            )
            if "@" in a
        )
        attachments = tuple(
            InboundAttachment(
                filename=part.get_filename() or "",
                content_type=part.get_content_type(),
                content=_bytes(part.get_payload(decode=True)),
            )
            for part in message.iter_attachments()
            if isinstance(part, EmailMessage) and not part.is_multipart()
        )
        return InboundMail(
            sender=sender,
            sender_name=sender_name,
            recipients=tuple(recipients),
            subject=str(message.get("Subject", "")),
            text=_text_of(message),
            message_id=str(message.get("Message-ID", "")).strip(),
            in_reply_to=str(message.get("In-Reply-To", "")).strip(),
            references=tuple(str(message.get("References", "")).split()),
            auto_submitted=str(message.get("Auto-Submitted", "no")).strip().lower() != "no",
            attachments=attachments,
            raw=raw,
        )
    except DomainError:
        raise
    except (ValueError, TypeError, IndexError, LookupError, AttributeError) as exc:
        raise _malformed(type(exc).__name__) from exc


@dataclass(frozen=True)
class Bounce:
    hard_recipients: tuple[str, ...]
    original_message_id: str


def _bounce_of(raw: bytes) -> Bounce | None:
    """The hard-bounced recipients of a delivery status notification, or None if not one."""
    message = BytesParser(policy=email_policy.compat32).parsebytes(raw)
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type") or "").lower() != "delivery-status":
        return None
    hard: list[str] = []
    original = ""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            blocks = part.get_payload()
            for block in blocks[1:] if isinstance(blocks, list) else []:
                if not isinstance(block, Message):
                    continue
                verdict = rules.bounce_kind(
                    action=str(block.get("Action", "")), status=str(block.get("Status", ""))
                )
                recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient"))
                address = recipient.partition(";")[2].strip() or recipient.strip()
                if verdict == rules.BounceKind.HARD and "@" in address:
                    hard.append(_address(address))
        elif kind == "text/rfc822-headers":
            payload = _bytes(part.get_payload(decode=True))
            headers = HeaderParser().parsestr(payload.decode("utf-8", "replace"))
            original = original or str(headers.get("Message-ID", "")).strip()
        elif kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                original = original or str(inner[0].get("Message-ID", "")).strip()
    return Bounce(tuple(hard), original)


# --- Acting on it.


def _unsubscribe_mailbox() -> Address | None:
    configured = str(getattr(settings, "HEARTH_UNSUBSCRIBE_MAILBOX", "") or "")
    if "@" not in configured:
        return None
    local, _at, domain = configured.rpartition("@")
    return Address(username=local, domain=domain)


def _to_unsubscribe_mailbox(mail: InboundMail) -> tuple[bool, int | None]:
    """(addressed to the unsubscribe mailbox, the campaign its ``+token`` names)."""
    from hearth.comms import campaigns

    box = _unsubscribe_mailbox()
    if box is None:
        return False, None
    for address in mail.recipients:
        local, _at, domain = address.rpartition("@")
        base, _plus, token = local.partition("+")
        if (
            base.casefold() == box.username.casefold()
            and domain.casefold() == box.domain.casefold()
        ):
            return True, campaigns.campaign_of_mailbox_tag(token) if token else None
    return False, None


def _record_bounce(bounce: Bounce, *, at: dt.datetime) -> None:
    with transaction.atomic():
        for address in bounce.hard_recipients:
            suppression.suppress(
                address=address,
                reason=rules.SuppressionReason.HARD_BOUNCE,
                at=at,
                source="inbound: delivery status notification",
            )
        if bounce.hard_recipients and bounce.original_message_id:
            outbound = OutboundMessage.objects.filter(message_id=bounce.original_message_id).first()
            send = (
                CampaignSend.objects.filter(outbound=outbound).first()
                if outbound is not None
                else None
            )
            if send is not None:
                Campaign.objects.filter(pk=send.campaign_id).update(
                    bounced_count=F("bounced_count") + 1
                )


def receive(
    raw: bytes, *, at: dt.datetime | None = None, envelope_to: tuple[str, ...] = ()
) -> Disposition:
    """Act on one received message (see the module's doc). Raises ``DomainError`` for one too
    big or malformed; nothing is recorded then."""
    at = at or clock.now()
    mail = parse(raw, envelope_to=envelope_to)
    bounce = _bounce_of(raw)
    if bounce is not None:
        _record_bounce(bounce, at=at)
        return Disposition.BOUNCE
    to_box, campaign_id = _to_unsubscribe_mailbox(mail)
    policy = selectors.inbound_policy()
    stop = to_box or (
        not mail.auto_submitted
        and rules.asks_to_stop(
            subject=mail.subject,
            body=mail.text,
            words=policy.stop_words,
            first_lines=policy.first_lines,
        )
    )
    if stop:
        suppression.unsubscribe(
            address=mail.sender,
            reason=(
                rules.SuppressionReason.UNSUBSCRIBE_EMAIL
                if to_box
                else rules.SuppressionReason.REPLY_STOP
            ),
            at=at,
            source="inbound: unsubscribe mailbox" if to_box else "inbound: reply asking to stop",
            campaign_id=campaign_id,
        )
        if to_box or not mail.thread_tagged:
            return Disposition.STOP
    for handler in list(_handlers):
        if handler(mail, at=at):
            return Disposition.STOP if stop else Disposition.HANDLED
    if stop:
        return Disposition.STOP
    logger.info("inbound message taken by no handler (%d bytes)", len(raw))
    return Disposition.UNHANDLED


# --- The SMTP/LMTP receiver (aiosmtpd).


class SMTPHandler:
    """aiosmtpd handler: each message goes through :func:`receive` in a worker thread (the
    ORM is synchronous). Too big: 552 (aiosmtpd's ``data_size_limit`` says it first);
    malformed: 550; a failure of ours: 451 (the sender retries)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from asgiref.sync import sync_to_async

        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        recipients = tuple(str(r) for r in envelope.rcpt_tos)
        try:
            outcome = await sync_to_async(_receive_in_thread, thread_sensitive=True)(
                bytes(raw), recipients
            )
        except DomainError as error:
            if error.code == CommsErrorCode.INBOUND_TOO_LARGE:
                return "552 5.3.4 Message too big"
            return "550 5.6.0 Malformed message"
        except Exception:  # our failure: the sender keeps the message and retries
            logger.exception("inbound message could not be processed")
            return "451 4.3.0 Try again later"
        return f"250 OK {outcome}"


def _receive_in_thread(raw: bytes, recipients: tuple[str, ...]) -> Disposition:
    """In the receiver's worker thread: its own database connection, closed after each
    message (inbound mail is a trickle; a connection held between messages could go stale)."""
    close_old_connections()
    try:
        return receive(raw, envelope_to=recipients)
    finally:
        connections.close_all()


def start_receiver(*, host: str, port: int, lmtp: bool = False) -> Any:
    """Start the receiver on ``host:port`` (a thread); returns the aiosmtpd controller to
    ``stop()``. ``lmtp``: speak LMTP (behind an MTA such as Postfix) instead of SMTP."""
    from aiosmtpd.controller import Controller

    limit = selectors.inbound_policy().max_bytes
    if lmtp:
        from aiosmtpd.lmtp import LMTP

        class LMTPController(Controller):
            def factory(self) -> Any:
                return LMTP(self.handler, data_size_limit=limit, **self.SMTP_kwargs)

        controller: Any = LMTPController(SMTPHandler(), hostname=host, port=port)
    else:
        controller = Controller(SMTPHandler(), hostname=host, port=port, data_size_limit=limit)
    controller.start()
    return controller
