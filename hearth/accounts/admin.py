"""Back-office pages of the accounts app. Viewing a customer's personal data is audited by the
back-office site itself (``privacy.staff_audit``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hearth.accounts.models import Address, TOTPDevice, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("email",)
    ordering = ("email",)
    fields = ("email", "full_name", "is_active", "is_staff", "groups", "date_joined", "last_login")
    readonly_fields = ("date_joined", "last_login")
    filter_horizontal = ("groups",)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            obj.set_unusable_password()  # the person chooses one through "forgot password"
        super().save_model(request, obj, form, change)


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "label", "province", "country")
    list_filter = ("province",)
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
    fields = (
        "user",
        "label",
        "name",
        "lines",
        "city",
        "province",
        "postal_code",
        "country",
        "phone",
    )


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    """Administrators see who has set up an authenticator and remove a lost one."""

    list_display = ("user", "confirmed_at")
    fields = ("user", "confirmed_at")
    readonly_fields = ("user", "confirmed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
