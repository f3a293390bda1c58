from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "hearth.orders"
    label = "orders"
    default = True

    def ready(self) -> None:
        from hearth.catalog.services import on_expected_ship_date_change
        from hearth.orders.selectors import erasure_blockers
        from hearth.orders.services import link_guest_orders, notify_expected_ship_date_changed
        from hearth.privacy.erasure import register_blocker
        from hearth.privacy.subjects import register_linker

        register_blocker(erasure_blockers)
        register_linker("orders", link_guest_orders)
        # TOS-20: the catalogue tells orders of a new expected ship date (orders depends on the
        # catalogue, never the other way round).
        on_expected_ship_date_change(notify_expected_ship_date_changed)
        self._register_queues()

    def _register_queues(self) -> None:
        """The back office's role homes: what orders asks people to work on."""
        from django.utils.translation import gettext_lazy as _

        from hearth.core.backoffice import Queue, register_queue
        from hearth.orders.selectors import late_orders_count, phone_orders_today_count

        def held() -> int:
            from hearth.orders.selectors import orders_on_hold

            return orders_on_hold().count()

        register_queue(
            Queue(
                key="orders.review",
                label=_("Orders to review"),
                count=held,
                url="/back-office/review/",
                roles=("finance",),
                order=10,
            )
        )
        register_queue(
            Queue(
                key="orders.late",
                label=_("Late orders (ship date passed, not shipped)"),
                count=late_orders_count,
                url="/admin/orders/order/?late=yes",
                roles=("care_agent", "sales_agent", "finance"),
                order=15,
            )
        )
        register_queue(
            Queue(
                key="orders.phone",
                label=_("Take a phone order (placed today)"),
                count=phone_orders_today_count,
                url="/back-office/phone-orders/",
                roles=("sales_agent",),
                order=20,
            )
        )
