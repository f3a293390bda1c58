from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "hearth.orders"
    label = "orders"
    default = True

    def ready(self) -> None:
        from hearth.catalog.services import on_expected_ship_date_change
        from hearth.orders.selectors import erasure_blockers
        from hearth.orders.services import notify_expected_ship_date_changed
        from hearth.privacy.erasure import register_blocker

        register_blocker(erasure_blockers)
        # TOS-20: the catalogue tells orders of a new expected ship date (orders depends on the
        # catalogue, never the other way round).
        on_expected_ship_date_change(notify_expected_ship_date_changed)
