"""Care's services through the database (TOS-27, PP-19): a case per question with its promise,
replies by email with the case's reply address, email in by the token only, delay notices,
attachments refused or stored encrypted, and cases absorbed from dropouts and delivery
exceptions. Every staff change leaves an audit row with its actor."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.db import connection

from hearth.care import services
from hearth.care.models import Case, CaseAttachment, CaseLink, CaseMessage, Channel, State
from hearth.care.services import InboundEmail, IncomingFile
from hearth.care.tests.conftest import T0
from hearth.comms.models import OutboundMessage
from hearth.core.audit import SYSTEM
from hearth.core.errors import DomainError
from hearth.core.models import AuditEvent

pytestmark = pytest.mark.usefixtures("care_setup")

# T0 is Wednesday 4 November 2026, 10:00 in Toronto: due Thursday 10:00 (15:00 UTC).
DUE = dt.datetime(2026, 11, 5, 15, 0, tzinfo=dt.UTC)


def web_case(**overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "channel": Channel.WEB,
        "email": "Ada@Example.com",
        "name": "Ada Lovelace",
        "subject": "My speaker drops out",
        "body": "Every evening the music stops for a few seconds.",
        "at": T0,
        "actor": None,
    }
    fields.update(overrides)
    return services.open_case(**fields)


def agent(email: str = "cora@example.com", role_key: str = "care_agent") -> Any:
    from hearth.accounts import services as accounts_services
    from hearth.accounts.models import User

    accounts_services.sync_roles()
    user = User.objects.create_user(email=email, password=None, full_name="Cora Agent")
    accounts_services.assign_role(user=user, role_key=role_key, actor=None)
    return user


@pytest.mark.promise("TOS-27")
def test_a_question_opens_a_case_due_one_business_day_later_and_confirms_by_email() -> None:
    case = web_case()

    assert (case.state, case.channel, case.email) == (State.OPEN, Channel.WEB, "ada@example.com")
    assert case.first_response_due == DUE
    # Five business days, skipping Remembrance Day (a federal holiday) on Wednesday the 11th.
    assert case.resolution_target == dt.datetime(2026, 11, 12, 15, 0, tzinfo=dt.UTC)
    assert case.first_responded_at is None
    (message,) = case.messages.all()
    assert (message.direction, message.body) == (
        "in",
        "Every evening the music stops for a few seconds.",
    )
    sent = OutboundMessage.objects.get(key=f"care:{case.pk}:received")
    assert sent.to_addresses == ["ada@example.com"]
    assert sent.headers == {"Reply-To": f"care+{case.reply_token}@example.com"}
    assert case.reference in sent.subject
    assert "Thursday 5 November 2026, 10:00" in sent.body
    assert "&amp;" not in sent.body
    assert AuditEvent.objects.filter(object_type="care.Case", action="created").count() == 1


def test_personal_data_of_a_case_is_encrypted_at_rest() -> None:
    case = web_case()

    with connection.cursor() as cursor:
        cursor.execute("SELECT email, name, subject FROM care_case WHERE id = %s", [case.pk])
        stored = cursor.fetchone()
        cursor.execute("SELECT body FROM care_casemessage WHERE case_id = %s", [case.pk])
        (body,) = cursor.fetchone()
    assert all(value.startswith("ef1:") for value in (*stored, body))
    assert "ada@example.com" not in "".join(stored)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"email": "not an address"}, "bad_email", "email"),
        ({"email": "ada@example.com\r\nBcc: eve@example.com"}, "bad_email", "email"),
        ({"email": ""}, "bad_email", "email"),
        ({"body": "   "}, "empty_message", "body"),
        (
            {"files": [IncomingFile("bill.pdf", b"MZ\x90\x00 not a pdf")]},
            "attachment_type_refused",
            "attachment",
        ),
        (
            {"files": [IncomingFile("big.pdf", b"%PDF-" + b"0" * 5_242_880)]},
            "attachment_too_large",
            "attachment",
        ),
        (
            {"files": [IncomingFile(f"n{i}.txt", b"note") for i in range(6)]},
            "too_many_attachments",
            "attachment",
        ),
    ],
)
def test_a_bad_question_is_refused_and_nothing_is_written(
    overrides: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        web_case(**overrides)

    assert refused.value.code == code
    assert field in refused.value.fields
    assert Case.objects.count() == 0
    assert CaseMessage.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


def test_an_attachment_is_stored_encrypted_and_read_back_whole() -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    case = web_case(files=[IncomingFile("../receipt.pdf", pdf)])

    stored = CaseAttachment.objects.get(message__case=case)
    assert (stored.filename, stored.content_type, stored.size) == (
        "receipt.pdf",
        "application/pdf",
        len(pdf),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM care_caseattachment WHERE id = %s", [stored.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith("ef1:")
    assert base64.b64encode(pdf).decode() not in raw
    staff = agent()
    assert services.open_attachment(attachment=stored, actor=staff) == pdf
    assert AuditEvent.objects.filter(
        object_type="care.CaseAttachment", action="viewed", actor_id=staff.pk
    ).exists()


@pytest.mark.promise("TOS-27")
def test_the_first_reply_is_the_first_response_and_goes_out_with_the_reply_address() -> None:
    case = web_case()
    staff = agent()
    later = T0 + dt.timedelta(hours=3)

    services.reply(case=case, body="Try restarting the router.", at=later, actor=staff)
    services.reply(case=case, body="Did it help?", at=later + dt.timedelta(hours=1), actor=staff)

    case.refresh_from_db()
    assert (case.state, case.first_responded_at) == (State.WAITING, later)
    out = OutboundMessage.objects.filter(key__startswith=f"care:{case.pk}:out:").order_by("id")
    assert [m.body for m in out] == ["Try restarting the router.", "Did it help?"]
    assert all(m.headers["Reply-To"] == f"care+{case.reply_token}@example.com" for m in out)
    assert (
        AuditEvent.objects.filter(
            object_type="care.Case", action="state_changed", actor_id=staff.pk
        ).count()
        == 2
    )


def test_a_note_is_never_emailed() -> None:
    case = web_case()
    before = OutboundMessage.objects.count()

    services.add_note(case=case, body="Customer called too.", at=T0, actor=agent())

    assert OutboundMessage.objects.count() == before
    assert case.messages.filter(direction="note").count() == 1
    assert case.state == State.OPEN


def test_only_care_staff_can_take_a_case() -> None:
    from hearth.accounts.models import User

    case = web_case()
    staff = agent()
    customer = User.objects.create_user(email="bo@example.com", password=None)

    with pytest.raises(DomainError) as refused:
        services.assign(case=case, to=customer, at=T0, actor=staff)
    assert refused.value.code == "assignee_not_care"
    case.refresh_from_db()
    assert case.assigned_to is None

    services.assign(case=case, to=staff, at=T0, actor=staff)
    case.refresh_from_db()
    assert case.assigned_to == staff
    assert AuditEvent.objects.filter(
        object_type="care.Case", action="changed", fields=["assigned_to"], actor_id=staff.pk
    ).exists()


def reply_email(case: Case | None, **overrides: Any) -> InboundEmail:
    fields: dict[str, Any] = {
        "recipients": [f"care+{case.reply_token}@example.com"] if case else ["care@example.com"],
        "sender": "ada@example.com",
        "subject": "Re: something else entirely",
        "text": "It still drops out.",
        "message_id": "<m1@mail.example.com>",
    }
    fields.update(overrides)
    return InboundEmail(**fields)


@pytest.mark.promise("TOS-27")
def test_an_email_reply_lands_on_its_case_by_the_token_and_reopens_it() -> None:
    case = web_case()
    services.reply(case=case, body="Try this.", at=T0, actor=agent())
    later = T0 + dt.timedelta(days=1)

    landed = services.receive_email(email=reply_email(case), at=later)
    again = services.receive_email(email=reply_email(case), at=later)  # delivered twice

    assert landed.pk == again.pk == case.pk
    case.refresh_from_db()
    assert case.state == State.OPEN
    assert list(case.messages.values_list("direction", flat=True)) == ["in", "out", "in"]
    assert Case.objects.count() == 1


def test_an_email_naming_a_case_in_its_subject_but_not_in_its_address_opens_a_new_case() -> None:
    case = web_case()

    found = services.receive_email(
        email=reply_email(None, subject=f"Re: We received your question [{case.reference}]"),
        at=T0,
    )

    assert found.pk != case.pk
    assert (found.channel, found.email) == (Channel.EMAIL, "ada@example.com")
    assert case.messages.count() == 1


def test_a_reply_token_that_matches_no_case_opens_a_new_case() -> None:
    found = services.receive_email(
        email=reply_email(None, recipients=["care+0123456789abcdef0123@example.com"]), at=T0
    )

    assert found.channel == Channel.EMAIL
    assert Case.objects.count() == 1
    assert OutboundMessage.objects.filter(key=f"care:{found.pk}:received").exists()


def test_a_reply_to_a_closed_case_opens_it_again_with_a_new_promise() -> None:
    case = web_case()
    staff = agent()
    services.reply(case=case, body="Done.", at=T0, actor=staff, close=True)
    case.refresh_from_db()
    assert case.state == State.CLOSED
    monday = dt.datetime(2026, 11, 9, 14, 0, tzinfo=dt.UTC)  # 9:00 in Toronto

    services.receive_email(email=reply_email(case), at=monday)

    case.refresh_from_db()
    assert (case.state, case.closed_at, case.first_responded_at) == (State.OPEN, None, None)
    assert case.first_response_due == dt.datetime(2026, 11, 10, 14, 0, tzinfo=dt.UTC)


def test_an_email_s_refused_attachments_are_not_kept_but_its_words_land() -> None:
    case = web_case()
    good = IncomingFile("log.txt", b"dropouts at 21:00")

    services.receive_email(
        email=reply_email(case, files=[IncomingFile("virus.exe", b"MZ\x90\x00"), good]), at=T0
    )

    messages = list(case.messages.order_by("id"))
    assert [m.direction for m in messages] == ["in", "in", "note"]
    assert messages[1].body == "It still drops out."
    assert [a.filename for a in messages[1].attachments.all()] == ["log.txt"]
    assert "virus.exe is not a PDF, PNG, JPEG or plain-text file." in messages[2].body
    assert CaseAttachment.objects.count() == 1


@pytest.mark.promise("TOS-27")
def test_a_case_still_open_at_its_target_tells_the_customer_with_a_new_date_once() -> None:
    case = web_case()
    services.reply(case=case, body="Looking into it.", at=T0, actor=agent())
    services.receive_email(email=reply_email(case), at=T0)  # waiting for care again
    waiting_for_customer = web_case(email="cy@example.com")
    services.reply(case=waiting_for_customer, body="Which model?", at=T0, actor=None)
    at_target = dt.datetime(2026, 11, 12, 15, 0, tzinfo=dt.UTC)
    closed = web_case(email="bo@example.com")
    services.close(case=closed, at=T0, actor=agent("dee@example.com"))

    told = services.tell_delayed_cases(at=at_target)
    again = services.tell_delayed_cases(at=at_target + dt.timedelta(minutes=15))

    assert (told, again) == (1, 0)
    case.refresh_from_db()
    assert case.delay_notices == 1
    assert case.resolution_target == dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC)
    notice = OutboundMessage.objects.get(key=f"care:{case.pk}:delay:1")
    assert "Tuesday 17 November 2026, 10:00" in notice.body
    assert notice.headers["Reply-To"] == f"care+{case.reply_token}@example.com"
    assert not OutboundMessage.objects.filter(key__startswith=f"care:{closed.pk}:delay").exists()
    assert not OutboundMessage.objects.filter(
        key__startswith=f"care:{waiting_for_customer.pk}:delay"
    ).exists()
    assert (
        AuditEvent.objects.filter(
            object_type="care.Case", fields=["delay_notices", "resolution_target"]
        ).count()
        == 1
    )


def test_open_case_for_the_same_link_twice_returns_the_first() -> None:
    first = services.open_case(
        channel=Channel.RMA,
        email="ada@example.com",
        body="RMA opened.",
        at=T0,
        actor=None,
        link=("rma", "R-1001"),
    )
    second = services.open_case(
        channel=Channel.RMA,
        email="ada@example.com",
        body="RMA opened.",
        at=T0,
        actor=None,
        link=("rma", "R-1001"),
    )

    assert first.pk == second.pk
    assert CaseLink.objects.get().case == first


def test_closed_cases_are_purged_two_years_after_closing() -> None:
    old = web_case()
    services.close(case=old, at=T0, actor=SYSTEM)
    recent = web_case(email="bo@example.com")

    purged = services.purge_closed_cases(at=T0 + dt.timedelta(days=2 * 365 + 1))

    assert purged == 1
    assert list(Case.objects.values_list("pk", flat=True)) == [recent.pk]
    assert CaseMessage.objects.filter(case_id=old.pk).count() == 0


def test_a_phone_case_with_no_email_is_not_counted_as_told_of_a_delay() -> None:
    case = services.open_case(
        channel=Channel.PHONE, email="", body="Called about pairing.", at=T0, actor=agent()
    )

    assert services.tell_delayed_cases(at=T0 + dt.timedelta(days=30)) == 0
    case.refresh_from_db()
    assert case.delay_notices == 0
    assert not OutboundMessage.objects.filter(key__startswith=f"care:{case.pk}:").exists()


@pytest.mark.promise("TOS-27")
def test_an_answer_given_by_phone_and_noted_counts_as_the_first_response() -> None:
    case = services.open_case(
        channel=Channel.PHONE, email="", body="How do I pair?", at=T0, actor=agent()
    )
    later = T0 + dt.timedelta(hours=2)

    services.add_note(
        case=case,
        body="Called back, explained pairing.",
        at=later,
        actor=None,
        answered_by_phone=True,
    )

    case.refresh_from_db()
    assert (case.state, case.first_responded_at) == (State.WAITING, later)


@pytest.mark.promise("PP-8")
def test_a_question_implies_consent_to_news_for_six_months_and_never_over_a_withdrawal() -> None:
    from hearth.privacy.models import ConsentKind
    from hearth.privacy.selectors import may_contact
    from hearth.privacy.services import record_consent

    web_case(email="ada@example.com")
    assert may_contact(
        purpose="marketing_email", at=T0 + dt.timedelta(days=150), email="ada@example.com"
    )
    assert not may_contact(
        purpose="marketing_email", at=T0 + dt.timedelta(days=200), email="ada@example.com"
    )
    record_consent(
        purpose="marketing_email",
        granted=False,
        kind=ConsentKind.EXPRESS,
        source="test",
        at=T0 + dt.timedelta(days=1),
        email="grace@example.com",
    )
    web_case(email="grace@example.com", at=T0 + dt.timedelta(days=2))
    assert not may_contact(
        purpose="marketing_email", at=T0 + dt.timedelta(days=3), email="grace@example.com"
    )
