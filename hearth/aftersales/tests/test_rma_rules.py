"""The RMA's state machine as a table, the return methods, the receipt check, the numbers."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from hearth.aftersales import rules
from hearth.aftersales.rules import (
    Channel,
    ClaimKind,
    ReturnMethod,
    RmaEventKind,
    RmaState,
)
from hearth.core.errors import DomainError

S, E = RmaState, RmaEventKind

# Every allowed move, written out once more by hand: the table in rules.py must equal it.
EXPECTED_MOVES = {
    (S.REQUESTED, E.ISSUE): S.ISSUED,
    (S.REQUESTED, E.CANCEL): S.CANCELLED,
    (S.ISSUED, E.CANCEL): S.CANCELLED,
    (S.ISSUED, E.EXPIRE): S.EXPIRED,
    (S.ISSUED, E.RECEIVE): S.RECEIVED,
    (S.ISSUED, E.HOLD): S.HELD,
    (S.HELD, E.RELEASE): S.RECEIVED,
    (S.HELD, E.CLOSE): S.CLOSED,
    (S.RECEIVED, E.INSPECT): S.INSPECTED,
    (S.INSPECTED, E.REFUND_DUE): S.REFUND_DUE,
    (S.REFUND_DUE, E.REFUND): S.REFUNDED,
    (S.INSPECTED, E.REPAIR): S.REPAIR,
    (S.INSPECTED, E.SHIP_REPLACEMENT): S.REPLACEMENT_SHIPPED,
    (S.INSPECTED, E.QUOTE): S.QUOTED,
    (S.QUOTED, E.ACCEPT): S.ACCEPTED,
    (S.QUOTED, E.DECLINE): S.DECLINED,
    (S.ACCEPTED, E.REPAIR): S.REPAIR,
    (S.ACCEPTED, E.SHIP_REPLACEMENT): S.REPLACEMENT_SHIPPED,
    (S.REFUNDED, E.CLOSE): S.CLOSED,
    (S.REPAIR, E.CLOSE): S.CLOSED,
    (S.REPLACEMENT_SHIPPED, E.CLOSE): S.CLOSED,
    (S.DECLINED, E.CLOSE): S.CLOSED,
    (S.INSPECTED, E.CLOSE): S.CLOSED,
}


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(("state", "event"), list(itertools.product(S, E)))
def test_rma_state_machine_table_allows_exactly_the_listed_moves(
    state: RmaState, event: RmaEventKind
) -> None:
    expected = EXPECTED_MOVES.get((state, event))
    if expected is None:
        with pytest.raises(DomainError) as refused:
            rules.transition(state, event)
        assert (refused.value.code, refused.value.status) == ("rma_transition", 409)
    else:
        assert rules.transition(state, event) == expected


def test_terminal_states_take_no_step() -> None:
    for state in rules.TERMINAL_STATES:
        assert rules.allowed_events(state) == ()


def test_every_state_is_reachable_from_requested() -> None:
    reached, frontier = {S.REQUESTED}, [S.REQUESTED]
    while frontier:
        state = frontier.pop()
        for event in rules.allowed_events(state):
            nxt = rules.transition(state, event)
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    assert reached == set(S)


@pytest.mark.promise("TOS-22")
@pytest.mark.parametrize(
    ("kind", "channel", "country", "expected"),
    [
        (ClaimKind.RETURN, Channel.WEB, "CA", (ReturnMethod.LABEL, ReturnMethod.PICKUP)),
        (ClaimKind.RETURN, Channel.PHONE, "ca", (ReturnMethod.LABEL, ReturnMethod.PICKUP)),
        (ClaimKind.RETURN, Channel.PHONE, "US", (ReturnMethod.LABEL,)),
        (ClaimKind.RETURN, Channel.DEALER, "CA", (ReturnMethod.LABEL,)),
        (ClaimKind.WARRANTY, Channel.WEB, "CA", (ReturnMethod.LABEL,)),
    ],
)
def test_free_pickup_only_for_direct_returns_inside_the_service_region(
    kind: ClaimKind, channel: Channel, country: str, expected: tuple[ReturnMethod, ...]
) -> None:
    assert (
        rules.return_methods(kind=kind, channel=channel, country=country, service_region="CA")
        == expected
    )


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("on", "due", "gone"),
    [
        (dt.date(2026, 3, 11), False, False),
        (dt.date(2026, 3, 12), True, False),  # 3 days before the deadline
        (dt.date(2026, 3, 15), True, False),  # the deadline itself: still in time
        (dt.date(2026, 3, 16), False, True),  # the day after: expired
    ],
)
def test_reminder_three_days_before_and_expiry_after_the_arrival_deadline(
    on: dt.date, due: bool, gone: bool
) -> None:
    deadline = rules.rma_arrival_deadline(dt.date(2026, 3, 1))
    assert deadline == dt.date(2026, 3, 15)
    assert rules.reminder_due(arrival_deadline=deadline, on=on) is due
    assert rules.expired(arrival_deadline=deadline, on=on) is gone


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\r", "image/png"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf", "application/pdf"),
    ],
)
def test_receipt_type_comes_from_its_first_bytes(head: bytes, expected: str) -> None:
    assert rules.receipt_content_type(head, 1000) == expected


@pytest.mark.parametrize(
    ("head", "size", "code"),
    [
        (b"GIF89a\x01\x00\x01\x00\x00\x00", 100, "receipt_type"),
        (b"<html><body>", 100, "receipt_type"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", 100, "receipt_type"),
        (b"", 0, "receipt_type"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf", 5 * 1024 * 1024 + 1, "receipt_too_large"),
    ],
)
def test_receipt_that_is_not_an_image_or_pdf_or_too_big_is_refused(
    head: bytes, size: int, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        rules.receipt_content_type(head, size)
    assert refused.value.code == code
    assert list(refused.value.fields) == ["receipt"]


def test_receipt_of_exactly_5_mb_is_accepted() -> None:
    assert rules.receipt_content_type(b"%PDF-1.4", 5 * 1024 * 1024) == "application/pdf"


def test_rma_number_is_prefix_and_eight_unambiguous_characters() -> None:
    number = rules.rma_number(range(8))
    assert number == "RMA-23456789"
    assert len(rules.rma_number([30] * 8)) == 12
    assert not set("01IOL") & set(rules.RMA_NUMBER_ALPHABET)
    with pytest.raises(ValueError, match="8"):
        rules.rma_number(range(7))
