"""Dropout outreach (PP-19): repeated playback dropouts open one proactive care case per episode.

The rule (:func:`episode_start`) is pure: a household's dropout events of one service, the
threshold and the window in, the start of the first qualifying window out. The service
(:func:`after_ingest`) is called by ingestion after each accepted batch; it reads only that
household's recent ``playback_error`` events (an indexed, targeted query), never opens a case
for a household that is not ``registered_opt_in``, and never a second one while a case for the
same household and service is open (a partial unique constraint backs this up under
concurrency). After a case is closed, a new episode counts only dropouts after both the closing
and the end of the previous episode's window.

Settings: ``HEARTH_DROPOUT_THRESHOLD`` (default 5 dropouts) within
``HEARTH_DROPOUT_WINDOW_HOURS`` (default 24 hours).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from hearth.core import audit
from hearth.core.audit import Actor, AuditAction
from hearth.devices import rules
from hearth.devices.models import TelemetryEvent, Tier
from hearth.devices.models_reports import DropoutCase, DropoutCaseStatus
from hearth.devices.selectors import household_tier

DEFAULT_THRESHOLD = 5
DEFAULT_WINDOW_HOURS = 24


@dataclass(frozen=True)
class Dropouts:
    """One ``playback_error`` event of kind ``dropout``: ``count`` dropouts at ``device_ts``."""

    service: str
    count: int
    device_ts: dt.datetime


@dataclass(frozen=True)
class Episode:
    service: str
    start: dt.datetime  # device time of the first dropout in the qualifying window
    dropouts: int  # dropouts inside that window


def episode_start(
    events: Iterable[Dropouts],
    *,
    threshold: int,
    window: dt.timedelta,
    not_before: dt.datetime | None = None,
) -> Episode | None:
    """The first window of length ``window`` holding at least ``threshold`` dropouts of one
    service, or None. Events are of one service; those before ``not_before`` do not count.

    A window is closed at both ends: dropouts at t and at t + window are "within" it.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if window <= dt.timedelta(0):
        raise ValueError("window must be positive")
    chosen = sorted(
        (e for e in events if e.count > 0 and (not_before is None or e.device_ts >= not_before)),
        key=lambda e: e.device_ts,
    )
    total = 0
    left = 0
    for event in chosen:
        total += event.count
        while chosen[left].device_ts < event.device_ts - window:
            total -= chosen[left].count
            left += 1
        if total >= threshold:
            return Episode(service=event.service, start=chosen[left].device_ts, dropouts=total)
    return None


def episodes_by_service(
    events: Iterable[Dropouts],
    *,
    threshold: int,
    window: dt.timedelta,
    not_before: dict[str, dt.datetime] | None = None,
    skip: Collection[str] = (),
) -> list[Episode]:
    """:func:`episode_start` for each service among ``events`` (except those in ``skip``)."""
    grouped: dict[str, list[Dropouts]] = defaultdict(list)
    for event in events:
        if event.service not in skip:
            grouped[event.service].append(event)
    found: list[Episode] = []
    for service in sorted(grouped):
        episode = episode_start(
            grouped[service],
            threshold=threshold,
            window=window,
            not_before=(not_before or {}).get(service),
        )
        if episode is not None:
            found.append(episode)
    return found


def next_episode_not_before(
    *, closed_at: dt.datetime, episode_start: dt.datetime, window: dt.timedelta
) -> dt.datetime:
    """After a closed case, dropouts count towards a new episode only from this moment: the case
    was closed and the previous episode's window has passed."""
    return max(closed_at, episode_start + window)


# --- Service: called by ingestion.


DROPOUT_TYPE = "playback_error"


def _settings() -> tuple[int, dt.timedelta]:
    threshold = int(getattr(settings, "HEARTH_DROPOUT_THRESHOLD", DEFAULT_THRESHOLD))
    hours = float(getattr(settings, "HEARTH_DROPOUT_WINDOW_HOURS", DEFAULT_WINDOW_HOURS))
    return threshold, dt.timedelta(hours=hours)


def _recent_dropouts(
    household_id: int, *, since: dt.datetime, services: Collection[str] | None
) -> list[Dropouts]:
    # The day bound lets the unique index (household_id, day, ...) and the partitions narrow
    # the read; the service is the type's service field in the payload (ADR 0004).
    rows = TelemetryEvent.objects.filter(
        household_id=household_id,
        type=DROPOUT_TYPE,
        day__gte=since.astimezone(dt.UTC).date(),
        device_ts__gte=since,
    )
    spec = rules.event_schema().events.get(DROPOUT_TYPE)
    field = spec.service_field if spec is not None else None
    wanted = None if services is None else set(services)
    found: list[Dropouts] = []
    for payload, device_ts in rows.values_list("payload", "device_ts"):
        payload = payload or {}
        service = payload.get(field) if field else None
        if payload.get("kind") != "dropout" or not service or not isinstance(service, str):
            continue
        if wanted is not None and service not in wanted:
            continue
        count = payload.get("count", 1)
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            found.append(Dropouts(service=service, count=count, device_ts=device_ts))
    return found


def after_ingest(
    *,
    household_id: int,
    at: dt.datetime,
    services: Collection[str] | None = None,
) -> list[DropoutCase]:
    """Open a :class:`DropoutCase` for each service of this household whose recent dropouts
    reach the threshold, once per episode, only for an opted-in household. Returns the cases
    opened (usually none).

    ``services``: the services with dropout events in the batch just stored, when the caller
    knows them (an empty collection returns at once without a query); None looks at all.
    """
    if services is not None and not services:
        return []
    threshold, window = _settings()
    # Two windows back: an episode that straddles the previous batch is still seen whole.
    events = _recent_dropouts(household_id, since=at - 2 * window, services=services)
    if not events:
        return []
    # The consent ledger's current state, not the household row's copy of it (PP-18, PP-19).
    if household_tier(household_id, at) != Tier.REGISTERED_OPT_IN:
        return []
    candidates = {e.service for e in events}
    open_services: set[str] = set()
    not_before: dict[str, dt.datetime] = {}
    cases = DropoutCase.objects.filter(household_id=household_id, service__in=candidates)
    for case in cases.order_by("opened_at", "id"):
        if case.status == DropoutCaseStatus.OPEN:
            open_services.add(case.service)
        elif case.closed_at is not None:
            not_before[case.service] = next_episode_not_before(
                closed_at=case.closed_at, episode_start=case.episode_start, window=window
            )
    opened: list[DropoutCase] = []
    for episode in episodes_by_service(
        events, threshold=threshold, window=window, not_before=not_before, skip=open_services
    ):
        try:
            with transaction.atomic():
                opened.append(
                    DropoutCase.objects.create(
                        household_id=household_id,
                        service=episode.service,
                        dropouts=episode.dropouts,
                        episode_start=episode.start,
                        opened_at=at,
                    )
                )
        except IntegrityError:
            continue  # another process opened this episode's case first
    return opened


def close_case(*, case_id: int, at: dt.datetime, actor: Actor | None) -> None:
    """Close a dropout case (the care agent contacted the owner, or decided not to)."""
    with transaction.atomic():
        closed = DropoutCase.objects.filter(id=case_id, status=DropoutCaseStatus.OPEN).update(
            status=DropoutCaseStatus.CLOSED, closed_at=at
        )
        if closed:
            audit.record(
                actor=actor,
                action=AuditAction.STATE_CHANGED,
                obj=audit.ObjectRef(label=DropoutCase._meta.label, pk=str(case_id)),
                fields=["status", "closed_at"],
            )
