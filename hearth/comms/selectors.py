"""Comms reads: the outbox policy (data/outbox.toml) and what staff look at."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from hearth.comms.models import OutboundMessage, OutboundStatus
from hearth.comms.rules import RetryPolicy

POLICY_FILE = Path(__file__).resolve().parent / "data" / "outbox.toml"


@dataclass(frozen=True)
class OutboxPolicy:
    retention_key: str
    retention_days: int
    retry: RetryPolicy
    sending_lease: dt.timedelta


@cache
def _declared_policy() -> OutboxPolicy:
    with POLICY_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    numbers = (
        "retention_days",
        "max_attempts",
        "backoff_base_seconds",
        "backoff_cap_seconds",
        "sending_lease_seconds",
    )
    for name in numbers:
        if not isinstance(raw.get(name), int) or raw[name] < 1:
            raise ValueError(f"{POLICY_FILE.name}: {name} must be a positive whole number")
    if not raw.get("retention_key") or not raw.get("retention_source"):
        raise ValueError(f"{POLICY_FILE.name}: retention_key and retention_source are required")
    return OutboxPolicy(
        retention_key=str(raw["retention_key"]),
        retention_days=raw["retention_days"],
        retry=RetryPolicy(
            max_attempts=raw["max_attempts"],
            backoff_base=dt.timedelta(seconds=raw["backoff_base_seconds"]),
            backoff_cap=dt.timedelta(seconds=raw["backoff_cap_seconds"]),
        ),
        sending_lease=dt.timedelta(seconds=raw["sending_lease_seconds"]),
    )


def outbox_policy() -> OutboxPolicy:
    """The declared policy; ``settings.HEARTH_MAIL_LEASE_SECONDS`` overrides the sending lease."""
    policy = _declared_policy()
    lease = getattr(settings, "HEARTH_MAIL_LEASE_SECONDS", None)
    if lease:
        return OutboxPolicy(
            retention_key=policy.retention_key,
            retention_days=policy.retention_days,
            retry=policy.retry,
            sending_lease=dt.timedelta(seconds=float(lease)),
        )
    return policy


def failed_messages() -> QuerySet[OutboundMessage]:
    """What could not be sent, newest first (the back office shows and retries these)."""
    return OutboundMessage.objects.filter(status=OutboundStatus.FAILED)


def messages_due(*, at: dt.datetime) -> QuerySet[OutboundMessage]:
    """Queued messages whose attempt was due by ``at``, and sending ones whose holder's lease
    ended by ``at`` (its worker is presumed dead)."""
    from django.db.models import Q

    return OutboundMessage.objects.filter(
        Q(status=OutboundStatus.QUEUED, next_attempt_at__lte=at)
        | Q(status=OutboundStatus.SENDING, lease_until__lte=at)
    )


INBOUND_FILE = Path(__file__).resolve().parent / "data" / "inbound.toml"


@dataclass(frozen=True)
class InboundPolicy:
    stop_words: tuple[str, ...]
    first_lines: int
    max_bytes: int


@cache
def inbound_policy() -> InboundPolicy:
    """The declared inbound policy (data/inbound.toml): stop words, lines read, size limit."""
    with INBOUND_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    words = raw.get("stop_words")
    if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
        raise ValueError(f"{INBOUND_FILE.name}: stop_words must be a list of words")
    for name in ("first_lines", "max_bytes"):
        if not isinstance(raw.get(name), int) or raw[name] < 1:
            raise ValueError(f"{INBOUND_FILE.name}: {name} must be a positive whole number")
    if not raw.get("stop_words_source") or not raw.get("max_bytes_source"):
        raise ValueError(f"{INBOUND_FILE.name}: each value needs its source")
    return InboundPolicy(
        stop_words=tuple(words), first_lines=raw["first_lines"], max_bytes=raw["max_bytes"]
    )
