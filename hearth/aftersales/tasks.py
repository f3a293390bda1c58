"""Background work of aftersales: the RMAs' arrival deadlines (hourly; TOS-24)."""

from __future__ import annotations

from django_tasks import task

from hearth.aftersales import services
from hearth.core import clock


@task()
def rma_deadlines() -> list[int]:
    """Reminders 3 days before an RMA's arrival deadline, then expiry once it has passed, then
    dealer receipts past their retention. Safe to run twice: each happens once per RMA."""
    now = clock.now()
    reminded, expired = services.run_deadlines(at=now)
    return [reminded, expired, services.purge_dealer_receipts(at=now)]
