"""Customer care's rules (TOS-27), pure: the business clock, the case's moves, reply addresses,
attachments and the weekly figures. No Django, no database, no clock: times come in as values.

The business clock. Care works the hours of ``data/care.toml`` (local time, America/Toronto) on
business days (:mod:`hearth.core.calendar`: weekdays that are not Ontario or federal statutory
holidays). "N business days after receipt" (:func:`add_business_days`):

- a question received during the hours of business day D, at a point ``t`` after opening, is
  due at the same point ``t`` after opening on the N-th business day after D (at its closing if
  that day's hours are shorter);
- a question received outside the hours (evening, weekend, holiday) starts the clock at the next
  opening, and is due at the *closing* of the (N-1)-th business day after that opening's day: one
  full business day of hours, counted from the first moment care could read it.

So a question sent on the Friday evening before Thanksgiving Monday is due on Tuesday at 17:00,
and one sent on Friday at 11:00 is due on Tuesday at 11:00.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from hearth.core import calendar

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class BusinessHours:
    """When care works: a time zone, and opening and closing times per weekday (0 = Monday)."""

    time_zone: str
    hours: Mapping[int, tuple[dt.time, dt.time]]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def open_on(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """Opening and closing (aware, local) on ``day``, or None when care is closed that day."""
        if not calendar.is_business_day(day) or day.weekday() not in self.hours:
            return None
        opens, closes = self.hours[day.weekday()]
        zone = self.zone
        return (
            dt.datetime.combine(day, opens, tzinfo=zone),
            dt.datetime.combine(day, closes, tzinfo=zone),
        )


def parse_hours(raw: Mapping[str, Sequence[str]], time_zone: str) -> BusinessHours:
    """``{"monday": ["09:00", "17:00"], ...}`` validated: known weekdays, opening before closing."""
    ZoneInfo(time_zone)  # an unknown zone fails here, at load
    table: dict[int, tuple[dt.time, dt.time]] = {}
    for name, span in raw.items():
        if name not in WEEKDAYS:
            raise ValueError(f"hours: unknown weekday {name!r}")
        if len(span) != 2:
            raise ValueError(f"hours.{name}: give an opening and a closing time")
        opens, closes = (dt.time.fromisoformat(str(t)) for t in span)
        if opens >= closes:
            raise ValueError(f"hours.{name}: opening must come before closing")
        table[WEEKDAYS.index(name)] = (opens, closes)
    if not table:
        raise ValueError("hours: care must open on at least one weekday")
    return BusinessHours(time_zone=time_zone, hours=table)


def _next_open_day(day: dt.date, hours: BusinessHours) -> dt.date:
    """The first day on or after ``day`` when care is open."""
    for _ in range(400):
        if hours.open_on(day) is not None:
            return day
        day += dt.timedelta(days=1)
    raise ValueError("care never opens in the coming year")  # pragma: no cover


def _after_open_days(day: dt.date, count: int, hours: BusinessHours) -> dt.date:
    """The ``count``-th open day strictly after ``day`` (``day`` itself for 0)."""
    for _ in range(count):
        day = _next_open_day(day + dt.timedelta(days=1), hours)
    return day


def _hours_of(day: dt.date, hours: BusinessHours) -> tuple[dt.datetime, dt.datetime]:
    span = hours.open_on(day)
    if span is None:  # pragma: no cover - _after_open_days only returns open days
        raise ValueError(f"care is closed on {day}")
    return span


def add_business_days(start: dt.datetime, days: int, hours: BusinessHours) -> dt.datetime:
    """``days`` business days after ``start`` on the business clock (module docstring), in UTC."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if days < 1:
        raise ValueError("days must be at least 1")
    local = start.astimezone(hours.zone)
    today = hours.open_on(local.date())
    if today is not None and today[0] <= local < today[1]:
        offset = local - today[0]
        target = _hours_of(_after_open_days(local.date(), days, hours), hours)
        return min(target[0] + offset, target[1]).astimezone(dt.UTC)
    # Outside the hours: the clock starts at the next opening.
    if today is not None and local < today[0]:
        first = local.date()  # before opening on an open day
    else:  # after closing, or a closed day
        first = _next_open_day(local.date() + dt.timedelta(days=1), hours)
    target = _hours_of(_after_open_days(first, days - 1, hours), hours)
    return target[1].astimezone(dt.UTC)


