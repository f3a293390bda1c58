"""Commercial email under CASL (issue #14 items 5-11): the audience decided by consent at send
time minus the suppression list, with its breakdown; every message identifies the sender and
carries a working unsubscribe (link, RFC 8058 one-click, mailto), DKIM-signed; batches never
send twice, even across a crash; bad input refused with nothing sent.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import socket
from email import message_from_bytes, policy
from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import IntegrityError
from django.test import Client
from model_bakery import baker, generators, random_gen

from hearth.accounts.models import User
from hearth.comms import campaigns, rules, services, suppression
from hearth.comms.models import (
    Campaign,
    CampaignSend,
    CampaignStatus,
    OutboundKind,
    OutboundMessage,
    OutboundStatus,
)
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.models import AuditEvent
from hearth.orders.models import Order, OrderLine
from hearth.privacy.models import ConsentRecord
from hearth.privacy.selectors import may_contact
from hearth.privacy.services import record_consent, record_implied_consent

# Encrypted and digest columns hold text; baker needs to be told.
generators.add("hearth.privacy.fields.EncryptedTextField", lambda: random_gen.gen_string(40))
generators.add("hearth.privacy.fields.HashedLookupField", lambda: "")

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }


def campaign(**overrides: Any) -> Campaign:
    fields: dict[str, Any] = {
        "subject": "Winter offers from Ember & Oak",
        "body": "# Warm sound\n\nOur **winter** offers: [see them](https://example.com/winter).",
        "at": T0,
        "actor": None,
    }
    fields.update(overrides)
    return campaigns.save_campaign(campaign=None, **fields)


def customer(email: str, *, proven: bool = True) -> User:
    user = User.objects.create_user(email=email, password="x" * 12)
    if proven:
        User.objects.filter(pk=user.pk).update(email_verified_at=T0 - 800 * DAY)
        user.refresh_from_db()
    return user


def express(user: User, at: dt.datetime) -> None:
    record_consent(
        purpose="marketing_email", granted=True, kind="express", source="test", at=at, user=user
    )


# --- Consent at send time (PP-8, PP-9, PP-12).


def _history(kind: str, user: User) -> None:
    if kind == "express":
        express(user, T0 - 400 * DAY)
    elif kind == "implied_within":
        record_implied_consent(
            implied_from="purchase", source="order", at=T0 - 700 * DAY, user=user
        )
    elif kind == "implied_expired":
        record_implied_consent(
            implied_from="purchase", source="order", at=T0 - 2 * 366 * DAY, user=user
        )
    elif kind == "enquiry_expired":
        record_implied_consent(
            implied_from="enquiry", source="request", at=T0 - 190 * DAY, user=user
        )
    elif kind == "withdrawn_then_implied":
        express(user, T0 - 300 * DAY)
        record_consent(
            purpose="marketing_email",
            granted=False,
            kind="express",
            source="My Stuff",
            at=T0 - 200 * DAY,
            user=user,
        )
        record_implied_consent(implied_from="purchase", source="order", at=T0 - 10 * DAY, user=user)
    elif kind == "suppressed":
        express(user, T0 - 300 * DAY)
        suppression.suppress(
            address=user.email,
            reason=rules.SuppressionReason.HARD_BOUNCE,
            at=T0 - DAY,
            source="test",
        )
    elif kind == "unsubscribed_then_purchased":
        express(user, T0 - 300 * DAY)
        suppression.unsubscribe(
            address=user.email,
            reason=rules.SuppressionReason.ONE_CLICK,
            at=T0 - 100 * DAY,
            source="test",
        )
        record_implied_consent(implied_from="purchase", source="order", at=T0 - 5 * DAY, user=user)
    elif kind == "resubscribed_after_unsubscribe":
        suppression.unsubscribe(
            address=user.email,
            reason=rules.SuppressionReason.ONE_CLICK,
            at=T0 - 100 * DAY,
            source="test",
        )
        express(user, T0 - 5 * DAY)


@pytest.mark.promise("PP-8", "PP-9", "PP-12")
@pytest.mark.parametrize(
    ("history", "included", "reason"),
    [
        ("express", "express", None),
        ("implied_within", "implied", None),
        ("implied_expired", None, "expired"),
        ("enquiry_expired", None, "expired"),
        ("none", None, "no_consent"),
        ("withdrawn_then_implied", None, "withdrawn"),
        ("suppressed", None, "suppressed"),
        ("unsubscribed_then_purchased", None, "suppressed"),
        ("resubscribed_after_unsubscribe", "express", None),
    ],
)
def test_consent_at_send_time_decides_who_gets_a_campaign(
    history: str, included: str | None, reason: str | None
) -> None:
    person = customer("ada@example.com")
    _history(history, person)
    news = campaign()

    decided = campaigns.audience(news, at=T0)

    assert [r.address for r in decided.recipients] == (["ada@example.com"] if included else [])
    figures = decided.figures()
    assert (figures["express"], figures["implied"]) == (
        int(included == "express"),
        int(included == "implied"),
    )
    assert {k: v for k, v in figures["excluded"].items() if v} == ({reason: 1} if reason else {})
    # The one pass agrees with may_contact, person by person (suppression aside).
    if reason != "suppressed":
        assert may_contact(purpose="marketing_email", at=T0, user=person) is bool(included)


def test_the_audience_filters_on_province_language_and_product_owned() -> None:
    people = {name: customer(f"{name}@example.com") for name in ("on_en", "qc_fr", "bc_en")}
    for user in people.values():
        express(user, T0 - 10 * DAY)
    orders = {
        "on_en": ("ON", "en", "EO-SPK-1"),
        "qc_fr": ("QC", "fr-ca", "EO-SUB-1"),
        "bc_en": ("BC", "en", "EO-SPK-1"),
    }
    for name, (province, language, sku) in orders.items():
        order = baker.make(
            Order,
            customer=people[name],
            email=people[name].email,
            province=province,
            language=language,
            status="delivered",
            placed_at=T0 - 20 * DAY,
        )
        baker.make(OrderLine, order=order, sku=sku)
    guest = baker.make(
        Order, customer=None, email="guest@example.com", province="ON", language="en",
        status="delivered", placed_at=T0 - 20 * DAY,
    )  # fmt: skip
    baker.make(OrderLine, order=guest, sku="EO-SPK-1")
    record_implied_consent(
        implied_from="purchase", source="order", at=T0 - 20 * DAY, email="guest@example.com"
    )

    def who(**filters: Any) -> list[str]:
        return sorted(r.address for r in campaigns.audience(campaign(**filters), at=T0).recipients)

    assert who(provinces=["ON"]) == ["guest@example.com", "on_en@example.com"]
    assert who(language="fr-ca") == ["qc_fr@example.com"]
    assert who(product_skus=["EO-SPK-1"], provinces=["ON", "BC"]) == [
        "bc_en@example.com",
        "guest@example.com",
        "on_en@example.com",
    ]
    assert campaigns.audience(campaign(provinces=["QC"]), at=T0).outside_filters == 3


# --- Compose: refused without sender identification or unsubscribe.

SENDER = {"name": "E&O", "mailing_address": "1 Example St", "contact": "care@example.com"}


@pytest.mark.promise("PP-12")
@pytest.mark.parametrize(
    ("setting", "value", "field"),
    [
        ("HEARTH_CASL_SENDER", {**SENDER, "name": ""}, "sender_name"),
        ("HEARTH_CASL_SENDER", {**SENDER, "mailing_address": " "}, "sender_mailing_address"),
        ("HEARTH_CASL_SENDER", {**SENDER, "contact": ""}, "sender_contact"),
        ("HEARTH_UNSUBSCRIBE_MAILBOX", "", "unsubscribe_mailto"),
        ("HEARTH_SITE_URL", "ftp://example.com", "unsubscribe_url"),
    ],
)  # fmt: skip
def test_a_campaign_without_sender_identification_or_unsubscribe_is_refused_at_save(
    settings: Any, setting: str, value: Any, field: str
) -> None:
    setattr(settings, setting, value)

    with pytest.raises(DomainError) as refused:
        campaign()

    assert refused.value.code == "campaign_not_compliant"
    assert field in refused.value.fields
    assert not Campaign.objects.exists()


def test_the_database_refuses_a_campaign_without_unsubscribe_too() -> None:
    with pytest.raises(IntegrityError):
        Campaign.objects.create(
            subject="s", body="b", sender_name="E&O", sender_mailing_address="1 St",
            sender_contact="c", unsubscribe_url="", unsubscribe_mailto="u@example.com",
            created_at=T0,
        )  # fmt: skip


def test_a_production_campaign_needs_an_https_unsubscribe(settings: Any) -> None:
    settings.PRODUCTION = True
    settings.HEARTH_SITE_URL = "http://shop.example.com"
    with pytest.raises(DomainError) as refused:
        campaign()
    assert "unsubscribe_url" in refused.value.fields


def test_the_body_is_markdown_rendered_to_sanitised_html_and_plain_text_unescaped() -> None:
    news = campaign(
        body="Ember & Oak **sale** <script>alert(1)</script> [go](https://example.com/x)\n\n"
        '<img src="https://tracker.example.com/p.gif">'
    )

    message = campaigns.render(news, address="ada@example.com")

    assert "<strong>sale</strong>" in message.html
    assert "<script>" not in message.html and "<img" not in message.html
    assert 'href="https://example.com/x"' in message.html
    assert 'rel="noopener noreferrer"' in message.html
    assert "Ember & Oak **sale**" in message.text  # the text part is the Markdown, unescaped
    for part in (message.text, html.unescape(message.html)):
        assert "Ember & Oak Audio Inc." in part  # CASL: who sends it
        assert "100 Example Street" in part  # a mailing address
        assert "care@example.com" in part  # a way to reach them
        assert "/unsubscribe/" in part


# --- Unsubscribe: the link, RFC 8058 one-click, and a bad link.


def _token_in(text: str) -> str:
    found = re.search(r"/unsubscribe/([^/\s\"]+)/", text)
    assert found is not None
    return found.group(1)


@pytest.mark.promise("PP-12", "PP-8")
def test_rfc_8058_one_click_unsubscribes_over_http_without_sign_in_or_csrf() -> None:
    person = customer("ada@example.com")
    express(person, T0 - 10 * DAY)
    news = campaign()
    headers = campaigns.list_headers(news, address="ada@example.com")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", headers["List-Unsubscribe"])
    assert mailto.startswith("mailto:unsubscribe+c") and "@example.com" in mailto
    path = https.removeprefix("http://localhost:8000").removeprefix("http://127.0.0.1:8000")

    client = Client(enforce_csrf_checks=True)
    answer = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert answer.status_code == 200
    assert suppression.is_suppressed("ada@example.com")
    assert not may_contact(purpose="marketing_email", at=clock.now(), user=person)
    assert Suppression_reason() == "one_click"
    news.refresh_from_db()
    assert news.unsubscribed_count == 1
    # Again: nothing more recorded, nothing counted twice.
    client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    news.refresh_from_db()
    assert news.unsubscribed_count == 1
    assert ConsentRecord.objects.filter(granted=False, purpose="marketing_email").count() == 1


def Suppression_reason() -> str:
    from hearth.comms.models import Suppression

    return Suppression.objects.get().reason


def test_the_unsubscribe_link_asks_once_then_takes_effect_at_once() -> None:
    news = campaign()
    token = _token_in(campaigns.render(news, address="ada@example.com").text)
    client = Client()

    page = client.get(f"/unsubscribe/{token}/")
    assert page.status_code == 200
    assert "a•••@example.com" in page.content.decode()
    assert not suppression.is_suppressed("ada@example.com")  # a link scanner's GET does nothing

    done = client.post(f"/unsubscribe/{token}/", {"confirm": "yes"})
    assert done.status_code == 200
    assert suppression.is_suppressed("ada@example.com")
    assert Suppression_reason() == "unsubscribe_link"


@pytest.mark.parametrize("damage", ["tampered", "expired"])
def test_a_tampered_or_expired_link_still_lets_the_person_unsubscribe_by_email(
    damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = campaign()
    if damage == "expired":
        import time

        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() - 91 * 86_400)
        token = campaigns.unsubscribe_token(address="ada@example.com", campaign_id=news.pk)
        monkeypatch.setattr(time, "time", real)
    else:
        token = campaigns.unsubscribe_token(address="ada@example.com", campaign_id=news.pk)
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    client = Client()

    page = client.get(f"/unsubscribe/{token}/")
    one_click = client.post(
        f"/unsubscribe/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert page.status_code == one_click.status_code == 400
    html = page.content.decode()
    assert "mailto:unsubscribe@example.com" in html
    assert 'name="email"' in html
    assert not suppression.is_suppressed("ada@example.com")

    asked = client.post("/unsubscribe/", {"email": "ada@example.com"})
    assert asked.status_code == 200
    link_mail = OutboundMessage.objects.get(kind=OutboundKind.TRANSACTIONAL)
    fresh = _token_in(link_mail.body)
    assert client.post(f"/unsubscribe/{fresh}/", {"confirm": "yes"}).status_code == 200
    assert suppression.is_suppressed("ada@example.com")


def test_unsubscribe_by_email_refuses_a_bad_address_beside_the_field() -> None:
    answer = Client().post("/unsubscribe/", {"email": "not an address"})
    assert answer.status_code == 400
    assert 'aria-describedby="id_email' in answer.content.decode()
    assert not OutboundMessage.objects.exists()


# --- Sending: batches, DKIM, no duplicates after a crash.


@pytest.fixture
def dkim_key(tmp_path: Any, settings: Any) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    path = tmp_path / "dkim.pem"
    path.write_bytes(pem)
    settings.HEARTH_DKIM_KEY_FILE = str(path)
    settings.HEARTH_DKIM_SELECTOR = "hearth"
    settings.HEARTH_DKIM_DOMAIN = "example.com"
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64

    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


class _RawInbox:
    """The bytes a real SMTP server received, as sent (DKIM is checked on them)."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(bytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def raw_smtp(smtp_server: Any, settings: Any) -> Any:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _RawInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_PORT = port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.mark.promise("PP-12")
