from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "hearth.fulfilment"
    label = "fulfilment"

    def ready(self) -> None:
        from hearth.fulfilment.services import cancel_shipment
        from hearth.orders.services import on_shipment_cancelled

        on_shipment_cancelled(cancel_shipment)
        self._register_queues()

    def _register_queues(self) -> None:
        """The back office's role homes: the warehouse's work, and care's delivery exceptions."""
        from django.utils.translation import gettext_lazy as _

        from hearth.core import clock
        from hearth.core.backoffice import Queue, register_queue
        from hearth.fulfilment import selectors

        def to_pick_today() -> int:
            picks = selectors.pick_list(today=clock.today_eastern(), limit=0)
            return picks.late + picks.due_today

        def low_stock() -> int:
            return len(selectors.low_stock())

        def open_cases() -> int:
            return len(selectors.open_exception_cases())

        for queue in (
            Queue(
                key="fulfilment.pick",
                label=_("To pick today (late and due today)"),
                count=to_pick_today,
                url="/back-office/warehouse/pick/",
                roles=("warehouse",),
                order=30,
            ),
            Queue(
                key="fulfilment.low_stock",
                label=_("Variants at or below their low-stock threshold"),
                count=low_stock,
                url="/back-office/warehouse/stock/",
                roles=("warehouse",),
                order=31,
            ),
            Queue(
                key="fulfilment.exceptions",
                label=_("Delivery exceptions (returned to sender, lost)"),
                count=open_cases,
                url="/admin/fulfilment/deliveryexceptioncase/?state__exact=open",
                roles=("care_agent", "warehouse"),
                order=32,
            ),
        ):
            register_queue(queue)
