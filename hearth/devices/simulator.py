"""A fleet of virtual households driving a real Hearth over HTTP, through the device client.

Pure Python (no Django): ``manage.py simulate_fleet`` wraps :func:`run_fleet`, and the benchmark
may import it directly. Bounded in households, seconds and (optionally) events.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from hearth.devices.client import (
    HouseholdCredentials,
    HttpTransport,
    TelemetryClient,
    create_household,
    register_household,
)

SERVICES = ("tunewave", "radiolia", "skyline", "local")
MODELS = ("ONE", "AMP", "MOVE", "ARC")
# Tier mix of the fleet: (tier, share).
TIER_MIX = (("decline", 0.2), ("registered_opt_out", 0.3), ("registered_opt_in", 0.5))


@dataclass
class FleetResult:
    households: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    accepted: int = 0
    rejected: int = 0
    failed_batches: int = 0
    seconds: float = 0.0
    setup_seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


@dataclass
class VirtualHousehold:
    credentials: HouseholdCredentials
    tier: str
    client: TelemetryClient
    services: tuple[str, ...]


def pick_tier(rng: random.Random) -> str:
    roll = rng.random()
    for tier, share in TIER_MIX:
        if roll < share:
            return tier
        roll -= share
    return TIER_MIX[-1][0]


def fake_event(rng: random.Random, household: VirtualHousehold) -> tuple[str, dict[str, Any]]:
    """One event of a type the household's tier allows (the client filters anyway)."""
    if household.tier == "registered_opt_in":
        service = rng.choice(household.services)
        if rng.random() < 0.85:
            fields: dict[str, Any] = {"service": service}
            if service == "local":
                fields["local_library_minutes"] = rng.randint(1, 120)
            else:
                fields["service_minutes"] = rng.randint(1, 240)
            if rng.random() < 0.3:
                fields["queue_actions"] = rng.randint(0, 12)
            if rng.random() < 0.05:
                fields["eq_changes"] = rng.randint(1, 3)
            return "usage", fields
        kind = "dropout" if rng.random() < 0.7 else "unavailable"
        return "playback_error", {"service": service, "kind": kind, "count": rng.randint(1, 3)}
    if household.tier == "registered_opt_out":
        return "system_report", {
            "controller_os": [rng.choice(["iOS 18.1", "Android 15", "macOS 15.1"])],
            "music_services": list(household.services),
            "software_version": "16.4",
            "hardware_models": [rng.choice(MODELS)],
        }
    return "system_report", {"software_version": "16.4"}  # decline: the client refuses it


def run_fleet(
    *,
    base_url: str,
    households: int,
    seconds: float,
    batch: int = 500,
    threads: int = 4,
    max_events: int | None = None,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> FleetResult:
    """Create ``households`` over the API (a mix of tiers, some registered), then send telemetry
    through the client for at most ``seconds`` (and ``max_events``). ``progress`` is called
    with the number of events accepted by each batch."""
    if households < 1 or seconds <= 0 or not 1 <= batch <= 1000 or threads < 1:
        raise ValueError("households >= 1, seconds > 0, 1 <= batch <= 1000, threads >= 1")
    result = FleetResult()
    threads = min(threads, households)
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 (simulated behaviour, not secrets)
    plans = [
        (pick_tier(rng), rng.sample(SERVICES, rng.randint(1, 3)), rng.randint(1, 3))
        for _ in range(households)
    ]
    # One keep-alive connection per driving thread; set-up threads get their own.
    transports = [HttpTransport() for _ in range(threads)]
    setup_local = threading.local()
    setup_transports: list[HttpTransport] = []

    def set_up(index: int) -> VirtualHousehold:
        tier, services, products = plans[index]
        transport = getattr(setup_local, "transport", None)
        if transport is None:
            transport = setup_local.transport = HttpTransport()
            setup_transports.append(transport)
        serials = [f"EO-{MODELS[k % 4]}-{secrets.token_hex(6).upper()}" for k in range(products)]
        creds = create_household(base_url=base_url, serials=serials, transport=transport)
        if tier != "decline":
            register_household(
                base_url=base_url,
                credentials=creds,
                email=f"sim-{creds.household_id}@example.com",
                postal_code="K1A 0B1",
                country="CA",
                tier=tier,
                transport=transport,
            )
        client = TelemetryClient(
            base_url=base_url,
            token=creds.token,
            tier=tier,
            transport=transports[index % threads],
            batch_size=batch,
            max_attempts=3,
            backoff_base=0.05,
            backoff_cap=1.0,
            clock=clock,
        )
        return VirtualHousehold(creds, tier, client, tuple(services))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        fleet_by_thread: list[list[VirtualHousehold]] = [[] for _ in range(threads)]
        for index, vh in enumerate(pool.map(set_up, range(households))):
            fleet_by_thread[index % threads].append(vh)
            result.households[vh.tier] += 1
    result.setup_seconds = time.monotonic() - started

    lock = threading.Lock()
    budget = [max_events if max_events is not None else None]
    begin = time.monotonic()
    deadline = begin + seconds

    def take(n: int) -> int:
        with lock:
            if budget[0] is None:
                return n
            n = min(n, budget[0])
            budget[0] -= n
            return n

    def drive(worker: int) -> None:
        local = random.Random(None if seed is None else seed + worker + 1)  # noqa: S311
        senders = [vh for vh in fleet_by_thread[worker] if vh.tier != "decline"]
        if not senders:
            return
        turn = 0
        while time.monotonic() < deadline:
            vh = senders[turn % len(senders)]
            turn += 1
            n = take(batch)
            if n <= 0:
                return
            now = clock()
            for _ in range(n):
                etype, fields = fake_event(local, vh)
                ts = now - dt.timedelta(seconds=local.randint(0, 6 * 3600))
                vh.client.record(etype, fields, device_ts=ts)
            flushed = vh.client.flush()
            with lock:
                result.batches += flushed.batches
                result.accepted += flushed.accepted
                result.rejected += len(flushed.rejected)
                if not flushed.ok:
                    result.failed_batches += 1
            if progress is not None:
                progress(flushed.accepted)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(drive, range(threads)))
    result.seconds = time.monotonic() - begin
    for transport in transports + setup_transports:
        transport.close()
    return result
