from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from hearth.comms.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "subject", "to_addresses")
    search_fields = ("subject",)
    readonly_fields = (
        "to_addresses",
        "from_address",
        "subject",
        "body",
        "html_body",
        "attachment_names",
        "created_at",
    )
    exclude = ("raw",)

    def has_add_permission(self, request: HttpRequest) -> bool:  # the system writes the outbox
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False
