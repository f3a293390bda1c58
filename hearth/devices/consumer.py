"""The telemetry stream's consumer: drains JetStream into the database (issue #17 item 4).

One durable pull consumer (``hearth-db`` on the stream, explicit acks) is shared by every
``manage.py telemetry_consumer`` process. Each round fetches up to ``batch`` messages (each one
HTTP batch), stores all their events in **one** ``repository.insert_events`` call (``COPY`` on
PostgreSQL, multi-row ``VALUES`` on SQLite), commits, runs the idempotent after-store effects
(``services.after_store``), and only then acks the messages.

Exactly once, by the dedupe key (household, day, client event ID; the unique index):

- killed before the commit: nothing was stored, nothing acked; JetStream redelivers after
  ``ack_wait`` and the next round stores it;
- killed after the commit, before the ack: redelivered, and the insert finds every event
  already there (the refused ``COPY`` falls back to ``INSERT .. ON CONFLICT DO NOTHING``):
  nothing twice.

A message that cannot be stored (not a telemetry batch, an unknown type, a value the table
cannot hold) is published to the dead-letter subject ``NAME.dead`` (kept in the stream
``NAME_DEAD``) with the reason in a header, counted, and acked: it never blocks the stream.
If the combined insert fails on a database error, each message is tried alone and the one that
fails is dead-lettered the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import DataError, IntegrityError

from hearth.devices import repository, rules, selectors, stream, stream_format
from hearth.devices.models import Household

log = logging.getLogger(__name__)

DURABLE = stream.DURABLE
# What the database raises for a value it refuses (not a lost connection): Django's wrappers, and
# the drivers' own classes, which the repository's raw cursors raise unwrapped.
REFUSED: tuple[type[Exception], ...] = (
    DataError,
    IntegrityError,
    sqlite3.DataError,
    sqlite3.IntegrityError,
)
try:
    from psycopg import errors as _pg_errors

    REFUSED = (*REFUSED, _pg_errors.DataError, _pg_errors.IntegrityError)
except ImportError:  # pragma: no cover (SQLite-only installs)
    pass
EFFECT_TYPES = frozenset({"product_added", "system_report", "playback_error"})


@dataclass
class RoundResult:
    messages: int = 0
    events: int = 0
    stored: int = 0
    dead: int = 0
    redelivered: int = 0
    withheld: int = 0  # events the household's tier no longer allows when written
    reasons: list[str] = field(default_factory=list)


class Consumer:
    """A synchronous drain loop over the process's :class:`stream.StreamLink`."""

    def __init__(
        self,
        *,
        cfg: stream.StreamConfig | None = None,
        batch: int = 200,
        ack_wait: float = 30.0,
        fetch_timeout: float = 1.0,
        clock: Callable[[], dt.datetime],
        after_commit: Callable[[RoundResult], None] | None = None,
    ) -> None:
        self.cfg = cfg or stream.config()
        if not self.cfg.url:
            raise stream.StreamUnavailable("HEARTH_TELEMETRY_STREAM is not set")
        self.link = stream.link(self.cfg)
        self.batch = batch
        self.ack_wait = ack_wait
        self.fetch_timeout = fetch_timeout
        self.clock = clock
        self.after_commit = after_commit
        self.sub: Any = None
        self.known_types = frozenset(rules.event_schema().events)

    # --- NATS side (coroutines run on the link's loop)

    async def _subscribe(self) -> Any:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        return await self.link.js.pull_subscribe(
            self.cfg.subject,
            durable=DURABLE,
            stream=self.cfg.name,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self.ack_wait,
                max_deliver=-1,
                max_ack_pending=max(1000, self.batch * 4),
            ),
        )

    async def _fetch(self) -> list[Any]:
        from nats.errors import TimeoutError as NatsTimeout

        try:
            return list(await self.sub.fetch(self.batch, timeout=self.fetch_timeout))
        except (TimeoutError, NatsTimeout):
            return []

    async def _ack(self, msgs: list[Any]) -> None:
        for msg in msgs:
            await msg.ack()
        await self.link.nc.flush(timeout=self.link.cfg.timeout + 3)

    async def _dead_letter(self, msg: Any, reason: str) -> None:
        headers = {
            "Hearth-Reason": reason[:500],
            "Hearth-Subject": str(msg.subject),
        }
        msg_id = (msg.headers or {}).get("Nats-Msg-Id")
        if msg_id:
            headers["Nats-Msg-Id"] = f"dead-{msg_id}"
        await self.link.js.publish(
            self.cfg.dead_subject, msg.data, headers=headers, timeout=self.link.cfg.timeout
        )

    def start(self) -> None:
        self.link.ensure_streams()
        self.sub = self.link.run(self._subscribe(), timeout=self.link.cfg.timeout * 3)

    # --- one round

    def drain_once(self) -> RoundResult:
        """Fetch up to ``batch`` messages, store them, ack them. An empty round when the
        stream has nothing (after ``fetch_timeout``)."""
        if self.sub is None:
            self.start()
        msgs = self.link.run(self._fetch(), timeout=self.fetch_timeout + self.link.cfg.timeout)
        result = RoundResult(messages=len(msgs))
        if not msgs:
            return result
        good: list[tuple[Any, stream_format.StreamBatch]] = []
        for msg in msgs:
            if getattr(msg.metadata, "num_delivered", 1) > 1:
                result.redelivered += 1
            try:
                good.append(
                    (msg, stream_format.decode_batch(msg.data, known_types=self.known_types))
                )
            except stream_format.MalformedMessage as exc:
                self._to_dead_letter(msg, str(exc), result)
        written_at = self.clock()
        result.withheld = self._consent_at_write(good, written_at)
        rows = [row for _msg, b in good for row in stream_format.rows_of(b, written_at=written_at)]
        try:
            result.stored += repository.insert_events(rows)
            stored_msgs = good
        except REFUSED:
            # A value the database refuses (not a lost connection: that propagates, nothing is
            # acked, and JetStream redelivers after ack_wait).
            stored_msgs = []
            for msg, b in good:  # find the one the database refuses; store the others
                try:
                    result.stored += repository.insert_events(
                        stream_format.rows_of(b, written_at=written_at)
                    )
                    stored_msgs.append((msg, b))
                except REFUSED as exc:
                    self._to_dead_letter(msg, f"database refused it: {exc}", result)
        result.events = sum(len(b.events) for _msg, b in stored_msgs)
        for _msg, b in stored_msgs:
            self._effects(b)
        if self.after_commit is not None:
            self.after_commit(result)
        self.link.run(self._ack([m for m, _b in stored_msgs]), timeout=self.link.cfg.timeout + 5)
        stream.CONSUMED_EVENTS.inc(result.events)
        stream.STORED_EVENTS.inc(result.stored)
        stream.WITHHELD_EVENTS.inc(result.withheld)
        return result

    def _consent_at_write(
        self, good: list[tuple[Any, stream_format.StreamBatch]], at: dt.datetime
    ) -> int:
        """The consent gate again, when the events are written: a household that lowered its
        tier (or withdrew usage statistics, which purged its usage data) after the edge
        accepted a batch must not get those events back from a lagging stream. Each batch keeps
        only the events the lower of its edge tier and the tier in force now allows, and is
        stored under that tier; a household that no longer exists gets nothing. One query for
        the households, one consent query per opted-in household. Returns events withheld."""
        schema = rules.event_schema()
        households = Household.objects.select_related("customer").in_bulk(
            {b.household_id for _msg, b in good}
        )
        now_tier = {hid: selectors.tier_in_force(h, at) for hid, h in households.items()}
        withheld = 0
        for _msg, b in good:
            current = now_tier.get(b.household_id)
            if current is None:
                withheld += len(b.events)
                b.events = []
                continue
            if schema.rank(current) < schema.rank(b.tier):
                b.tier = current
                kept = [e for e in b.events if schema.allowed(e.type, current)]
                withheld += len(b.events) - len(kept)
                b.events = kept
        return withheld

    def _to_dead_letter(self, msg: Any, reason: str, result: RoundResult) -> None:
        """Publish to the dead-letter subject (waiting for its PubAck), then ack the original."""
        self.link.run(self._dead_letter(msg, reason), timeout=self.link.cfg.timeout + 1)
        self.link.run(self._ack([msg]), timeout=self.link.cfg.timeout + 5)
        result.dead += 1
        result.reasons.append(reason)
        stream.DEAD_LETTERS.inc()
        log.warning("telemetry stream: message dead-lettered: %s", reason)

    def _effects(self, batch: stream_format.StreamBatch) -> None:
        """``services.after_store`` for the few event types that change more than the raw
        table, with the edge's receipt time (as the direct path would have used)."""
        from hearth.devices import services

        special = [e for e in batch.events if e.type in EFFECT_TYPES]
        if not special:
            return
        household = Household.objects.filter(id=batch.household_id).first()
        if household is None:  # erased since: nothing to update
            return
        valid = [
            rules.ValidEvent(
                index=n,
                client_event_id=e.client_event_id,
                type=e.type,
                device_ts=e.device_ts.astimezone(dt.UTC),
                day=e.day,
                service=e.service,
                payload=stream_format.payload_of(e),
            )
            for n, e in enumerate(special)
        ]
        services.after_store(household, valid, at=batch.received_at.astimezone(dt.UTC))

    def close(self) -> None:
        if self.sub is not None:
            with contextlib.suppress(Exception):  # closing: the server may be gone
                self.link.run(self.sub.unsubscribe(), timeout=2)
            self.sub = None
