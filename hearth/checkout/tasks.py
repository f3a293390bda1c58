"""Background work of the checkout: purge abandoned checkouts from sessions (every 5 minutes)."""

from __future__ import annotations

from django_tasks import task

from hearth.checkout import services
from hearth.core import clock


@task()
def purge_abandoned_checkouts() -> int:
    """Issue #10 item 11: nothing personal stays in a session whose checkout was left."""
    return services.purge_abandoned_checkouts(at=clock.now())
