from django.apps import AppConfig


class AftersalesConfig(AppConfig):
    name = "hearth.aftersales"
    label = "aftersales"

    def ready(self) -> None:
        from hearth.aftersales import queues, warranty
        from hearth.aftersales.links import close_delivered_replacement
        from hearth.fulfilment.services import on_delivered

        queues.register()
        warranty.register()
        on_delivered(close_delivered_replacement)
        self._register_refunds()

    def _register_refunds(self) -> None:
        """Finance's queue of returns awaiting refund on the back office's home, and the refund
        due of an accepted return when its inspection ends (receiving's ``on_inspected``)."""
        from django.utils.translation import gettext_lazy as _

        from hearth.aftersales.receiving import on_inspected
        from hearth.aftersales.refunds import refund_due_on_inspection, refund_queue_count
        from hearth.core.backoffice import Queue, register_queue

        on_inspected(refund_due_on_inspection)
        register_queue(
            Queue(
                key="aftersales.refunds",
                label=_("Returns awaiting refund"),
                count=refund_queue_count,
                url="/back-office/refunds/",
                roles=("finance",),
                order=12,
            )
        )
