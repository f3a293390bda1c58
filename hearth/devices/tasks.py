"""Background work for devices (the lead wires the schedule):

- ``roll_up`` (queue "rollups", every few minutes): fold new raw events into the rollups.
- ``purge_household`` (enqueued on every lowering of a tier): delete data above the new tier.
- ``sweep_tiers`` (daily): the same for every household, so a missed enqueue is caught in a day.
- ``purge_telemetry_retention`` (daily): raw events older than HEARTH_TELEMETRY_RETENTION_DAYS.
- ``ensure_telemetry_partitions`` (daily, PostgreSQL): monthly partitions ahead of time.
"""

from __future__ import annotations

from django_tasks import task

from hearth.core import clock
from hearth.devices import partitions, rollups, services


@task(queue_name="rollups")
def roll_up() -> int:
    return rollups.roll_up_all(at=clock.now())


@task()
def purge_household(household_id: int) -> int:
    return services.purge_above_tier(household_id=household_id)


@task()
def sweep_tiers() -> int:
    return services.sweep_above_tier()


@task()
def purge_telemetry_retention() -> int:
    return services.purge_expired(at=clock.now())


@task()
def ensure_telemetry_partitions() -> list[str]:
    return partitions.ensure_partitions(at=clock.now().date())
