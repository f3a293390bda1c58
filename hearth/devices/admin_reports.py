"""Back office for the reports side: the care queue of dropout cases (PP-19) and partners.

Registered from ``admin.py`` (``from hearth.devices import admin_reports``). Care agents view
and close dropout cases (roles.toml); partners are created with ``manage.py create_partner``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hearth.core import clock
from hearth.devices.models_reports import DropoutCase, DropoutCaseStatus, Partner
from hearth.devices.outreach import close_case


@admin.register(DropoutCase)
class DropoutCaseAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "household_id",
        "service",
        "dropouts",
        "episode_start",
        "opened_at",
        "status",
    )
    list_filter = ("status", "service")
    search_fields = ("=household_id",)
    readonly_fields = (
        "household_id",
        "service",
        "dropouts",
        "episode_start",
        "opened_at",
        "status",
        "closed_at",
    )
    actions = ("close_cases",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Close the selected cases"), permissions=["change"])
    def close_cases(self, request: HttpRequest, queryset: QuerySet[DropoutCase]) -> None:
        at = clock.now()
        closed = 0
        for case_id in queryset.filter(status=DropoutCaseStatus.OPEN).values_list("id", flat=True):
            close_case(case_id=case_id, at=at, actor=request.user)
            closed += 1
        self.message_user(request, _("Closed %(n)d case(s).") % {"n": closed}, messages.SUCCESS)


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "active", "created_at")
    fields = ("name", "service", "active", "created_at")
    readonly_fields = ("service", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # manage.py create_partner: the token is printed once
