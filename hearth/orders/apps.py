from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "hearth.orders"
    label = "orders"
    default = True

    def ready(self) -> None:
        from hearth.orders.selectors import erasure_blockers
        from hearth.privacy.erasure import register_blocker

        register_blocker(erasure_blockers)
