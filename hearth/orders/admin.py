"""Back office for orders: sales and care agents view orders; finance also cancels and refunds;
the warehouse sees only released orders to ship, with lines and address, no customer history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.orders import rules, services
from hearth.orders.models import (
    CancellationReason,
    CreditNote,
    HoldReason,
    Order,
    OrderEvent,
    OrderLine,
    OrderRefund,
    OrderStatus,
    OrderToShip,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = (
        "sku",
        "name",
        "colour",
        "quantity",
        "unit_price",
        "availability",
        "expected_ship_date",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RefundInline(admin.TabularInline):
    model = OrderRefund
    extra = 0
    can_delete = False
    fields = ("at", "amount", "reason", "actor")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CreditNoteInline(admin.TabularInline):
    """The order's credit notes (returns refunded), each with its PDF: read-only, seen by whoever
    may see the order."""

    model = CreditNote
    extra = 0
    can_delete = False
    fields = ("number", "reference", "issued_at", "total_tax", "total", "actor", "pdf")
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("orders.view_order"))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("PDF"))
    def pdf(self, obj: CreditNote) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("orders:staff_credit_note", args=[obj.number]),
            _("Credit note %(n)s (PDF)") % {"n": obj.number},
        )


class EventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _cancel_for(reason: str) -> Any:
    @admin.action(
        description=_("Cancel and refund: %(reason)s")
        % {"reason": CancellationReason(reason).label},
        permissions=["refund"],
    )
    def action(modeladmin: OrderAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset:
            try:
                services.cancel_order(
                    order=order, reason=reason, actor=request.user, at=clock.now()
                )
            except DomainError as exc:
                modeladmin.message_user(request, f"{order.number}: {exc.message}", messages.ERROR)
            else:
                modeladmin.message_user(
                    request, _("%(n)s cancelled and refunded.") % {"n": order.number}
                )

    action.__name__ = f"cancel_{reason}"
    return action


@admin.action(
    description=_("Accept after review and release (captures the payment)"), permissions=["review"]
)
def release_after_review(
    modeladmin: OrderAdmin, request: HttpRequest, queryset: QuerySet[Order]
) -> None:
    for order in queryset.filter(status=OrderStatus.ON_HOLD):
        try:
            services.clear_hold(order=order, actor=request.user, at=clock.now())
        except DomainError as exc:
            modeladmin.message_user(request, f"{order.number}: {exc.message}", messages.ERROR)


def _hold_for(reason: str) -> Any:
    @admin.action(
        description=_("Hold for the acceptance review: %(reason)s")
        % {"reason": HoldReason(reason).label},
        permissions=["review"],
    )
    def action(modeladmin: OrderAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset:
            try:
                services.hold_order(order=order, reason=reason, actor=request.user, at=clock.now())
            except DomainError as exc:
                modeladmin.message_user(request, f"{order.number}: {exc.message}", messages.ERROR)
            else:
                modeladmin.message_user(request, _("%(n)s is on hold.") % {"n": order.number})

    action.__name__ = f"hold_{reason}"
    return action


class LateFilter(admin.SimpleListFilter):
    title = _("late")
    parameter_name = "late"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Ship date passed, not shipped"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        if self.value() != "yes":
            return queryset
        from hearth.orders.selectors import late_orders

        today = clock.now().astimezone(clock.EASTERN).date()
        return queryset.filter(pk__in=late_orders(today=today).values("pk"))


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "status", "channel", "placed_at", "grand_total", "ship_date")
    list_filter = (LateFilter, "status", "channel", "province")
    search_fields = ("number", "email")
    date_hierarchy = "placed_at"
    exclude = ("idempotency_key",)
    actions = [
        release_after_review,
        _hold_for(HoldReason.ADDRESS_DOUBT),
        _hold_for(HoldReason.DISCOUNT_MISUSE),
        *(_cancel_for(r.value) for r in rules.NON_ACCEPTANCE),
    ]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return (LineInline, RefundInline, CreditNoteInline, EventInline)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [f.name for f in Order._meta.fields if f.name != "idempotency_key"]
        if request.user.has_perm("orders.refund_order"):
            fields.insert(2, "refund_link")
        return fields

    @admin.display(description=_("Refund"))
    def refund_link(self, obj: Order) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("orders:refund", args=[obj.number]),
            _("Refund on this order (reason and email)"),
        )

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.refund_order")

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.review_order")


@admin.register(OrderToShip)
class OrderToShipAdmin(ReadOnlyAdmin):
    """What to ship and where: released orders, their lines and address; nothing else."""

    list_display = ("number", "ship_date", "province", "city")
    fields = (
        "number",
        "ship_date",
        "shipping_method",
        "contact_name",
        "phone",
        "address_lines",
        "city",
        "province",
        "postal_code",
        "country",
    )
    readonly_fields = fields
    inlines = (LineInline,)
    ordering = ("ship_date", "placed_at")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).filter(status=OrderStatus.RELEASED)
