from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.fulfilment import services
from hearth.fulfilment.models import (
    DeliveryExceptionCase,
    KnownForwarder,
    Shipment,
    StockAdjustment,
    StockReceipt,
    TrackingEvent,
    Unit,
)


@admin.register(KnownForwarder)
class KnownForwarderAdmin(admin.ModelAdmin):
    """Warehouse staff extend the shipped list of forwarder addresses here (TOS-17)."""

    list_display = ("line", "postal_code", "note", "added_by", "added_at")
    search_fields = ("line", "postal_code", "note")
    readonly_fields = ("added_by", "added_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and obj.added_by_id is None:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the warehouse services only: the back office looks, never edits."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0
    fields = ("at", "kind", "code", "description", "location", "received_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = (
        "tracking_code",
        "order",
        "carrier",
        "service",
        "status",
        "promised_ship_date",
        "shipped_on",
    )
    list_filter = ("status", "carrier", "service")
    search_fields = ("tracking_code", "order__number")
    exclude = ("label_pdf",)
    inlines = (EventInline,)
    list_select_related = ("order",)


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("serial", "sku", "order_line", "captured_at", "shipped_on")
    search_fields = ("serial", "sku", "order_line__order__number")
    list_select_related = ("order_line",)


@admin.register(StockReceipt)
class StockReceiptAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "sku", "quantity", "reference", "received_by")
    search_fields = ("sku", "reference")


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ("at", "sku", "delta", "stock_after", "reason", "note", "actor")
    list_filter = ("reason",)
    search_fields = ("sku", "note")


@admin.register(DeliveryExceptionCase)
class DeliveryExceptionCaseAdmin(admin.ModelAdmin):
    """Customer care's queue of deliveries returned to sender or lost: open ones first.

    A care agent writes what was done in the note and saves: the case is resolved (once).
    """

    list_display = ("opened_at", "kind", "state", "order_number", "tracking_code", "resolved_by")
    list_filter = ("state", "kind")
    search_fields = ("shipment__tracking_code", "shipment__order__number")
    list_select_related = ("shipment__order", "resolved_by")
    fields = ("kind", "state", "shipment", "opened_at", "resolved_at", "resolved_by", "note")
    readonly_fields = ("kind", "state", "shipment", "opened_at", "resolved_at", "resolved_by")

    @admin.display(description=_("order"))
    def order_number(self, obj: DeliveryExceptionCase) -> str:
        return obj.shipment.order.number

    @admin.display(description=_("tracking code"))
    def tracking_code(self, obj: DeliveryExceptionCase) -> str:
        return obj.shipment.tracking_code

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            services.resolve_exception_case(
                case=obj, note=obj.note, actor=request.user, at=clock.now()
            )
        except DomainError as error:
            messages.error(request, str(error.message))
