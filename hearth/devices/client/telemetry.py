"""The telemetry client a controller app embeds: buffer, batch, retry, and respect the tier.

- :meth:`TelemetryClient.record` buffers an event (in memory, and appended to ``buffer_path``
  when given, so a restart loses nothing) unless the household's tier forbids its type: then it
  is never buffered nor sent (PP-16 to PP-18).
- :meth:`TelemetryClient.flush` sends the buffer in batches of at most ``batch_size`` events
  (500 by default; the server takes 1,000 and 1 MB) and removes from the buffer only what the
  server answered for (accepted or rejected with a reason). A failed send drops nothing.
- Transient failures (no answer, 408, 425, 429, 5xx) are retried with exponential backoff and
  full jitter: before retry ``n`` it sleeps ``random() * min(cap, base * 2**n)``, and never less
  than the server's ``Retry-After`` (seconds, at most ``MAX_RETRY_AFTER``) when it sent one
  (a 503 from a server whose telemetry stream is down, a 429). ``sleep`` and ``random`` are
  injectable. A resent batch is harmless: the server stores each
  ``client_event_id`` once.
- Lowering the tier (:meth:`set_tier`) drops buffered events the new tier forbids.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random as random_module
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hearth.devices.client.tiers import TierTable, load_tier_table
from hearth.devices.client.transport import HttpTransport, Transport, TransportError

BATCH_PATH = "/api/v1/telemetry/batches"
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
ENVELOPE = ("client_event_id", "device_ts", "type")
MAX_RETRY_AFTER = 300.0  # seconds: a longer Retry-After is held to this


def retry_after_seconds(value: str | None) -> float:
    """A ``Retry-After`` in delay-seconds (RFC 9110 10.2.3), 0 when absent or not a number
    (the HTTP-date form is not used by Hearth), at most ``MAX_RETRY_AFTER``."""
    if not value:
        return 0.0
    try:
        seconds = float(value.strip())
    except ValueError:
        return 0.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


@dataclass
class FlushResult:
    """What one :meth:`TelemetryClient.flush` achieved."""

    batches: int = 0
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    error: str | None = None  # set when sending stopped early; the rest stays buffered
    status: int | None = None  # the last HTTP status seen

    @property
    def ok(self) -> bool:
        return self.error is None


class TelemetryClient:
    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        tier: str,
        transport: Transport | None = None,
        table: TierTable | None = None,
        batch_size: int = 500,
        max_batch_bytes: int = 1_000_000,
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        buffer_path: str | Path | None = None,
    ) -> None:
        if not 1 <= batch_size <= 1000:
            raise ValueError("batch_size must be between 1 and 1,000")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.table = table or load_tier_table()
        self.table.rank(tier)  # unknown tier: fail now
        self.tier = tier
        self.transport: Transport = transport or HttpTransport()
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._random = random
        self._clock = clock
        self._new_id = new_id
        self._lock = threading.Lock()
        self._buffer: list[dict[str, Any]] = []
        self.refused = 0  # events the tier forbade, never buffered
        self.buffer_path = Path(buffer_path) if buffer_path else None
        if self.buffer_path and self.buffer_path.exists():
            self._buffer = self._read_file(self.buffer_path)

    # --- buffering

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def buffered(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._buffer]

    def record(
        self,
        event_type: str,
        fields: Mapping[str, Any] | None = None,
        *,
        device_ts: dt.datetime | None = None,
    ) -> str | None:
        """Buffer one event; return its client event ID, or None when the tier forbids it."""
        if not self.table.allows(self.tier, event_type):
            self.refused += 1
            return None
        fields = dict(fields or {})
        clash = [k for k in ENVELOPE if k in fields]
        if clash:
            raise ValueError(f"fields may not set {clash}")
        ts = device_ts or self._clock()
        if ts.tzinfo is None:
            raise ValueError("device_ts must be timezone-aware")
        event = {
            "client_event_id": self._new_id(),
            "device_ts": ts.isoformat(),
            "type": event_type,
            **fields,
        }
        with self._lock:
            self._buffer.append(event)
            if self.buffer_path:
                with self.buffer_path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(event, separators=(",", ":")) + "\n")
        return str(event["client_event_id"])

    def set_tier(self, tier: str) -> int:
        """Change the tier; drop (and return how many) buffered events it no longer allows."""
        self.table.rank(tier)
        with self._lock:
            self.tier = tier
            keep = [e for e in self._buffer if self.table.allows(tier, str(e["type"]))]
            dropped = len(self._buffer) - len(keep)
            self._buffer = keep
            self._persist()
        return dropped

    # --- sending

    def flush(self) -> FlushResult:
        """Send everything buffered, batch by batch; stop at the first batch that cannot go."""
        result = FlushResult()
        while True:
            with self._lock:
                batch = [e for e in self._buffer if self.table.allows(self.tier, str(e["type"]))]
                forbidden = len(self._buffer) - len(batch)
                if forbidden:  # the tier was lowered behind our back: never send those
                    self._buffer = batch
                    self._persist()
                batch = batch[: self.batch_size]
            if not batch:
                return result
            body = self._encode(batch)
            while len(body) > self.max_batch_bytes and len(batch) > 1:
                batch = batch[: len(batch) // 2]
                body = self._encode(batch)
            answer = self._send(body, result)
            if answer is None:
                return result
            result.batches += 1
            result.accepted += int(answer.get("accepted", 0))
            result.rejected.extend(answer.get("rejected", []))
            sent = {e["client_event_id"] for e in batch}
            with self._lock:
                self._buffer = [e for e in self._buffer if e["client_event_id"] not in sent]
                self._persist()

    def backoff(self, attempt: int) -> float:
        """Full jitter: a uniform delay up to the capped exponential bound for this attempt."""
        return self._random() * min(self.backoff_cap, self.backoff_base * (2**attempt))

    def _send(self, body: bytes, result: FlushResult) -> dict[str, Any] | None:
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.token}",
        }
        wait_at_least = 0.0  # the last answer's Retry-After
        for attempt in range(self.max_attempts):
            if attempt:
                self._sleep(max(self.backoff(attempt - 1), wait_at_least))
            wait_at_least = 0.0
            result.attempts += 1
            try:
                response = self.transport("POST", self.base_url + BATCH_PATH, body, headers)
            except TransportError as exc:
                result.error = f"no answer: {exc}"
                continue
            result.status = response.status
            if 200 <= response.status < 300:
                result.error = None
                answer = response.json()
                return answer if isinstance(answer, dict) else {}
            detail = response.body[:200].decode("utf-8", "replace")
            result.error = f"HTTP {response.status}: {detail}"
            wait_at_least = retry_after_seconds(response.header("Retry-After"))
            if response.status not in RETRYABLE:
                return None  # e.g. a wrong token: retrying cannot help; keep the events
        return None

    @staticmethod
    def _encode(batch: list[dict[str, Any]]) -> bytes:
        return json.dumps({"events": batch}, separators=(",", ":")).encode("utf-8")

    # --- the optional file buffer

    def _persist(self) -> None:
        """Rewrite the buffer file to match memory (atomically). Caller holds the lock."""
        if not self.buffer_path:
            return
        tmp = self.buffer_path.with_suffix(self.buffer_path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for event in self._buffer:
                fh.write(json.dumps(event, separators=(",", ":")) + "\n")
        os.replace(tmp, self.buffer_path)

    @staticmethod
    def _read_file(path: Path) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line torn by a crash mid-append
                if isinstance(event, dict) and "client_event_id" in event:
                    events.append(event)
        return events
