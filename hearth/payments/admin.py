"""Back office for finance: payments and their operations (read only), and refunds of the
remaining balance as an admin action (permission ``payments.refund_payment``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hearth.core.errors import DomainError
from hearth.payments import services
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
    actions = ("refund_remaining",)

    @admin.action(description=_("Refund the remaining balance"), permissions=["refund"])
    def refund_remaining(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        done = 0
        for payment in queryset:
            balance = services.status_of(payment).refundable
            if balance <= 0:
                continue
            try:
                services.refund(
                    payment_id=payment.payment_id,
                    amount=balance,
                    idempotency_key=f"admin-refund:{payment.payment_id}:{payment.refunded_amount}",
                    actor=request.user,
                )
            except DomainError as exc:
                self.message_user(request, f"{payment.payment_id}: {exc.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d payment refunded.", "%(count)d payments refunded.", done)
            % {"count": done},
        )

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.refund_payment")


@admin.register(PaymentOperation)
class PaymentOperationAdmin(_ReadOnly):
    list_display = ("at", "kind", "payment", "amount", "idempotency_key", "actor")
    list_filter = ("kind",)
    search_fields = ("payment__payment_id", "idempotency_key")
    fields = ("at", "kind", "payment", "amount", "idempotency_key", "actor", "result")
    readonly_fields = fields
