"""Incremental rollups: fold raw events past the watermark into DailyRollup (day × service ×
metric × tier, with exact distinct household counts) and WeeklyServiceHouseholds. Reports read
these, never raw events. The tier and the settle time are the event's batch row's (its tier at
receipt and receipt time); the service is the type's service field in the payload."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count

from hearth.devices import rules
from hearth.devices.models import (
    DailyRollup,
    DailyRollupHousehold,
    RollupWatermark,
    TelemetryEvent,
    WeeklyServiceHouseholds,
)

WATERMARK = "rollup"
# Events younger than this are left for the next run, so that a batch still committing with a
# lower id than a committed one is never skipped (one batch is one short statement).
SETTLE = dt.timedelta(seconds=60)


def rolled_types() -> list[str]:
    schema = rules.event_schema()
    return sorted(
        t for t, spec in schema.events.items() if spec.metrics or spec.metric_field is not None
    )


def roll_up_events(*, at: dt.datetime, settle: dt.timedelta = SETTLE, limit: int = 200_000) -> int:
    """Fold up to ``limit`` new events received before ``at - settle``; return events read."""
    schema = rules.event_schema()
    with transaction.atomic():
        mark, _created = RollupWatermark.objects.select_for_update().get_or_create(key=WATERMARK)
        ids = list(
            TelemetryEvent.objects.filter(
                id__gt=mark.last_event_id, batch__received_at__lte=at - settle
            )
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return 0
        high = ids[-1]
        rows = (
            TelemetryEvent.objects.filter(
                id__gt=mark.last_event_id, id__lte=high, type__in=rolled_types()
            )
            .values_list("household_id", "type", "batch__tier_at_receipt", "day", "payload")
            .iterator(chunk_size=5000)
        )
        sums: dict[tuple[dt.date, str, str, str], int] = defaultdict(int)
        members: set[tuple[dt.date, str, str, str, int]] = set()
        weekly: set[tuple[dt.date, str, int]] = set()
        for hid, etype, tier, day, payload in rows:
            spec = schema.events.get(etype)
            if spec is None:
                continue
            # The music service is the type's service field in the payload (ADR 0004).
            service = payload.get(spec.service_field) if spec.service_field else None
            svc = service or ""
            for metric, value in rules.contributions(spec, payload):
                sums[(day, svc, metric, tier)] += value
                members.add((day, svc, metric, tier, hid))
            if service:
                weekly.add((rules.week_start(day), service, hid))
        DailyRollupHousehold.objects.bulk_create(
            [
                DailyRollupHousehold(day=d, service=s, metric=m, tier=t, household_id=h)
                for d, s, m, t, h in members
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        WeeklyServiceHouseholds.objects.bulk_create(
            [
                WeeklyServiceHouseholds(week_start=w, service=s, household_id=h)
                for w, s, h in weekly
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        days = {k[0] for k in sums}
        counts = {
            (r["day"], r["service"], r["metric"], r["tier"]): r["n"]
            for r in DailyRollupHousehold.objects.filter(day__in=days)
            .values("day", "service", "metric", "tier")
            .annotate(n=Count("household_id"))
        }
        existing = {
            (r.day, r.service, r.metric, r.tier): r
            for r in DailyRollup.objects.select_for_update().filter(day__in=days)
        }
        new: list[DailyRollup] = []
        changed: list[DailyRollup] = []
        for key, value in sums.items():
            row = existing.get(key)
            if row is None:
                d, s, m, t = key
                new.append(
                    DailyRollup(
                        day=d,
                        service=s,
                        metric=m,
                        tier=t,
                        value=value,
                        households=counts.get(key, 0),
                    )
                )
            else:
                row.value += value
                row.households = counts.get(key, 0)
                changed.append(row)
        DailyRollup.objects.bulk_create(new, batch_size=2000)
        DailyRollup.objects.bulk_update(changed, ["value", "households"], batch_size=2000)
        mark.last_event_id = high
        mark.updated_at = at
        mark.save(update_fields=["last_event_id", "updated_at"])
        return len(ids)


def roll_up_all(*, at: dt.datetime, settle: dt.timedelta = SETTLE) -> int:
    """Run until caught up (bounded by the number of events present)."""
    total = 0
    while True:
        n = roll_up_events(at=at, settle=settle)
        total += n
        if n == 0:
            return total
