"""Care's pure rules (TOS-27): the business clock across long weekends, the case's moves, reply
addresses, attachment checks and the weekly figures."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hearth.care import policy, rules
from hearth.care.rules import CaseState, Direction

TORONTO = ZoneInfo("America/Toronto")
HOURS = policy.promise().hours


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TORONTO)


@pytest.mark.promise("TOS-27")
@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        (local(2026, 10, 9, 11, 0), local(2026, 10, 13, 11, 0), "Friday morning, Thanksgiving"),
        (local(2026, 10, 9, 18, 30), local(2026, 10, 13, 17, 0), "Friday evening, Thanksgiving"),
        (local(2026, 10, 10, 12, 0), local(2026, 10, 13, 17, 0), "the Saturday"),
        (local(2026, 10, 12, 10, 0), local(2026, 10, 13, 17, 0), "Thanksgiving Monday itself"),
        (local(2026, 10, 13, 8, 0), local(2026, 10, 13, 17, 0), "Tuesday before opening"),
        (local(2026, 12, 24, 16, 30), local(2026, 12, 29, 16, 30), "Christmas Eve afternoon"),
        (local(2026, 12, 24, 17, 0), local(2026, 12, 29, 17, 0), "Christmas Eve at closing"),
        (local(2026, 12, 31, 12, 0), local(2027, 1, 4, 12, 0), "New Year's Eve"),
        (local(2026, 11, 4, 9, 0), local(2026, 11, 5, 9, 0), "a Wednesday at opening"),
        (local(2026, 11, 4, 16, 59), local(2026, 11, 5, 16, 59), "a Wednesday before closing"),
        (local(2026, 10, 30, 10, 0), local(2026, 11, 2, 10, 0), "across the end of DST"),
    ],
)
def test_first_response_is_due_one_business_day_after_receipt(
    received: dt.datetime, due: dt.datetime, why: str
) -> None:
    found = rules.add_business_days(received.astimezone(dt.UTC), 1, HOURS)

    assert found == due.astimezone(dt.UTC), why
    assert found.tzinfo == dt.UTC


@pytest.mark.promise("TOS-27")
def test_resolution_target_counts_five_business_days_over_thanksgiving() -> None:
    found = rules.deadlines(local(2026, 10, 9, 11, 0), policy.promise())

    assert found.first_response_due == local(2026, 10, 13, 11, 0)
    assert found.resolution_target == local(2026, 10, 19, 11, 0)


def test_a_shorter_day_caps_the_due_time_at_its_closing() -> None:
    short_friday = rules.parse_hours(
        {"thursday": ["09:00", "17:00"], "friday": ["09:00", "12:00"]}, "America/Toronto"
    )

    due = rules.add_business_days(local(2026, 11, 5, 15, 0), 1, short_friday)

    assert due == local(2026, 11, 6, 12, 0)


@pytest.mark.parametrize(
    ("raw", "zone"),
    [
        ({"funday": ["09:00", "17:00"]}, "America/Toronto"),
        ({"monday": ["17:00", "09:00"]}, "America/Toronto"),
        ({"monday": ["09:00"]}, "America/Toronto"),
        ({}, "America/Toronto"),
    ],
)
def test_malformed_business_hours_are_refused_at_load(raw: dict[str, list[str]], zone: str) -> None:
    with pytest.raises(ValueError, match="hours"):
        rules.parse_hours(raw, zone)


def test_a_naive_receipt_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        rules.add_business_days(dt.datetime(2026, 11, 4, 9, 0), 1, HOURS)


@pytest.mark.promise("TOS-27")
@pytest.mark.parametrize(
    ("state", "now", "told"),
    [
        (CaseState.OPEN, local(2026, 10, 19, 11, 0), True),
        (CaseState.OPEN, local(2026, 10, 20, 9, 0), True),
        (CaseState.WAITING, local(2026, 10, 20, 9, 0), False),
        (CaseState.OPEN, local(2026, 10, 19, 10, 59), False),
        (CaseState.CLOSED, local(2026, 10, 25, 9, 0), False),
    ],
)
def test_a_case_waiting_for_care_at_its_target_needs_a_delay_notice(
    state: CaseState, now: dt.datetime, told: bool
) -> None:
    target = local(2026, 10, 19, 11, 0)

    assert rules.needs_delay_notice(state=state, resolution_target=target, now=now) is told


def test_the_new_target_after_a_delay_is_three_business_days_later() -> None:
    assert rules.extended_target(local(2026, 12, 23, 10, 0), policy.promise()) == local(
        2026, 12, 30, 10, 0
    )


@pytest.mark.parametrize(
    ("current", "direction", "after"),
    [
        (CaseState.OPEN, Direction.OUT, CaseState.WAITING),
        (CaseState.WAITING, Direction.IN, CaseState.OPEN),
        (CaseState.CLOSED, Direction.IN, CaseState.OPEN),
        (CaseState.OPEN, Direction.NOTE, CaseState.OPEN),
        (CaseState.CLOSED, Direction.OUT, CaseState.CLOSED),
    ],
)
def test_a_message_moves_the_case(
    current: CaseState, direction: Direction, after: CaseState
) -> None:
    assert rules.state_after(current, direction) == after
    assert after == current or rules.may_move(current, after)


def test_a_closed_case_cannot_be_closed_again() -> None:
    assert not rules.may_move(CaseState.CLOSED, CaseState.CLOSED)


@pytest.mark.parametrize(
    ("addresses", "token"),
    [
        (["care+abcdef0123456789abcd@example.com"], "abcdef0123456789abcd"),
        (["Care+ABCDEF0123456789ABCD@Example.COM"], "abcdef0123456789abcd"),
        (["<care+abcdef0123456789abcd@example.com>"], "abcdef0123456789abcd"),
        (["other@example.com", "care+abcdef0123456789abcd@example.com"], "abcdef0123456789abcd"),
        (["care@example.com"], None),
        (["care+short@example.com"], None),
        (["care+abcdef0123456789abcd@elsewhere.test"], None),
        (["sales+abcdef0123456789abcd@example.com"], None),
        (["care+abc-def0123456789abcd@example.com"], None),
        ([], None),
    ],
)
def test_the_reply_token_comes_only_from_care_s_own_address(
    addresses: list[str], token: str | None
) -> None:
    assert rules.token_from_addresses(addresses, "example.com") == token


LIMITS = policy.attachments()


@pytest.mark.parametrize(
    ("filename", "content", "kind", "problem"),
    [
        ("receipt.pdf", b"%PDF-1.7 ...", "application/pdf", None),
        ("photo.JPG", b"\xff\xd8\xff\xe0rest", "image/jpeg", None),
        ("screen.png", b"\x89PNG\r\n\x1a\nrest", "image/png", None),
        ("log.txt", "Dropouts at 21:00 — café".encode(), "text/plain", None),
        ("invoice.pdf", b"MZ\x90\x00 an executable", None, rules.AttachmentProblem.TYPE_REFUSED),
        ("photo.png", b"%PDF-1.7 a PDF named .png", None, rules.AttachmentProblem.TYPE_REFUSED),
        ("run.exe", b"plain text", None, rules.AttachmentProblem.TYPE_REFUSED),
        ("noextension", b"plain text", None, rules.AttachmentProblem.TYPE_REFUSED),
        ("empty.txt", b"", None, rules.AttachmentProblem.EMPTY),
    ],
)
def test_attachments_are_typed_by_their_bytes_and_name(
    filename: str, content: bytes, kind: str | None, problem: rules.AttachmentProblem | None
) -> None:
    assert rules.check_attachment(
        filename=filename, size=len(content), head=content[:512], policy=LIMITS
    ) == (kind, problem)


def test_an_attachment_over_the_limit_is_refused_whatever_its_type() -> None:
    assert rules.check_attachment(
        filename="big.pdf", size=LIMITS.max_bytes + 1, head=b"%PDF-1.7", policy=LIMITS
    ) == (None, rules.AttachmentProblem.TOO_LARGE)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\bill.pdf", "bill.pdf"),
        ('a<b>"c".txt', "abc.txt"),
        ("...", "attachment"),
    ],
)
def test_file_names_are_made_safe(name: str, safe: str) -> None:
    assert rules.safe_filename(name) == safe


@pytest.mark.promise("TOS-27")
def test_weekly_figures_count_answers_within_the_promise_and_bucket_response_times() -> None:
    monday = dt.date(2026, 11, 2)
    start = local(2026, 11, 2, 10, 0)
    due = local(2026, 11, 3, 10, 0)
    cases = [
        rules.Received(start, due, start + dt.timedelta(minutes=30)),  # < 1 h, in time
        rules.Received(start, due, start + dt.timedelta(hours=5)),  # 4-8 h, in time
        rules.Received(start, due, due + dt.timedelta(hours=1)),  # 24-48 h, late
        rules.Received(start, due, None),  # unanswered
        rules.Received(start + dt.timedelta(days=7), due + dt.timedelta(days=7), None),  # next week
    ]

    week, following = rules.weekly_figures(
        cases, weeks=[monday, monday + dt.timedelta(days=7)], zone=TORONTO
    )

    assert (week.received, week.answered_in_time, week.unanswered) == (4, 2, 1)
    assert week.share == 0.5
    assert week.buckets == (1, 0, 1, 0, 1, 0)
    assert (following.received, following.share) == (1, 0.0)


def test_a_week_without_cases_has_no_share() -> None:
    (week,) = rules.weekly_figures([], weeks=[dt.date(2026, 11, 2)], zone=TORONTO)

    assert week.share is None
