"""The telemetry stream on NATS JetStream (issue #17 item 4): settings, one connection per
process, publish with a PubAck, and the stream's setup.

Django views are synchronous and nats-py is asyncio, so each process keeps one connection on a
small background event-loop thread (:class:`StreamLink`); a view hands it a coroutine and waits
for the answer with a short timeout. When the server does not answer (not connected, still
reconnecting, no PubAck in time) the caller gets :class:`StreamUnavailable` and the edge
answers 503 with ``Retry-After``: nothing was acknowledged, so the device keeps its events and
sends them again (a copy that did reach the stream is dropped by its dedupe key).

Settings (hearth/settings.py or the environment):

- ``HEARTH_TELEMETRY_STREAM``: the NATS URL, e.g. ``nats://127.0.0.1:4222``. Empty (the
  default) keeps the direct path: the edge writes the database itself.
- ``HEARTH_TELEMETRY_STREAM_NAME`` (``HEARTH_TELEMETRY``): the stream; its subjects are
  ``NAME.batches`` (batches) and ``NAME.dead`` (the dead-letter subject, kept in the stream
  ``NAME_DEAD``).
- ``HEARTH_TELEMETRY_STREAM_TIMEOUT`` (2 s): connect and PubAck timeout at the edge.
- ``HEARTH_TELEMETRY_STREAM_RETRY_AFTER`` (5 s): the ``Retry-After`` of a 503.
- ``HEARTH_TELEMETRY_STREAM_MAX_AGE_DAYS`` (7) and ``HEARTH_TELEMETRY_STREAM_DUPLICATE_WINDOW``
  (120 s): how long the stream keeps a batch, and how long it remembers a dedupe key.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from prometheus_client import Counter

T = TypeVar("T")


def _setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def stream_url() -> str:
    """HEARTH_TELEMETRY_STREAM: the NATS server's URL; empty means the direct path."""
    return _setting("HEARTH_TELEMETRY_STREAM", "").strip()


@dataclass(frozen=True)
class StreamConfig:
    url: str
    name: str
    timeout: float
    retry_after: int
    max_age_days: float
    duplicate_window: float

    @property
    def subject(self) -> str:
        return f"{self.name}.batches"

    @property
    def dead_subject(self) -> str:
        return f"{self.name}.dead"

    @property
    def dead_stream(self) -> str:
        return f"{self.name}_DEAD"


def config() -> StreamConfig:
    return StreamConfig(
        url=stream_url(),
        name=_setting("HEARTH_TELEMETRY_STREAM_NAME", "HEARTH_TELEMETRY"),
        timeout=float(_setting("HEARTH_TELEMETRY_STREAM_TIMEOUT", "2")),
        retry_after=int(_setting("HEARTH_TELEMETRY_STREAM_RETRY_AFTER", "5")),
        max_age_days=float(_setting("HEARTH_TELEMETRY_STREAM_MAX_AGE_DAYS", "7")),
        duplicate_window=float(_setting("HEARTH_TELEMETRY_STREAM_DUPLICATE_WINDOW", "120")),
    )


@dataclass(frozen=True)
class StreamState:
    messages: int  # kept in the stream (consumed or not, until max age)
    pending: int  # not yet delivered to a consumer: the consumers' lag, in batches
    unacked: int  # delivered, not yet acknowledged (being written, or by a dead consumer)
    dead: int  # in the dead-letter stream


class StreamUnavailable(Exception):
    """No acknowledgement from the stream: nothing is known to be stored."""


DURABLE = "hearth-db"  # the consumers' shared durable pull consumer

# Counters (Prometheus; merged across processes under ``hearth serve``, hearth/core/metrics.py).
PUBLISHED_EVENTS = Counter(
    "hearth_telemetry_stream_published_events",
    "Telemetry events appended to the stream by the HTTP edge (acknowledged by a PubAck).",
)
DUPLICATE_BATCHES = Counter(
    "hearth_telemetry_stream_duplicate_batches",
    "Batches the stream already had (same dedupe key): a device's retry.",
)
UNAVAILABLE = Counter(
    "hearth_telemetry_stream_unavailable",
    "Batches answered 503 because no PubAck came (stream down, reconnecting or slow).",
)
CONSUMED_EVENTS = Counter(
    "hearth_telemetry_stream_consumed_events",
    "Events the consumer wrote (new or already stored), after its commit.",
)
STORED_EVENTS = Counter(
    "hearth_telemetry_stream_stored_events", "Events the consumer stored as new rows."
)
WITHHELD_EVENTS = Counter(
    "hearth_telemetry_stream_withheld_events",
    "Events dropped at write time: the household's tier no longer allows them.",
)
DEAD_LETTERS = Counter(
    "hearth_telemetry_stream_dead_letters",
    "Stream messages the consumer could not store, sent to the dead-letter subject.",
)


