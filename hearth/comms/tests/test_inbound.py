"""Email in (issue #14 items 3, 8, 9): one parsing path behind a signed webhook and a real
aiosmtpd receiver; a reply asking to stop unsubscribes at once (suppression list + ledger), a
hard bounce suppresses, every other message goes to the registered handlers; bad input is
refused and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from hearth.comms import inbound, rules, suppression
from hearth.comms.inbound import Disposition, InboundMail
from hearth.comms.models import Suppression
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.signatures import signature_header
from hearth.privacy.models import ConsentRecord
from hearth.privacy.selectors import may_contact
from hearth.privacy.services import record_consent

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
WORDS = ("stop", "unsubscribe", "arrêt", "désabonner")


def mail(
    *,
    subject: str = "Re: Winter offers",
    body: str = "Hello",
    sender: str = "ada@example.com",
    to: str = "news@example.com",
    extra: str = "",
) -> bytes:
    return (
        f"From: Ada Lovelace <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <reply-1@example.com>\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("subject", "body", "stops"),
    [
        ("STOP", "", True),
        ("Re: Winter offers", "unsubscribe", True),
        ("Re: Winter offers", "Arrêt s'il vous plaît", True),
        ("Re: Offres d'hiver", "ARRET", True),
        ("Re: Offres", "Merci de me désabonner.", True),
        ("Re: Offres", "Je veux me desabonner", True),
        ("Re: Winter offers", "Thanks!\n\n> To unsubscribe, click here", False),
        ("Re: Winter offers", "Thanks!\nOn Monday Ember wrote:\n> stop", False),
        ("Re: Winter offers", "one\ntwo\nthree\nfour\nfive\nsix stop", False),
        ("Re: Winter offers", "My speaker stopped working", False),
        ("Non-stop music", "", False),
    ],
)
def test_a_reply_asks_to_stop_only_with_a_stop_word_of_its_own(
    subject: str, body: str, stops: bool
) -> None:
    assert rules.asks_to_stop(subject=subject, body=body, words=WORDS, first_lines=5) is stops


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [
        ("failed", "5.1.1", rules.BounceKind.HARD),
        ("failed", "4.4.1", rules.BounceKind.SOFT),
        ("delayed", "4.4.7", rules.BounceKind.SOFT),
        ("delivered", "2.0.0", None),
    ],
)
def test_only_a_permanent_failure_is_a_hard_bounce(
    action: str, status: str, kind: rules.BounceKind | None
) -> None:
    assert rules.bounce_kind(action=action, status=status) == kind


def _consented(address: str) -> None:
    record_consent(
        purpose="marketing_email",
        granted=True,
        kind="express",
        source="test",
        at=T0,
        email=address,
    )


def _webhook(client: Client, body: bytes, *, secret: str = "", at: dt.datetime = T0) -> Any:
    from django.conf import settings

    header = signature_header(secret or settings.HEARTH_INBOUND_SECRET, int(at.timestamp()), body)
    with clock.frozen(at):
        return client.post(
            "/email/inbound/", body, content_type="message/rfc822", HTTP_X_HEARTH_SIGNATURE=header
        )


@pytest.mark.django_db
@pytest.mark.promise("PP-12")
def test_a_reply_saying_stop_through_the_webhook_unsubscribes_at_once() -> None:
    _consented("ada@example.com")
    assert may_contact(purpose="marketing_email", at=T0, email="ada@example.com")

    answer = _webhook(Client(), mail(subject="Re: Winter offers", body="Stop\n\n> Offers"))

    assert answer.status_code == 200
    assert answer.json() == {"disposition": "stop"}
    assert suppression.is_suppressed("ADA@example.com ")
    assert not may_contact(purpose="marketing_email", at=T0, email="ada@example.com")
    withdrawn = ConsentRecord.objects.filter(granted=False).values_list("purpose", "source")
    assert sorted(withdrawn) == [
        ("market_research", "inbound: reply asking to stop"),
        ("marketing_email", "inbound: reply asking to stop"),
    ]
    row = Suppression.objects.get()
    assert row.reason == "reply_stop"
    assert "ada" not in row.address_hash  # a keyed hash, never the address


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "secret", "at", "status", "code"),
    [
        (mail(body="stop"), "wrong-secret", T0, 403, "inbound_bad_signature"),
        (mail(body="stop"), "", T0 - dt.timedelta(minutes=10), 403, "inbound_bad_signature"),
        (b"this is not an email", "", T0, 400, "inbound_malformed"),
        (b"", "", T0, 400, "inbound_malformed"),
        (b"To: news@example.com\r\nSubject: stop\r\n\r\nstop", "", T0, 400, "inbound_malformed"),
    ],
)
def test_a_bad_inbound_webhook_is_refused_and_changes_nothing(
    body: bytes, secret: str, at: dt.datetime, status: int, code: str
) -> None:
    client = Client()
    if at != T0:
        from django.conf import settings

        header = signature_header(settings.HEARTH_INBOUND_SECRET, int(at.timestamp()), body)
        with clock.frozen(T0):
            answer = client.post(
                "/email/inbound/",
                body,
                content_type="message/rfc822",
                HTTP_X_HEARTH_SIGNATURE=header,
            )
    else:
        answer = _webhook(client, body, secret=secret)

    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert not Suppression.objects.exists()
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_an_oversized_inbound_message_is_refused_before_it_is_read(settings: Any) -> None:
    limit = inbound.selectors.inbound_policy().max_bytes
    body = mail(body="stop" + "x" * limit)

    answer = _webhook(Client(), body)

    assert answer.status_code == 413
    assert not Suppression.objects.exists()
    with pytest.raises(DomainError) as refused:
        inbound.receive(body, at=T0)  # the same limit on the SMTP path
    assert refused.value.code == "inbound_too_large"
    assert not Suppression.objects.exists()


@pytest.fixture
def handler_log() -> Iterator[list[InboundMail]]:
    seen: list[InboundMail] = []

    def take(message: InboundMail, *, at: dt.datetime) -> bool:
        seen.append(message)
        return True

    # Only this handler: the apps' own (care threads every customer email) stand aside.
    others = list(inbound._handlers)
    for handler in others:
        inbound.unregister_inbound_handler(handler)
    inbound.register_inbound_handler(take)
    try:
        yield seen
    finally:
        inbound.unregister_inbound_handler(take)
        for handler in others:
            inbound.register_inbound_handler(handler)


@pytest.mark.django_db
def test_every_other_message_goes_to_the_registered_handlers(
    handler_log: list[InboundMail],
) -> None:
    raw = mail(
        subject="Re: [Case 12] My speaker", body="It still crackles.", to="care+abc123@example.com"
    )

    assert inbound.receive(raw, at=T0) == Disposition.HANDLED

    [taken] = handler_log
    assert (taken.sender, taken.subject) == ("ada@example.com", "Re: [Case 12] My speaker")
    assert taken.tokens_for("care") == ["abc123"]
    assert taken.text.strip() == "It still crackles."
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_a_stop_in_a_case_conversation_unsubscribes_and_still_reaches_the_case(
    handler_log: list[InboundMail],
) -> None:
    raw = mail(
        subject="Re: [Case 12]", body="Stop. Also the box was crushed.", to="care+abc@example.com"
    )

    assert inbound.receive(raw, at=T0) == Disposition.STOP

    assert len(handler_log) == 1  # nothing the person wrote is lost
    assert suppression.is_suppressed("ada@example.com")


BOUNCE = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
    b"To: bounces@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Auto-Submitted: auto-replied\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: text/plain\r\n\r\nI could not deliver your message. Stop.\r\n"
    b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example.net\r\n\r\n"
    b"Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    b"Final-Recipient: rfc822; later@example.org\r\nAction: delayed\r\nStatus: 4.4.7\r\n\r\n"
    b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    b"Message-ID: <campaign-1@example.com>\r\nSubject: Winter offers\r\n\r\n"
    b"--B--\r\n"
)


@pytest.mark.django_db
def test_a_hard_bounce_suppresses_the_address_and_a_delay_does_not(
    handler_log: list[InboundMail],
) -> None:
    assert inbound.receive(BOUNCE, at=T0) == Disposition.BOUNCE

    assert suppression.is_suppressed("gone@example.org")
    assert not suppression.is_suppressed("later@example.org")
    assert Suppression.objects.get().reason == "hard_bounce"
    assert not ConsentRecord.objects.exists()  # nobody asked anything: the ledger is untouched
    assert handler_log == []


@pytest.mark.django_db
def test_writing_to_the_unsubscribe_mailbox_unsubscribes_whatever_it_says(settings: Any) -> None:
    settings.HEARTH_UNSUBSCRIBE_MAILBOX = "unsubscribe@example.com"

    outcome = inbound.receive(mail(subject="", body="", to="unsubscribe@example.com"), at=T0)

    assert outcome == Disposition.STOP
    assert Suppression.objects.get().reason == "unsubscribe_email"


@pytest.fixture
def receiver() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = inbound.start_receiver(host="127.0.0.1", port=port)
    try:
        yield port
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
@pytest.mark.promise("PP-12")
def test_a_reply_saying_stop_through_the_real_smtp_receiver_is_honoured(receiver: int) -> None:
    _consented("ada@example.com")

    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as smtp:
        refused = smtp.sendmail(
            "ada@example.com", ["news@example.com"], mail(subject="Re: Offers", body="STOP please")
        )

    assert refused == {}
    assert suppression.is_suppressed("ada@example.com")
    assert not may_contact(purpose="marketing_email", at=clock.now(), email="ada@example.com")


@pytest.mark.django_db(transaction=True)
def test_the_smtp_receiver_refuses_a_malformed_message_and_records_nothing(receiver: int) -> None:
    with (
        smtplib.SMTP("127.0.0.1", receiver, timeout=10) as smtp,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        smtp.sendmail("x@example.com", ["news@example.com"], b"Subject: stop\r\n\r\nstop")

    assert refused.value.smtp_code == 550
    assert not Suppression.objects.exists()
