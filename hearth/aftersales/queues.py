"""The back office's role homes: after-sales work queues with their counts (``core.backoffice``).

Registered from ``AftersalesConfig.ready``: the warehouse's returns to inspect; care's RMAs held
after a serial mismatch, RMAs whose unit is overdue, and every open RMA by state and deadline.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hearth.core import clock
from hearth.core.backoffice import Queue, register_queue


def register() -> None:
    from hearth.aftersales import rules, selectors_receiving

    def to_inspect() -> int:
        return selectors_receiving.count_in_state(rules.RmaState.RECEIVED)

    def held() -> int:
        return selectors_receiving.count_in_state(rules.RmaState.HELD)

    def overdue() -> int:
        return selectors_receiving.count_overdue_arrivals(clock.today_eastern())

    def open_rmas() -> int:
        from hearth.aftersales.models import Rma

        return Rma.objects.exclude(state__in=selectors_receiving.FINISHED_STATES).count()

    for queue in (
        Queue(
            key="aftersales.to_inspect",
            label=_("Returns received, waiting for inspection"),
            count=to_inspect,
            url="/back-office/warehouse/returns/",
            roles=("warehouse",),
            order=33,
        ),
        Queue(
            key="aftersales.held",
            label=_("Returned units held after a serial mismatch"),
            count=held,
            url="/back-office/rmas/?state=held",
            roles=("care_agent",),
            order=20,
        ),
        Queue(
            key="aftersales.overdue",
            label=_("RMAs whose unit is past its arrival deadline"),
            count=overdue,
            url="/back-office/rmas/?state=issued",
            roles=("care_agent",),
            order=21,
        ),
        Queue(
            key="aftersales.open",
            label=_("Open RMAs by state and deadline"),
            count=open_rmas,
            url="/back-office/rmas/",
            roles=("care_agent",),
            order=22,
        ),
    ):
        register_queue(queue)
