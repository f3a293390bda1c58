"""Periodic work of visitor statistics (settings.HEARTH_PERIODIC_TASKS)."""

from __future__ import annotations

from django_tasks import task

from hearth.core import clock
from hearth.stats import services


@task(queue_name="rollups")
def close_days() -> int:
    """Close past days: visitors, entry and exit pages into the rollups; salts destroyed."""
    return len(services.close_days(now=clock.now()))