class StreamLink:
    """One NATS connection on its own event-loop thread, for synchronous callers."""

    def __init__(self, cfg: StreamConfig) -> None:
        self.cfg = cfg
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="hearth-nats", daemon=True
        )
        self._thread.start()
        self.nc: Any = None
        self.js: Any = None
        self._ready_streams = False
        self._next_try = 0.0
        self._lock = threading.Lock()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    async def _connect(self) -> None:
        import nats

        async def quiet(_exc: Exception) -> None:  # reconnect errors: the state says enough
            return None

        # Reconnect forever in the background once connected; the first connect is bounded by
        # the caller's timeout (nats-py would otherwise retry it for as long as reconnects).
        self.nc = await nats.connect(
            self.cfg.url,
            connect_timeout=max(1, int(self.cfg.timeout)),
            reconnect_time_wait=0.25,
            max_reconnect_attempts=-1,
            error_cb=quiet,
            name=f"hearth-{self.pid}",
        )
        self.js = self.nc.jetstream(timeout=self.cfg.timeout)

    def connected(self) -> bool:
        """Connected now (not closed, not reconnecting); connects at first use, and after a
        failed connect tries again at most once a second (so a dead server costs a request
        one connect timeout per second, not each request)."""
        with self._lock:
            nc = self.nc
            if nc is not None and nc.is_connected:
                return True
            if nc is not None and (nc.is_reconnecting or nc.is_connecting):
                return False
            now = time.monotonic()
            if now < self._next_try:
                return False
            self._next_try = now + 1.0
            try:
                self.run(self._connect(), timeout=self.cfg.timeout + 1)
            except Exception:
                self._drop()
                return False
            return bool(self.nc is not None and self.nc.is_connected)

    def _drop(self) -> None:
        nc, self.nc, self.js = self.nc, None, None
        self._ready_streams = False
        if nc is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self.run(nc.close(), timeout=1)

    async def _ensure_streams(self) -> None:
        from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
        from nats.js.errors import NotFoundError

        day = 86_400.0
        wanted = [
            StreamConfig(
                name=self.cfg.name,
                subjects=[self.cfg.subject],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                max_age=self.cfg.max_age_days * day,
                duplicate_window=self.cfg.duplicate_window,
                discard=DiscardPolicy.OLD,
            ),
            StreamConfig(
                name=self.cfg.dead_stream,
                subjects=[self.cfg.dead_subject],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                max_age=30 * day,
            ),
        ]
        for stream in wanted:
            try:
                await self.js.stream_info(stream.name)
            except NotFoundError:
                await self.js.add_stream(stream)

    def ensure_streams(self) -> None:
        if self._ready_streams:
            return
        if not self.connected():
            raise StreamUnavailable("not connected")
        try:
            self.run(self._ensure_streams(), timeout=self.cfg.timeout * 2)
        except Exception as exc:
            raise StreamUnavailable(str(exc)) from exc
        self._ready_streams = True

    def publish(self, data: bytes, *, msg_id: str, subject: str | None = None) -> bool:
        """Append ``data`` and wait for the PubAck; True if the stream already had ``msg_id``
        (a duplicate, dropped). StreamUnavailable when no PubAck came."""
        self.ensure_streams()
        if not self.connected():
            raise StreamUnavailable("not connected")
        try:
            ack = self.run(
                self.js.publish(
                    subject or self.cfg.subject,
                    data,
                    timeout=self.cfg.timeout,
                    headers={"Nats-Msg-Id": msg_id},
                ),
                timeout=self.cfg.timeout + 0.5,
            )
        except Exception as exc:
            # The stream may be gone (a server restarted without its store): set it up again
            # at the next publish.
            self._ready_streams = False
            raise StreamUnavailable(str(exc) or type(exc).__name__) from exc
        return bool(getattr(ack, "duplicate", False))

    async def _cancel_rest(self) -> None:
        rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    async def _state(self) -> StreamState:
        from nats.js.errors import NotFoundError

        info = await self.js.stream_info(self.cfg.name)
        try:
            consumer = await self.js.consumer_info(self.cfg.name, DURABLE)
            pending, unacked = int(consumer.num_pending), int(consumer.num_ack_pending)
        except NotFoundError:  # no consumer has run yet: everything is pending
            pending, unacked = int(info.state.messages), 0
        try:
            dead = int((await self.js.stream_info(self.cfg.dead_stream)).state.messages)
        except NotFoundError:
            dead = 0
        return StreamState(
            messages=int(info.state.messages), pending=pending, unacked=unacked, dead=dead
        )

    def state(self) -> StreamState:
        """The stream as the server has it now (StreamUnavailable if it cannot say)."""
        self.ensure_streams()
        try:
            return self.run(self._state(), timeout=self.cfg.timeout + 0.5)
        except Exception as exc:
            raise StreamUnavailable(str(exc) or type(exc).__name__) from exc

    def close(self) -> None:
        self._drop()
        with contextlib.suppress(Exception):
            self.run(self._cancel_rest(), timeout=2)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=2)


_links: dict[tuple[str, str], StreamLink] = {}
_links_lock = threading.Lock()


def link(cfg: StreamConfig | None = None) -> StreamLink:
    """This process's link for the configured stream (a new one after a fork)."""
    cfg = cfg or config()
    key = (cfg.url, cfg.name)
    with _links_lock:
        current = _links.get(key)
        if current is None or current.pid != os.getpid() or current.cfg != cfg:
            current = _links[key] = StreamLink(cfg)
        return current


def close_links() -> None:
    with _links_lock:
        for current in _links.values():
            if current.pid == os.getpid():
                current.close()
        _links.clear()


def publish_batch(data: bytes, *, msg_id: str, events: int) -> None:
    """The edge's append: returns once the stream acknowledged it."""
    try:
        duplicate = link().publish(data, msg_id=msg_id)
    except StreamUnavailable:
        UNAVAILABLE.inc()
        raise
    PUBLISHED_EVENTS.inc(events)
    if duplicate:
        DUPLICATE_BATCHES.inc()
