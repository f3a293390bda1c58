"""Back-office pages of the accounts app. Viewing a customer's personal data is audited by the
back-office site itself (``privacy.staff_audit``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from hearth.accounts.models import Address, User


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


class _SecondFactorAdmin(admin.ModelAdmin):
    """Administrators see who has set up a second factor and remove a lost one (which also ends
    the sessions it verified). Never the secret or the codes: django-otp's own admin shows the
    key and a QR code, so it is replaced."""

    list_display = ("user", "name", "confirmed", "last_used_at")
    fields = ("user", "name", "confirmed", "last_used_at")
    readonly_fields = fields
    search_fields = ("user__email",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)
    admin.site.register(_device, _SecondFactorAdmin)
