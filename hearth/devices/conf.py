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
    """HEARTH_TELEMETRY_INSERT: "executemany" (default) or "copy" (PostgreSQL only)."""
    return str(
        getattr(settings, "HEARTH_TELEMETRY_INSERT", None)
        or os.environ.get("HEARTH_TELEMETRY_INSERT", "executemany")
    )
