from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hearth.comms import services
from hearth.comms.models import OutboundMessage, OutboxMessage
from hearth.core import clock


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """Every email Hearth sends: what is waiting, what went, what failed (and why), with a retry."""

    list_display = (
        "created_at",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "kind")
    search_fields = ("subject", "key", "message_id")
    date_hierarchy = "created_at"
    actions = ("retry",)
    exclude = ("attachments",)
    readonly_fields = (
        "key",
        "message_id",
        "kind",
        "status",
        "to_addresses",
        "from_address",
        "subject",
        "body",
        "html_body",
        "created_at",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "sent_at",
        "last_error",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:  # the system queues emails
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the retention purge deletes them

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("comms.change_outboundmessage")

    @admin.action(description=_("Retry sending the selected failed emails"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        count = services.retry_failed(
            outbound_ids=queryset.values_list("pk", flat=True), actor=request.user, at=clock.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d failed email queued again.",
                "%(count)d failed emails queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


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
