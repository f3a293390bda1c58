from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hearth.fulfilment.models import KnownForwarder


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