def business_hours_between(start: dt.datetime, end: dt.datetime, hours: BusinessHours) -> float:
    """How many business hours (care's open hours) lie between ``start`` and ``end``."""
    if end <= start:
        return 0.0
    total = dt.timedelta(0)
    day = start.astimezone(hours.zone).date()
    last = end.astimezone(hours.zone).date()
    while day <= last:
        span = hours.open_on(day)
        if span is not None:
            lo, hi = max(span[0], start), min(span[1], end)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600


# --- The promise.


@dataclass(frozen=True)
class Policy:
    hours: BusinessHours
    first_response_days: int
    resolution_days: int
    extension_days: int


@dataclass(frozen=True)
class Deadlines:
    first_response_due: dt.datetime
    resolution_target: dt.datetime


def deadlines(received_at: dt.datetime, policy: Policy) -> Deadlines:
    """When a case received at ``received_at`` must first be answered, and resolved (TOS-27)."""
    return Deadlines(
        first_response_due=add_business_days(received_at, policy.first_response_days, policy.hours),
        resolution_target=add_business_days(received_at, policy.resolution_days, policy.hours),
    )


def answered_within_promise(*, due: dt.datetime, responded_at: dt.datetime | None) -> bool:
    return responded_at is not None and responded_at <= due


def needs_delay_notice(
    *, state: CaseState, resolution_target: dt.datetime, now: dt.datetime
) -> bool:
    """A case waiting for care at its resolution target: the customer is told (TOS-27). A case
    waiting for the customer's answer is not "taking longer" on care's side: no notice."""
    return state == CaseState.OPEN and now >= resolution_target


def extended_target(now: dt.datetime, policy: Policy) -> dt.datetime:
    """The new resolution target given to the customer with a delay notice."""
    return add_business_days(now, policy.extension_days, policy.hours)


# --- The case's states and their moves.


class CaseState(StrEnum):
    OPEN = "open"  # waiting for care (new, or the customer wrote again)
    WAITING = "waiting"  # care answered; waiting for the customer
    CLOSED = "closed"


class Direction(StrEnum):
    IN = "in"  # from the customer
    OUT = "out"  # care's reply, emailed
    NOTE = "note"  # internal note, never sent


MOVES: dict[CaseState, frozenset[CaseState]] = {
    CaseState.OPEN: frozenset({CaseState.WAITING, CaseState.CLOSED}),
    CaseState.WAITING: frozenset({CaseState.OPEN, CaseState.WAITING, CaseState.CLOSED}),
    CaseState.CLOSED: frozenset({CaseState.OPEN}),
}


def may_move(current: CaseState, to: CaseState) -> bool:
    return to in MOVES[current]


def state_after(current: CaseState, direction: Direction) -> CaseState:
    """A customer's message (re)opens the case; a reply waits for the customer; a note changes
    nothing."""
    if direction == Direction.IN:
        return CaseState.OPEN
    if direction == Direction.OUT and current != CaseState.CLOSED:
        return CaseState.WAITING
    return current


# --- Reply addresses: care+<token>@<domain>.

TOKEN_RE = re.compile(r"^[a-z0-9]{16,40}$")


def reply_address(token: str, domain: str) -> str:
    return f"care+{token}@{domain}"


def token_from_addresses(addresses: Iterable[str], domain: str) -> str | None:
    """The reply token in the first of ``addresses`` of the form ``care+<token>@<domain>``
    (case-insensitive), or None. The subject is never consulted."""
    wanted = domain.lower()
    for address in addresses:
        local, at, host = address.strip().strip("<>").lower().rpartition("@")
        if not at or host != wanted:
            continue
        base, plus, token = local.partition("+")
        if base == "care" and plus and TOKEN_RE.match(token):
            return token
    return None


# --- Attachments.


