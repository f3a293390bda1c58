"""Back office: staff create discount codes, see redemptions and review misuse flags (TOS-9)."""

from __future__ import annotations

from django.contrib import admin

from hearth.discounts.models import DiscountCode, DiscountMisuseFlag, DiscountRedemption


@admin.register(DiscountCode)
class DiscountCodeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "kind",
        "value",
        "min_spend",
        "valid_from",
        "valid_until",
        "max_uses",
        "max_uses_per_customer",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("code",)


@admin.register(DiscountRedemption)
class DiscountRedemptionAdmin(admin.ModelAdmin):
    list_display = ("code", "order_number", "amount", "at")
    search_fields = ("code__code", "order_number")
    readonly_fields = ("code", "order_number", "email_hash", "amount", "at")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(DiscountMisuseFlag)
class DiscountMisuseFlagAdmin(admin.ModelAdmin):
    """Shoppers who hit the invalid-code limit; staff mark each reviewed."""

    list_display = ("flagged_at", "attempts", "codes_tried", "reviewed")
    list_filter = ("reviewed",)
    list_editable = ("reviewed",)
    readonly_fields = ("shopper", "email_hash", "attempts", "codes_tried", "flagged_at")

    def has_add_permission(self, request: object) -> bool:
        return False
