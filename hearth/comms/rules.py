"""Pure outbox rules: the message statuses and their moves, who may send a message now, and the
retry backoff. No Django, no database, no clock: time comes in as an argument.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class MessageStatus(StrEnum):
    QUEUED = "queued"  # waiting for its first or next attempt
    SENDING = "sending"  # a worker holds it (until its lease ends) and is talking SMTP
    SENT = "sent"  # the mail server accepted it: never sent again
    FAILED = "failed"  # out of attempts: staff see it and may retry it


#: The allowed moves. SENDING -> SENDING is a take-over after the holder's lease ran out.
MOVES: dict[MessageStatus, frozenset[MessageStatus]] = {
    MessageStatus.QUEUED: frozenset({MessageStatus.SENDING}),
    MessageStatus.SENDING: frozenset(
        {MessageStatus.SENT, MessageStatus.QUEUED, MessageStatus.FAILED, MessageStatus.SENDING}
    ),
    MessageStatus.SENT: frozenset(),
    MessageStatus.FAILED: frozenset({MessageStatus.QUEUED}),
}


def may_move(current: MessageStatus, to: MessageStatus) -> bool:
    return to in MOVES[current]


class Claim(StrEnum):
    """What a worker that wants to send a message may do now."""

    SEND = "send"
    ALREADY_SENT = "already_sent"
    HELD = "held"  # another worker holds a live lease: come back when it ends
    NOT_DUE = "not_due"  # waiting out its backoff
    FAILED = "failed"  # out of attempts: only staff retry it
    GIVE_UP = "give_up"  # its last allowed attempt died with its worker: mark it failed


def claim(
    *,
    status: MessageStatus,
    lease_until: dt.datetime | None,
    next_attempt_at: dt.datetime | None,
    attempts: int,
    max_attempts: int,
    now: dt.datetime,
) -> Claim:
    if status == MessageStatus.SENT:
        return Claim.ALREADY_SENT
    if status == MessageStatus.FAILED:
        return Claim.FAILED
    if status == MessageStatus.SENDING:
        if lease_until is not None and lease_until > now:
            return Claim.HELD
        # Its holder died mid-attempt; that attempt counts.
        return Claim.GIVE_UP if attempts >= max_attempts else Claim.SEND
    if next_attempt_at is not None and next_attempt_at > now:
        return Claim.NOT_DUE
    return Claim.SEND


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_base: dt.timedelta
    backoff_cap: dt.timedelta


def backoff(attempt: int, policy: RetryPolicy) -> dt.timedelta:
    """The wait after failed attempt number ``attempt`` (1-based): doubling, capped."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    wait = policy.backoff_base * (2 ** min(attempt - 1, 32))
    return min(wait, policy.backoff_cap)


@dataclass(frozen=True)
class AfterFailure:
    status: MessageStatus
    next_attempt_at: dt.datetime | None


def after_failure(*, attempts: int, policy: RetryPolicy, now: dt.datetime) -> AfterFailure:
    """A failed attempt: queued again after its backoff, or failed once out of attempts."""
    if attempts >= policy.max_attempts:
        return AfterFailure(status=MessageStatus.FAILED, next_attempt_at=None)
    return AfterFailure(
        status=MessageStatus.QUEUED, next_attempt_at=now + backoff(attempts, policy)
    )


def purge_before(*, now: dt.datetime, retention_days: int) -> dt.datetime:
    """Rows queued before this moment are past the outbox's retention."""
    return now - dt.timedelta(days=retention_days)


def header_injected(text: str) -> bool:
    """True when a header name or value holds a line break (header injection)."""
    return "\r" in text or "\n" in text