def test_a_sent_campaign_message_is_dkim_signed_and_verifies(
    raw_smtp: _RawInbox, dkim_key: bytes, django_capture_on_commit_callbacks: Any
) -> None:
    person = customer("ada@example.com")
    express(person, T0 - 10 * DAY)
    news = campaign()

    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        campaigns.start_sending(campaign=news, at=T0, actor=None)

    [raw] = raw_smtp.raw
    received = message_from_bytes(raw, policy=policy.default)
    assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: dkim_key) is True
    signature = str(received["DKIM-Signature"])
    assert "list-unsubscribe-post" in signature.replace(" ", "").lower()
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["From"] == "Ember & Oak Audio <news@example.com>"
    tampered = raw.replace(b"Winter offers", b"Summer offers", 1)
    assert dkim.verify(tampered, dnsfunc=lambda name, timeout=5: dkim_key) is False
    news.refresh_from_db()
    assert (news.status, news.sent_count) == (CampaignStatus.SENT, 1)


@pytest.mark.promise("PP-12")
def test_a_crash_mid_campaign_is_resumed_with_no_duplicate_at_the_smtp_server(
    smtp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    addresses = [f"c{i}@example.com" for i in range(7)]
    for address in addresses:
        express(customer(address), T0 - 10 * DAY)
    news = campaign()
    monkeypatch.setattr(campaigns, "policy", lambda: campaigns.CampaignPolicy(90, 3, 1))
    real_render = campaigns.render
    calls = {"n": 0}

    def crash_on_fifth(*args: Any, **kwargs: Any) -> campaigns.Rendered:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("the worker died")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(campaigns, "render", crash_on_fifth)
    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        # The task runner records the batch task as failed, as a worker's death would leave it.
        campaigns.start_sending(campaign=news, at=T0, actor=None)
    # The first batch (3) went; the second died inside its transaction: nothing of it is kept.
    assert len(smtp_server.wait_for(3)) == 3
    assert CampaignSend.objects.filter(state="queued").count() == 3

    monkeypatch.setattr(campaigns, "render", real_render)
    with (
        clock.frozen(T0 + dt.timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        campaigns.run_due(at=T0 + dt.timedelta(minutes=1))  # the restart
        campaigns.run_due(at=T0 + dt.timedelta(minutes=2))  # and a second nudge: harmless

    received = smtp_server.wait_for(7)
    assert sorted(str(m["To"]) for m in received) == sorted(addresses)  # each exactly once
    news.refresh_from_db()
    assert (news.status, news.sent_count) == (CampaignStatus.SENT, 7)
    assert news.audience_figures["size"] == 7


def test_a_recipient_who_unsubscribes_after_queueing_gets_nothing(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    express(customer("ada@example.com"), T0 - 10 * DAY)
    news = campaign()
    campaigns.start_sending(campaign=news, at=T0, actor=None)
    campaigns.send_batch(campaign_id=news.pk, at=T0)
    row = OutboundMessage.objects.get(kind=OutboundKind.MARKETING)
    suppression.unsubscribe(
        address="ada@example.com", reason=rules.SuppressionReason.REPLY_STOP, at=T0, source="t"
    )

    with clock.frozen(T0):
        assert services.deliver(outbound_id=row.pk) == services.Outcome.SUPPRESSED

    row.refresh_from_db()
    assert (row.status, row.last_error) == (OutboundStatus.FAILED, "Suppressed")


def test_a_scheduled_campaign_starts_when_due_and_not_before(
    django_capture_on_commit_callbacks: Any,
) -> None:
    express(customer("ada@example.com"), T0 - 10 * DAY)
    news = campaign()
    staff = User.objects.create_user(email="mkt@example.com", password="x" * 12, is_staff=True)

    with pytest.raises(DomainError):
        campaigns.schedule_campaign(campaign=news, send_at=T0 - DAY, at=T0, actor=staff)
    campaigns.schedule_campaign(campaign=news, send_at=T0 + DAY, at=T0, actor=staff)

    assert campaigns.run_due(at=T0 + DAY / 2) == 0
    assert not OutboundMessage.objects.exists()
    with clock.frozen(T0 + DAY), django_capture_on_commit_callbacks(execute=True):
        campaigns.run_due(at=T0 + DAY)
    assert list(OutboundMessage.objects.values_list("to_addresses", flat=True)) == [
        ["ada@example.com"]
    ]
    changes = AuditEvent.objects.filter(object_type="comms.Campaign", action="state_changed")
    assert [e.actor_id for e in changes][:1] == [staff.pk]


def test_a_test_send_goes_only_to_the_staff_member_marked_test() -> None:
    express(customer("ada@example.com"), T0 - 10 * DAY)
    news = campaign()

    campaigns.send_test(campaign=news, to="mkt@example.com", at=T0, actor=None)

    [row] = OutboundMessage.objects.all()
    assert row.to_addresses == ["mkt@example.com"]
    assert row.subject.startswith("[Test] ")
    news.refresh_from_db()
    assert news.status == CampaignStatus.DRAFT


def test_transactional_mail_carries_no_marketing() -> None:
    from hearth.privacy.services import open_data_request

    open_data_request(user=None, kind="access", at=T0, email="ada@example.com")

    [row] = OutboundMessage.objects.all()
    assert row.kind == OutboundKind.TRANSACTIONAL
    assert "List-Unsubscribe" not in (row.headers or {})
    assert "offers" not in row.body.lower()


def test_a_hard_bounce_of_a_campaign_message_counts_on_its_campaign_only(settings: Any) -> None:
    from hearth.comms import inbound

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    express(customer("gone@example.org"), T0 - 10 * DAY)
    news = campaign()
    campaigns.start_sending(campaign=news, at=T0, actor=None)
    campaigns.send_batch(campaign_id=news.pk, at=T0)
    sent = OutboundMessage.objects.get(kind=OutboundKind.MARKETING)
    report = (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: news@example.com\r\nSubject: failure\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {sent.message_id}\r\n\r\n"
        "--B--\r\n"
    ).encode()

    assert inbound.receive(report, at=T0) == inbound.Disposition.BOUNCE

    news.refresh_from_db()
    assert (news.bounced_count, news.unsubscribed_count) == (1, 0)
    assert suppression.is_suppressed("gone@example.org")


def test_the_suppression_list_survives_the_persons_erasure() -> None:
    from hearth.privacy.services import request_erasure

    person = customer("ada@example.com")
    express(person, T0 - 10 * DAY)
    suppression.unsubscribe(
        address="ada@example.com", reason=rules.SuppressionReason.ONE_CLICK, at=T0, source="t"
    )

    outcome = request_erasure(user=person, at=T0 + DAY)

    assert outcome.erased
    assert suppression.is_suppressed("ada@example.com")  # never emailed again


def test_make_dkim_key_writes_a_private_key_and_prints_its_dns_record(
    tmp_path: Any, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64
    import stat

    from django.core.management import call_command

    path = tmp_path / "dkim.pem"
    call_command("make_dkim_key", str(path))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = capsys.readouterr().out.split('"')[1]
    assert record.startswith("v=DKIM1; k=rsa; p=")
    settings.HEARTH_DKIM_KEY_FILE = str(path)
    from hearth.comms.dkim import signature

    message = b"From: news@example.com\r\nTo: ada@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
    signed = signature(message) + message
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: record.encode()) is True
    assert base64.b64decode(record.split("p=")[1])


def test_the_language_filter_reads_the_customer_s_chosen_language_before_their_orders() -> None:
    """Issue #16: a customer who chose French in My Stuff (or with the switch) is in a French
    campaign's audience even if their latest order was placed on an English page."""
    chose_french = customer("chose_fr@example.com")
    User.objects.filter(pk=chose_french.pk).update(language="fr-ca")
    no_choice = customer("no_choice@example.com")
    User.objects.filter(pk=no_choice.pk).update(language="")
    for user in (chose_french, no_choice):
        express(user, T0 - 10 * DAY)
        baker.make(
            Order, customer=user, email=user.email, province="ON", language="en",
            status="delivered", placed_at=T0 - 20 * DAY,
        )  # fmt: skip

    def who(language: str) -> list[str]:
        found = campaigns.audience(campaign(language=language), at=T0).recipients
        return sorted(r.address for r in found)

    assert who("fr-ca") == ["chose_fr@example.com"]
    assert who("en") == ["no_choice@example.com"]
