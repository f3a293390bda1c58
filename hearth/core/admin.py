"""The audit log in the back office: read-only, filterable by object and action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hearth.core.models import AuditEvent, UnsentTask


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "actor_kind",
        "actor",
        "system_actor",
        "action",
        "object_type",
        "object_id",
        "fields",
    )
    list_filter = ("action", "actor_kind", "object_type")
    search_fields = ("=object_id", "object_type", "=actor__id")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UnsentTask)
class UnsentTaskAdmin(admin.ModelAdmin):
    """Tasks the backend refused after their commit, waiting for the scheduler to enqueue them
    again (hearth.core.enqueue): an empty list means nothing is waiting."""

    list_display = ("task", "failed_at", "attempts", "error", "run_after")
    readonly_fields = ("task", "args", "run_after", "error", "failed_at", "attempts")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
