"""An email backend that keeps every message in the database outbox.

It is the embedded run's default (no mail server needed); staff read the outbox in the back
office. Production sets EMAIL_HOST and uses Django's SMTP backend instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from hearth.comms.models import OutboxMessage

        sent = 0
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = str(content)
            names = [
                a[0] if isinstance(a, tuple) else a.get_filename() for a in message.attachments
            ]
            OutboxMessage.objects.create(
                to_addresses=list(message.recipients()),
                from_address=message.from_email,
                subject=str(message.subject),
                body=str(message.body),
                html_body=html,
                attachment_names=[n for n in names if n],
                raw=message.message().as_bytes(),
            )
            sent += 1
        return sent
