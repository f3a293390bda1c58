"""The privacy officer's back office in the Django admin.

Staff reads of personal data here are audited by the back-office site itself
(``privacy.staff_audit``), like every other admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.privacy import services
from hearth.privacy.models import (
    ConfidentialityIncident,
    ConsentRecord,
    DataRequest,
    DataRequestStatus,
    Disclosure,
    PolicyAcknowledgement,
    PolicyDocument,
    Processor,
    RetentionHold,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "user",
        "household_id",
        "purpose",
        "granted",
        "kind",
        "expires_at",
        "policy_version",
        "source",
    )
    list_filter = ("purpose", "granted", "kind")
    search_fields = ("user__email", "source", "policy_version", "household_id")
    date_hierarchy = "at"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Also find records by an email address (its keyed hash; the address is encrypted)."""
        from hearth.privacy.crypto import keyed_hash

        results, duplicates = super().get_search_results(request, queryset, search_term)
        if "@" in search_term:
            results = results | queryset.filter(email_hash=keyed_hash(search_term))
        return results, duplicates


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("Overdue")), ("week", _("Due within 7 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = clock.now().date()
        open_ = queryset.filter(status__in=[DataRequestStatus.OPEN, DataRequestStatus.EXTENDED])
        if self.value() == "overdue":
            return open_.filter(deadline__lt=today)
        if self.value() == "week":
            return open_.filter(deadline__lte=today + dt.timedelta(days=7))
        return queryset


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    """The privacy officer's request queue. A guest's address shows decrypted on the request's
    page (the read is audited like every personal page); what the person wrote is read-only,
    only the officer's note is editable."""

    list_display = (
        "id",
        "requester",
        "kind",
        "status",
        "received_at",
        "deadline",
        "days_left",
        "extended_at",
    )
    list_filter = ("status", "kind", DeadlineFilter)
    search_fields = ("user__email",)
    ordering = ("deadline", "id")
    readonly_fields = (
        "user",
        "requester_email",
        "kind",
        "request_text",
        "status",
        "received_at",
        "deadline",
        "extended_at",
        "closed_at",
        "available_on",
        "extension_reason",
        "outcome",
    )
    fields = (*readonly_fields, "note")
    actions = ("extend_30_days", "mark_completed")

    @admin.display(description=_("requester"))
    def requester(self, obj: DataRequest) -> Any:
        return obj.user if obj.user_id is not None else _("guest (email on the request's page)")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Also find a guest's requests by their email address (its keyed hash)."""
        from hearth.privacy.crypto import keyed_hash

        results, duplicates = super().get_search_results(request, queryset, search_term)
        if "@" in search_term:
            address = search_term.strip().lower()
            results = results | queryset.filter(requester_email_hash=keyed_hash(address))
        return results, duplicates

    def save_model(self, request: HttpRequest, obj: DataRequest, form: Any, change: bool) -> None:
        services.annotate_data_request(
            request=obj, note=form.cleaned_data["note"], actor=request.user
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("days left"))
    def days_left(self, obj: DataRequest) -> int | str:
        if obj.closed_at is not None:
            return "—"
        return (obj.deadline - clock.now().date()).days

    @admin.action(description=_("Extend by 30 days (once)"), permissions=["change"])
    def extend_30_days(self, request: HttpRequest, queryset: QuerySet) -> None:
        for item in queryset:
            try:
                services.extend_data_request(
                    request=item,
                    reason=str(_("We need more time to gather your information.")),
                    at=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                self.message_user(request, f"#{item.pk}: {exc.message}", messages.ERROR)

    @admin.action(description=_("Mark completed"), permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset: QuerySet) -> None:
        for item in queryset:
            try:
                services.close_data_request(
                    request=item,
                    status=DataRequestStatus.COMPLETED,
                    outcome=str(_("Answered by the privacy officer.")),
                    at=clock.now(),
                    actor=request.user,
                )
            except DomainError as exc:
                self.message_user(request, f"#{item.pk}: {exc.message}", messages.ERROR)


@admin.register(Processor)
class ProcessorAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "purpose", "location", "active")
    search_fields = ("key", "name")


@admin.register(Disclosure)
class DisclosureAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "processor", "subject", "what", "why")
    list_filter = ("kind", "processor")
    search_fields = ("subject__email", "what", "why")
    date_hierarchy = "at"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConfidentialityIncident)
class ConfidentialityIncidentAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "discovered_on",
        "people_affected",
        "serious_injury_risk",
        "commission_notified_on",
        "persons_notified_on",
        "keep_until",
    )
    list_filter = ("serious_injury_risk",)
    search_fields = ("reference", "information_concerned", "circumstances")
    readonly_fields = ("recorded_at", "keep_until")

    def save_model(
        self, request: HttpRequest, obj: ConfidentialityIncident, form: Any, change: bool
    ) -> None:
        if not change:
            obj.recorded_at = clock.now()
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            obj is not None
            and clock.now().date() >= obj.keep_until
            and super().has_delete_permission(request, obj)
        )


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(admin.ModelAdmin):
    list_display = ("kind", "version", "effective_at", "last_updated", "material")
    list_filter = ("kind", "material")


@admin.register(PolicyAcknowledgement)
class PolicyAcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ("user", "document", "at")
    search_fields = ("user__email",)


@admin.register(RetentionHold)
class RetentionHoldAdmin(ReadOnlyAdmin):
    list_display = ("model", "object_pk", "retention", "purge_after", "purged_at")
    list_filter = ("retention",)
