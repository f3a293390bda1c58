"""Devices settings, with their defaults (override in hearth/settings.py or the environment)."""

from __future__ import annotations

import os

from django.conf import settings


def retention_days() -> int:
    """HEARTH_TELEMETRY_RETENTION_DAYS: raw events older than this are purged (default 90)."""
    value = getattr(settings, "HEARTH_TELEMETRY_RETENTION_DAYS", None)
    if value is None:
        value = os.environ.get("HEARTH_TELEMETRY_RETENTION_DAYS", "90")
    return max(1, int(value))


def insert_method() -> str:
    """HEARTH_TELEMETRY_INSERT: "auto" (default: multi-row VALUES on SQLite; on PostgreSQL
    COPY straight into the table, or through the staging table when an event is already
    stored), "staging" (PostgreSQL: always through the staging table), or "executemany" (one
    prepared statement per row, the former path)."""
    value = str(
        getattr(settings, "HEARTH_TELEMETRY_INSERT", None)
        or os.environ.get("HEARTH_TELEMETRY_INSERT", "auto")
    )
    return value if value in {"auto", "executemany", "copy", "values", "staging"} else "auto"


def device_auth_ttl() -> float:
    """HEARTH_DEVICE_AUTH_TTL: seconds a telemetry device-token answer is cached in a worker
    process (default 5; 0 turns the cache off). A change to a household made in another process
    reaches the ingest path within this time at most."""
    value = getattr(settings, "HEARTH_DEVICE_AUTH_TTL", None)
    if value is None:
        value = os.environ.get("HEARTH_DEVICE_AUTH_TTL", "5")
    return max(0.0, float(value))
