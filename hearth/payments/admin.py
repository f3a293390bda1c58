"""Back office for finance: payments and their operations, read only. Refunds are made on the
order (orders' back office), never here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hearth.payments.models import Payment, PaymentOperation


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PaymentOperationInline(admin.TabularInline):
    model = PaymentOperation
    fields = ("at", "kind", "amount", "idempotency_key", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(_ReadOnly):
    list_display = (
        "payment_id",
        "reference",
        "method",
        "brand",
        "last4",
        "amount",
        "captured_amount",
        "refunded_amount",
        "status",
        "fraud_suspected",
        "created_at",
    )
    list_filter = ("status", "method", "brand", "fraud_suspected")
    search_fields = ("payment_id", "reference")
    fields = (
        "payment_id",
        "reference",
        "method",
        "brand",
        "last4",
        "amount",
        "captured_amount",
        "refunded_amount",
        "status",
        "decline_code",
        "fraud_suspected",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (PaymentOperationInline,)
    # No refund here: money goes back only through the order (orders.services.refund_order,
    # cancel_order), which cancels the shipment first, records a reason and emails the customer.
    actions = None


@admin.register(PaymentOperation)
class PaymentOperationAdmin(_ReadOnly):
    list_display = ("at", "kind", "payment", "amount", "idempotency_key", "actor")
    list_filter = ("kind",)
    search_fields = ("payment__payment_id", "idempotency_key")
    fields = ("at", "kind", "payment", "amount", "idempotency_key", "actor", "result")
    readonly_fields = fields
