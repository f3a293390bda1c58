"""Care's periodic work (``HEARTH_PERIODIC_TASKS``): tell customers of delays (TOS-27) and open
cases for dropouts and delivery exceptions. Each is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from hearth.care import services, sources
from hearth.core import clock


@task()
def tell_delayed_cases() -> int:
    """Email every customer whose case is still open at its resolution target, with a new date."""
    return services.tell_delayed_cases(at=clock.now())


@task()
def absorb_sources() -> int:
    """Open or join care cases for new dropout cases and delivery exceptions."""
    return sources.absorb_sources(at=clock.now())


@task()
def purge_closed_cases() -> int:
    """Delete cases closed more than two years ago (the declared retention ``care_cases``)."""
    return services.purge_closed_cases(at=clock.now())
