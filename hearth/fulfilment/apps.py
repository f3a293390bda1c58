from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "hearth.fulfilment"
    label = "fulfilment"

    def ready(self) -> None:
        from hearth.fulfilment.services import cancel_shipment
        from hearth.orders.services import on_shipment_cancelled

        on_shipment_cancelled(cancel_shipment)
