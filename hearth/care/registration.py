"""What care adds to the rest of Hearth when it starts: its back-office queue, and its handler
for inbound email (comms offers it every message that is neither a bounce nor a stop)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from hearth.core.backoffice import Queue, register_queue


def _open_count() -> int:
    from hearth.care import selectors

    return selectors.open_count()


def take_email(mail: Any, *, at: dt.datetime) -> bool:
    """comms' inbound handler: every customer email becomes part of a case (by the reply token
    in the address, else a new case). Auto-replies (``Auto-Submitted``) are left alone."""
    from hearth.care import services

    if mail.auto_submitted:
        return False
    services.receive_email(
        email=services.InboundEmail(
            recipients=tuple(mail.recipients),
            sender=mail.sender,
            sender_name=mail.sender_name,
            subject=mail.subject,
            text=mail.text,
            message_id=mail.message_id,
            files=[services.IncomingFile(a.filename, a.content) for a in mail.attachments],
        ),
        at=at,
    )
    return True


def register() -> None:
    from hearth.comms.inbound import register_inbound_handler

    register_inbound_handler(take_email)
    register_queue(
        Queue(
            key="care.cases",
            label=_("Customer questions waiting for care"),
            count=_open_count,
            url="/back-office/care/",
            roles=("care_agent",),
            order=20,
        )
    )
