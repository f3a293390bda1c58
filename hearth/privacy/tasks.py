"""Background work: the retention task (run daily by the worker or `manage.py purge_retention`)."""

from __future__ import annotations

from django_tasks import task

from hearth.core import clock
from hearth.privacy import services


@task()
def purge_retention() -> int:
    """Purge held records whose legal keeping time is over. Safe to run twice."""
    return services.purge_due_holds(at=clock.now())
