"""Email in through the real SMTP receiver (aiosmtpd, comms' ``start_receiver``): a reply lands
on its case by the token in the address it was sent to (TOS-27 conversation), a reply whose
token matches no case opens a new case, and its attachments are checked and kept encrypted."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from hearth.care import services
from hearth.care.models import Case, CaseAttachment, Channel, State
from hearth.comms import inbound
from hearth.core import clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.promise("TOS-27")]


@pytest.fixture
def receiver(settings: Any) -> Iterator[int]:
    settings.HEARTH_CARE_REPLY_DOMAIN = "example.com"
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = inbound.start_receiver(host="127.0.0.1", port=port)
    try:
        yield port
    finally:
        controller.stop()


def message(to: str, *, subject: str, body: str, attach: tuple[str, bytes] | None = None) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Ada Lovelace <ada@example.com>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{abs(hash((to, subject, body)))}@mail.example.com>"
    mail.set_content(body)
    if attach is not None:
        mail.add_attachment(attach[1], maintype="image", subtype="png", filename=attach[0])
    return mail.as_bytes()


def test_a_reply_through_the_smtp_receiver_lands_on_its_case_by_the_token(receiver: int) -> None:
    case = services.open_case(
        channel=Channel.WEB,
        email="ada@example.com",
        subject="Speaker drops out",
        body="It stops every evening.",
        at=clock.now(),
        actor=None,
    )
    services.reply(case=case, body="Which router do you have?", at=clock.now(), actor=None)
    address = f"care+{case.reply_token}@example.com"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32

    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as smtp:
        refused = smtp.sendmail(
            "ada@example.com",
            [address],
            message(address, subject="Re: anything", body="A Northwind 5.", attach=("r.png", png)),
        )

    assert refused == {}
    case.refresh_from_db()
    assert case.state == State.OPEN
    last = case.messages.order_by("-id").first()
    assert last is not None
    assert (last.direction, last.body.strip()) == ("in", "A Northwind 5.")
    stored = CaseAttachment.objects.get(message=last)
    assert (stored.filename, stored.content_type, stored.size) == ("r.png", "image/png", len(png))
    assert Case.objects.count() == 1


def test_an_email_whose_token_matches_no_case_opens_a_new_one(receiver: int) -> None:
    address = "care+0123456789abcdef0123@example.com"

    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as smtp:
        smtp.sendmail("ada@example.com", [address], message(address, subject="Hello", body="Hi."))

    case = Case.objects.get()
    assert (case.channel, case.email, case.name, case.subject) == (
        Channel.EMAIL,
        "ada@example.com",
        "Ada Lovelace",
        "Hello",
    )
