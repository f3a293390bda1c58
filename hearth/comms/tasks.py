"""Background work for comms (django_tasks): deliver one queued email, sweep the overdue ones,
purge the outbox past its retention. Each task is safe to run twice.
"""

from __future__ import annotations

from django_tasks import task

from hearth.comms import services
from hearth.core import clock


@task(queue_name="email")
def deliver_message(outbound_id: int) -> str:
    """Send one queued email unless it was sent already (see ``services.deliver``)."""
    return str(services.deliver(outbound_id=outbound_id))


@task(queue_name="email")
def sweep_outbox() -> int:
    """Enqueue the delivery of overdue emails (periodic)."""
    return services.enqueue_due(at=clock.now())


@task()
def purge_outbox() -> int:
    """Delete outbox rows past their declared 90 days (periodic). Returns the rows deleted."""
    purged = services.purge_outbox(at=clock.now())
    return purged.outbound + purged.outbox


@task(queue_name="email")
def send_campaign_batch(campaign_id: int) -> int:
    """One batch of a campaign (see ``campaigns.send_batch``); safe to run twice."""
    from hearth.comms import campaigns

    return campaigns.send_batch(campaign_id=campaign_id, at=clock.now())


@task(queue_name="email")
def run_campaigns() -> int:
    """Start due scheduled campaigns; nudge the ones still sending (periodic)."""
    from hearth.comms import campaigns

    return campaigns.run_due(at=clock.now())
