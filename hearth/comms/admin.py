from django.contrib import admin

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

    def has_add_permission(self, request):  # the outbox is written by the system only
        return False

    def has_change_permission(self, request, obj=None):
        return False
