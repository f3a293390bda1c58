"""Care's pages through HTTP: the support form (account or guest, PP-4 notices, refusals beside
their fields with nothing written) and the back office (authorisation, the queue by due time,
reply with a template, note, assign, close, a phone case, the chart)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hearth.care import services
from hearth.care.models import Case, CaseAttachment, Channel, State
from hearth.care.tests.conftest import T0
from hearth.comms.models import OutboundMessage
from hearth.core import clock
from hearth.core.models import AuditEvent

pytestmark = pytest.mark.usefixtures("care_setup")

QUESTION = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "order_number": "",
    "subject": "Speaker drops out",
    "message": "The music stops every evening.",
}


def case_at(at: dt.datetime, email: str = "ada@example.com", subject: str = "Help") -> Case:
    return services.open_case(
        channel=Channel.WEB, email=email, subject=subject, body="Please help.", at=at, actor=None
    )


@pytest.mark.promise("TOS-27")
def test_the_support_form_states_its_purpose_and_marks_every_field(client: Client) -> None:
    page = client.get("/support/").content.decode()

    assert "one working day" in page
    assert "Customer care" in page or "customer care" in page  # the purpose of collection
    for label in (
        "Email address (required)",
        "Your name (optional)",
        "Subject (required)",
        "Your question (required)",
        "A file (optional)",
    ):
        assert label in page
    assert 'enctype="multipart/form-data"' in page
    assert "<script" not in page


@pytest.mark.promise("TOS-27")
def test_a_guest_asks_a_question_and_gets_its_reference(client: Client) -> None:
    upload = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")

    answer = client.post("/support/", {**QUESTION, "attachment": upload})

    assert answer.status_code == 302
    case = Case.objects.get()
    assert (case.channel, case.email, case.customer) == (Channel.WEB, "ada@example.com", None)
    assert CaseAttachment.objects.get(message__case=case).content_type == "image/png"
    sent = client.get(answer["Location"]).content.decode()
    assert case.reference in sent
    assert OutboundMessage.objects.filter(key=f"care:{case.pk}:received").exists()


def test_a_signed_in_customer_s_question_is_linked_to_their_account(client: Client) -> None:
    from hearth.accounts.models import User

    user = User.objects.create_user(email="bo@example.com", password=None)
    client.force_login(user)

    assert 'value="bo@example.com"' in client.get("/support/").content.decode()
    client.post("/support/", {**QUESTION, "email": "bo@example.com"})

    assert Case.objects.get().customer == user


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "nope"}, "email", "valid email address"),
        ({"subject": ""}, "subject", "required"),
        ({"message": ""}, "message", "required"),
        (
            {"attachment": SimpleUploadedFile("bill.pdf", b"MZ\x90\x00exe", "application/pdf")},
            "attachment",
            "is not a PDF, PNG, JPEG or plain-text file",
        ),
        (
            {"attachment": SimpleUploadedFile("big.txt", b"a" * 5_242_881, "text/plain")},
            "attachment",
            "larger than 5 MB",
        ),
    ],
)
def test_a_bad_question_is_refused_beside_its_field_and_nothing_is_written(
    client: Client, change: dict[str, Any], field: str, message: str
) -> None:
    answer = client.post("/support/", {**QUESTION, **change})

    page = answer.content.decode()
    assert answer.status_code == 400
    assert f'id="id_{field}_errors"' in page
    assert re.search(rf'id="id_{field}"[^>]*aria-describedby="[^"]*id_{field}_errors', page) or (
        re.search(rf'aria-describedby="[^"]*id_{field}_errors[^"]*"[^>]*id="id_{field}"', page)
    )
    assert message in page
    assert Case.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("customer", 302),
        ("warehouse", 403),
        ("care_agent", 200),
        ("administrator", 200),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/back-office/care/",
        "/back-office/care/chart/",
        "/back-office/care/phone/",
        "/back-office/care/{id}/",
    ],
)
def test_only_care_and_administrators_reach_the_back_office_pages(
    care_staff: Callable[..., Client], who: str, status: int, path: str
) -> None:
    from hearth.accounts.models import User

    case = case_at(T0)
    if who == "anonymous":
        client = Client()
    elif who == "customer":
        client = Client()
        client.force_login(User.objects.create_user(email="bo@example.com", password=None))
    else:
        client = care_staff(who)

    answer = client.get(path.format(id=case.pk))

    assert answer.status_code == status
    if status != 200:
        assert "ada@example.com" not in answer.content.decode()


@pytest.mark.promise("TOS-27")
def test_the_queue_is_ordered_by_due_time(care_staff: Callable[..., Client]) -> None:
    client = care_staff("care_agent")
    later = case_at(T0 + dt.timedelta(hours=2), subject="Later one")
    earlier = case_at(T0, subject="Earlier one")
    answered = case_at(T0 - dt.timedelta(hours=1), subject="Answered one")
    services.reply(case=answered, body="Done soon.", at=T0, actor=client.user)  # type: ignore[attr-defined]
    closed = case_at(T0, subject="Closed one")
    services.close(case=closed, at=T0, actor=None)

    page = client.get("/back-office/care/").content.decode()

    # The answered case is due at its resolution target (days away): it comes last.
    assert page.index("Earlier one") < page.index("Later one") < page.index("Answered one")
    assert "Closed one" not in page
    assert earlier.reference in page and later.reference in page


@pytest.mark.promise("TOS-27")
def test_an_agent_answers_from_a_template_and_the_customer_is_emailed(
    care_staff: Callable[..., Client],
) -> None:
    client = care_staff("care_agent")
    case = case_at(T0)

    page = client.get(f"/back-office/care/{case.pk}/?template=need_serial").content.decode()
    assert "could you reply with the serial number" in page
    answer = client.post(
        f"/back-office/care/{case.pk}/reply/", {"body": "Hello Ada, please send the serial."}
    )

    assert answer.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.first_responded_at) == (State.WAITING, T0)
    out = OutboundMessage.objects.filter(key__startswith=f"care:{case.pk}:out:").get()
    assert out.body == "Hello Ada, please send the serial."
    assert AuditEvent.objects.filter(
        object_type="care.Case",
        action="viewed",
        actor_id=client.user.pk,  # type: ignore[attr-defined]
    ).exists()


def test_an_empty_reply_is_refused_beside_the_box_and_nothing_is_sent(
    care_staff: Callable[..., Client],
) -> None:
    client = care_staff("care_agent")
    case = case_at(T0)
    before = OutboundMessage.objects.count()

    answer = client.post(f"/back-office/care/{case.pk}/reply/", {"body": "  "})

    assert answer.status_code == 400
    assert 'id="id_body_errors"' in answer.content.decode()
    assert OutboundMessage.objects.count() == before
    case.refresh_from_db()
    assert case.first_responded_at is None


def test_notes_assignment_and_closing_from_the_case_page(
    care_staff: Callable[..., Client],
) -> None:
    client = care_staff("care_agent")
    case = case_at(T0)
    me = client.user  # type: ignore[attr-defined]

    assert (
        client.post(f"/back-office/care/{case.pk}/note/", {"note": "Called back."}).status_code
        == 302
    )
    assert (
        client.post(f"/back-office/care/{case.pk}/assign/", {"assigned_to": str(me.pk)}).status_code
        == 302
    )
    mine = client.get("/back-office/care/?mine=1").content.decode()
    assert case.reference in mine
    assert (
        client.post(f"/back-office/care/{case.pk}/close/", {"close-note": "Sorted."}).status_code
        == 302
    )

    case.refresh_from_db()
    assert (case.state, case.assigned_to, case.closed_at) == (State.CLOSED, me, T0)
    assert list(case.messages.values_list("direction", "body")) == [
        ("in", "Please help."),
        ("note", "Called back."),
        ("note", "Sorted."),
    ]
    again = client.post(f"/back-office/care/{case.pk}/close/", {"close-note": ""})
    assert again.status_code == 409


def test_an_agent_opens_a_phone_case(care_staff: Callable[..., Client]) -> None:
    client = care_staff("care_agent")

    answer = client.post(
        "/back-office/care/phone/",
        {
            "email": "cy@example.com",
            "name": "Cy",
            "order_number": "",
            "subject": "Pairing",
            "message": "Cannot pair the sub.",
        },
    )

    case = Case.objects.get()
    assert answer["Location"] == f"/back-office/care/{case.pk}/"
    assert (case.channel, case.email) == (Channel.PHONE, "cy@example.com")
    assert case.messages.get().author == client.user  # type: ignore[attr-defined]
    assert OutboundMessage.objects.filter(key=f"care:{case.pk}:received").exists()


@pytest.mark.promise("TOS-27")
def test_the_chart_shows_the_share_answered_within_the_promise(
    care_staff: Callable[..., Client],
) -> None:
    client = care_staff("care_agent")
    in_time, late = case_at(T0), case_at(T0, email="bo@example.com")
    services.reply(case=in_time, body="Hi.", at=T0 + dt.timedelta(minutes=30), actor=None)
    services.reply(case=late, body="Sorry.", at=T0 + dt.timedelta(days=2), actor=None)

    with clock.frozen(T0 + dt.timedelta(days=3)):
        page = client.get("/back-office/care/chart/").content.decode()

    assert "<svg" in page and 'role="img"' in page
    assert "2026-11-02: 1 / 2 (50 %)" in page
    assert "<td>2026-11-02</td><td>2</td><td>1</td><td>0</td><td>1</td>" in page


def test_a_question_asked_in_french_records_the_language_care_writes_back_in(
    client: Client,
) -> None:
    client.post("/support/", QUESTION, HTTP_ACCEPT_LANGUAGE="fr-ca")

    case = Case.objects.get()
    assert case.language == "fr-ca"


def test_the_care_agent_s_back_office_home_counts_the_questions_waiting(
    care_staff: Callable[..., Client],
) -> None:
    client = care_staff("care_agent")
    case_at(T0)
    case_at(T0, email="bo@example.com")

    page = client.get("/admin/").content.decode()

    assert "Customer questions waiting for care" in page
    assert 'href="/back-office/care/"' in page


def test_the_support_form_refuses_a_flood_from_one_client_and_to_one_address(
    client: Client,
) -> None:
    for n in range(3):
        assert client.post("/support/", {**QUESTION, "subject": f"Q{n}"}).status_code == 302

    to_same_address = client.post("/support/", QUESTION)  # 4th for ada@example.com in the hour
    assert to_same_address.status_code == 429
    assert "Try again later" in to_same_address.content.decode()
    for n in range(2):
        other = {**QUESTION, "email": f"p{n}@example.com"}
        assert client.post("/support/", other).status_code == 302
    from_same_client = client.post("/support/", {**QUESTION, "email": "q@example.com"})  # 6th

    assert from_same_client.status_code == 429
    assert Case.objects.count() == 5
    assert OutboundMessage.objects.count() == 5
    with clock.frozen(T0 + dt.timedelta(minutes=61)):
        assert client.post("/support/", QUESTION).status_code == 302


def test_a_refused_question_does_not_count_towards_the_limit(client: Client) -> None:
    for _ in range(4):  # refused by open_case, after the count: the count rolls back with it
        exe = SimpleUploadedFile("bill.pdf", b"MZ\x90\x00exe", "application/pdf")
        assert client.post("/support/", {**QUESTION, "attachment": exe}).status_code == 400

    assert client.post("/support/", QUESTION).status_code == 302


def test_the_queue_costs_the_same_queries_for_three_cases_or_thirty(
    care_staff: Callable[..., Client], django_assert_max_num_queries: Any
) -> None:
    client = care_staff("care_agent")
    agent = client.user  # type: ignore[attr-defined]
    for n in range(3):
        services.assign(case=case_at(T0, email=f"a{n}@example.com"), to=agent, at=T0, actor=None)
    client.get("/back-office/care/")  # warm the session and role caches
    with django_assert_max_num_queries(12) as few:
        client.get("/back-office/care/")
    for n in range(27):
        services.assign(case=case_at(T0, email=f"b{n}@example.com"), to=agent, at=T0, actor=None)

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/back-office/care/")

    assert page.content.decode().count('href="/back-office/care/') >= 30


def test_the_support_form_refuses_an_address_email_validator_refuses(client: Client) -> None:
    # The shared email field (core.fields.EmailAddressField): email-validator, as placing.
    response = client.post(
        "/support/",
        {
            "name": "Ada",
            "email": "ada@example",
            "order_number": "",
            "subject": "Hello",
            "message": "Help please",
        },
    )
    assert response.status_code == 400
    assert "Enter a valid email address, such as name@example.com." in response.content.decode()
    assert Case.objects.count() == 0
