"""Pure outbox rules: the message statuses and their moves, who may send a message now, and the
retry backoff. No Django, no database, no clock: time comes in as an argument.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
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


# --- Inbound email (issue #14 item 8; PP-12).

_WORD = re.compile(r"\w[\w'-]*", re.UNICODE)


def _fold(text: str) -> str:
    """Case- and accent-folded: "ARRÊT" and "arret" read the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def own_lines(body: str, *, first: int) -> list[str]:
    """The first ``first`` non-empty lines the sender wrote: quoted lines (``>``) and the
    attribution line just above a quote ("On ... wrote:") are the earlier message, not theirs."""
    lines = [line.strip() for line in body.splitlines()]
    own: list[str] = []
    for index, line in enumerate(lines):
        if not line or line.startswith(">"):
            continue
        following = next((nxt for nxt in lines[index + 1 :] if nxt), "")
        if following.startswith(">") and line.endswith(":"):
            continue
        own.append(line)
        if len(own) == first:
            break
    return own


def asks_to_stop(*, subject: str, body: str, words: Iterable[str], first_lines: int) -> bool:
    """Does this reply ask to stop commercial email? One of ``words`` stands alone as a word
    in the subject (after "Re:") or in the first lines the sender wrote."""
    wanted = {_fold(w) for w in words}
    texts = [subject, *own_lines(body, first=first_lines)]
    return any(_fold(word) in wanted for text in texts for word in _WORD.findall(text))


class BounceKind(StrEnum):
    HARD = "hard"  # permanent (5.x.x): the address is suppressed
    SOFT = "soft"  # temporary (4.x.x) or a delay: nothing is suppressed


def bounce_kind(*, action: str, status: str) -> BounceKind | None:
    """One recipient's line of a delivery status notification (RFC 3464): a failed action with
    a permanent status is a hard bounce; a delay or a 4.x.x failure is soft; delivered and
    relayed are not bounces."""
    action = action.strip().lower()
    status = status.strip()
    if action == "failed":
        return BounceKind.HARD if status.startswith("5") else BounceKind.SOFT
    if action == "delayed":
        return BounceKind.SOFT
    return None


class SuppressionReason(StrEnum):
    UNSUBSCRIBE_LINK = "unsubscribe_link"  # the link in a message, or its page
    ONE_CLICK = "one_click"  # RFC 8058 List-Unsubscribe-Post from the mail client
    UNSUBSCRIBE_EMAIL = "unsubscribe_email"  # the List-Unsubscribe mailto, or an emailed request
    REPLY_STOP = "reply_stop"  # a reply that asked to stop
    HARD_BOUNCE = "hard_bounce"  # the address does not exist
    STAFF = "staff"  # a person asked staff (phone, care case)


def suppressed_now(*, suppressed_at: dt.datetime | None, express_since: dt.datetime | None) -> bool:
    """An address on the suppression list stays off every commercial send until the person
    gives an express consent *after* it (signing up again); an implied consent never lifts it."""
    if suppressed_at is None:
        return False
    return express_since is None or express_since <= suppressed_at


# --- Campaigns (issue #14 items 5-7; CASL s.6(2), s.11; PP-8, PP-12).


@dataclass(frozen=True)
class SenderIdentification:
    name: str
    mailing_address: str
    contact: str


def casl_problems(
    *,
    sender: SenderIdentification,
    unsubscribe_url: str,
    unsubscribe_mailbox: str,
    require_https: bool,
) -> dict[str, str]:
    """{field: what is missing} for a campaign that may not go out: CASL s.6(2) needs the
    sender's name, mailing address and a way to reach them; s.11 and RFC 8058 an unsubscribe
    link (https where it counts) and mailbox. Empty when the campaign may be saved."""
    problems: dict[str, str] = {}
    for name, value in (
        ("sender_name", sender.name),
        ("sender_mailing_address", sender.mailing_address),
        ("sender_contact", sender.contact),
    ):
        if not value.strip():
            problems[name] = "missing"
    if not unsubscribe_url.startswith(("https://", "http://")) or (
        require_https and not unsubscribe_url.startswith("https://")
    ):
        problems["unsubscribe_url"] = "not an https address"
    local, at, domain = unsubscribe_mailbox.strip().rpartition("@")
    if not (local and at and "." in domain) or "+" in local:
        problems["unsubscribe_mailto"] = "not a mailbox"
    return problems


class Exclusion(StrEnum):
    NO_CONSENT = "no_consent"  # never consented, nothing implied
    EXPIRED = (
        "expired"  # implied consent ran out (2 years after a purchase, 6 months after an enquiry)
    )
    WITHDRAWN = "withdrawn"  # withdrawn or refused (an unsubscribe, an opt-out box)
    SUPPRESSED = "suppressed"  # on the suppression list (unsubscribed, replied stop, bounced)


def exclusion(
    *, granted: bool, withdrawn: bool, ever_granted: bool, suppressed: bool
) -> Exclusion | None:
    """Why a person in a campaign's filters gets no message, or None: they may be contacted.
    The suppression list wins over everything; then the consent ledger's verdict."""
    if suppressed:
        return Exclusion.SUPPRESSED
    if granted:
        return None
    if withdrawn:
        return Exclusion.WITHDRAWN
    return Exclusion.EXPIRED if ever_granted else Exclusion.NO_CONSENT


class CampaignState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


CAMPAIGN_MOVES: dict[CampaignState, frozenset[CampaignState]] = {
    CampaignState.DRAFT: frozenset({CampaignState.SCHEDULED, CampaignState.SENDING}),
    CampaignState.SCHEDULED: frozenset(
        {CampaignState.DRAFT, CampaignState.SENDING, CampaignState.CANCELLED}
    ),
    CampaignState.SENDING: frozenset({CampaignState.SENT, CampaignState.CANCELLED}),
    CampaignState.SENT: frozenset(),
    CampaignState.CANCELLED: frozenset(),
}


def campaign_may_move(current: CampaignState, to: CampaignState) -> bool:
    return to in CAMPAIGN_MOVES[current]