@dataclass(frozen=True)
class AttachmentPolicy:
    max_bytes: int
    max_per_message: int
    types: Mapping[str, tuple[str, ...]]  # content type -> accepted extensions


class AttachmentProblem(StrEnum):
    TOO_LARGE = "attachment_too_large"
    TOO_MANY = "too_many_attachments"
    TYPE_REFUSED = "attachment_type_refused"
    EMPTY = "attachment_empty"


_MAGIC: tuple[tuple[str, bytes], ...] = (
    ("application/pdf", b"%PDF-"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
)


def sniff_type(head: bytes) -> str | None:
    """The content type told by the first bytes: PDF, PNG, JPEG, or UTF-8 text; else None."""
    for kind, magic in _MAGIC:
        if head.startswith(magic):
            return kind
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sample is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        return None
    return "text/plain"


def check_attachment(
    *, filename: str, size: int, head: bytes, policy: AttachmentPolicy
) -> tuple[str | None, AttachmentProblem | None]:
    """The attachment's checked content type, or the problem that refuses it. The type comes
    from the bytes; the name's extension must be one accepted for that type."""
    if size <= 0:
        return None, AttachmentProblem.EMPTY
    if size > policy.max_bytes:
        return None, AttachmentProblem.TOO_LARGE
    kind = sniff_type(head)
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if kind is None or kind not in policy.types or extension not in policy.types[kind]:
        return None, AttachmentProblem.TYPE_REFUSED
    return kind, None


def safe_filename(name: str) -> str:
    """A file name fit to store and show: the last path part, printable, at most 100 characters."""
    base = name.replace("\\", "/").rpartition("/")[2]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '<>:"|?*').strip(" .")
    return cleaned[-100:] or "attachment"


# --- Weekly figures for the chart.

#: Upper bounds (hours, wall clock) of the first-response distribution's buckets; the last
#: bucket is everything beyond.
RESPONSE_BUCKETS: tuple[tuple[float, str], ...] = (
    (1, "< 1 h"),
    (4, "1-4 h"),
    (8, "4-8 h"),
    (24, "8-24 h"),
    (48, "1-2 d"),
)
OVER_LABEL = "> 2 d"


@dataclass(frozen=True)
class Received:
    received_at: dt.datetime
    due: dt.datetime
    responded_at: dt.datetime | None


@dataclass(frozen=True)
class WeekFigures:
    week_start: dt.date
    received: int
    answered_in_time: int
    unanswered: int
    buckets: tuple[int, ...]  # counts per RESPONSE_BUCKETS, then OVER_LABEL

    @property
    def share(self) -> float | None:
        """Share answered within the promise, of the cases whose due time has passed or that
        were answered; None for a week with no case."""
        return None if self.received == 0 else self.answered_in_time / self.received


def week_start_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def bucket_of(hours_taken: float) -> int:
    for index, (bound, _label) in enumerate(RESPONSE_BUCKETS):
        if hours_taken < bound:
            return index
    return len(RESPONSE_BUCKETS)


def weekly_figures(
    cases: Iterable[Received], *, weeks: Sequence[dt.date], zone: ZoneInfo
) -> list[WeekFigures]:
    """Per week (by local date of receipt, weeks starting Monday): how many cases came in, how
    many were answered within the promise, how many are still unanswered, and the distribution
    of first-response times."""
    by_week: dict[dt.date, list[Received]] = {w: [] for w in weeks}
    for case in cases:
        week = week_start_of(case.received_at.astimezone(zone).date())
        if week in by_week:
            by_week[week].append(case)
    found = []
    for week in weeks:
        rows = by_week[week]
        counts = [0] * (len(RESPONSE_BUCKETS) + 1)
        for row in rows:
            if row.responded_at is not None:
                taken = (row.responded_at - row.received_at).total_seconds() / 3600
                counts[bucket_of(taken)] += 1
        found.append(
            WeekFigures(
                week_start=week,
                received=len(rows),
                answered_in_time=sum(
                    answered_within_promise(due=r.due, responded_at=r.responded_at) for r in rows
                ),
                unanswered=sum(r.responded_at is None for r in rows),
                buckets=tuple(counts),
            )
        )
    return found
