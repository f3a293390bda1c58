"""Background work of aftersales: the RMAs' arrival deadlines (hourly; TOS-24)."""

from __future__ import annotations

from django_tasks import task

from hearth.aftersales import services
from hearth.core import clock


@task()
def rma_deadlines() -> list[int]:
    """Reminders 3 days before an RMA's arrival deadline, then expiry once it has passed.
    Safe to run twice: each reminder and each expiry happens once per RMA."""
    reminded, expired = services.run_deadlines(at=clock.now())
    return [reminded, expired]
