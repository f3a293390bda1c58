"""The privacy officer's back office in the Django admin.

Staff reads of personal data here are audited by the back-office site itself
(``privacy.staff_audit``), like every other admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hearth.core import audit, clock
from hearth.core.audit import AuditAction, ObjectRef
from hearth.core.errors import DomainError
from hearth.privacy import selectors, services
from hearth.privacy.models import (
    ConfidentialityIncident,
    ConsentRecord,
    DataRequest,
    DataRequestStatus,
    Disclosure,
    GpcSignalDay,
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


class IncidentForm(forms.ModelForm):
    """A new incident, or (with ``corrects``) a correction restating an earlier entry."""

    class Meta:
        model = ConfidentialityIncident
        fields = ("reference", "corrects", *services.INCIDENT_FACTS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "reference" in self.fields:  # the add form; an entry's own page is read-only
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _(
                "For a correction, the corrected entry's is kept."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        corrects = data.get("corrects")
        if corrects is None and not data.get("reference"):
            self.add_error("reference", _("A new incident needs a reference."))
        if corrects is not None and corrects.corrections.exists():
            self.add_error(
                "corrects", _("This entry was corrected already: correct its latest correction.")
            )
        return data

    def validate_unique(self) -> None:
        """A correction shares its reference; the service checks a new one is free."""


@admin.register(ConfidentialityIncident)
class ConfidentialityIncidentAdmin(admin.ModelAdmin):
    """The Law 25 register, append-only: entries are added, never edited or deleted before
    ``keep_until``; a correction is a new entry (link on each entry's page); the whole register
    exports as CSV for the Commission d'accès à l'information."""

    form = IncidentForm
    list_display = (
        "reference",
        "id",
        "corrects",
        "discovered_on",
        "people_affected",
        "serious_injury_risk",
        "commission_notified_on",
        "persons_notified_on",
        "recorded_at",
        "keep_until",
    )
    list_filter = ("serious_injury_risk",)
    search_fields = ("reference", "information_concerned", "circumstances")
    readonly_fields = ("recorded_at", "keep_until", "record_a_correction")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["reference", "corrects", *services.INCIDENT_FACTS]
        return (
            fields if obj is None else [*fields, "recorded_at", "keep_until", "record_a_correction"]
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # append-only: view, add, correct

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            obj is not None
            and clock.now().date() >= obj.keep_until
            and super().has_delete_permission(request, obj)
        )

    @admin.display(description=_("correction"))
    def record_a_correction(self, obj: ConfidentialityIncident) -> str:
        if obj.pk is None or obj.corrections.exists():
            return "—"
        url = reverse("admin:privacy_confidentialityincident_add") + f"?corrects={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Record a correction of this entry"))

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A correction starts from the entry it corrects."""
        initial = super().get_changeform_initial_data(request)
        wanted = request.GET.get("corrects", "")
        corrected = (
            ConfidentialityIncident.objects.filter(pk=wanted).first() if wanted.isdigit() else None
        )
        if corrected is not None:
            initial.update({name: getattr(corrected, name) for name in services.INCIDENT_FACTS})
            initial["reference"] = corrected.reference
        return initial

    def save_model(
        self, request: HttpRequest, obj: ConfidentialityIncident, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        facts = {name: data[name] for name in services.INCIDENT_FACTS}
        if data.get("corrects") is not None:
            entry = services.correct_incident(
                incident=data["corrects"], facts=facts, at=clock.now(), actor=request.user
            )
        else:
            entry = services.record_incident(
                reference=data["reference"], facts=facts, at=clock.now(), actor=request.user
            )
        obj.pk = entry.pk
        obj.reference, obj.keep_until, obj.recorded_at = (
            entry.reference,
            entry.keep_until,
            entry.recorded_at,
        )

    def get_urls(self) -> list[Any]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv),
            name="privacy_confidentialityincident_export",
        )
        return [export, *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> HttpResponse:
        """The whole register as CSV for a regulator (an audited export)."""
        if not self.has_view_permission(request):
            audit.record(
                actor=request.user,
                action=AuditAction.VIEW_REFUSED,
                obj=ObjectRef(label=ConfidentialityIncident._meta.label, pk=""),
            )
            raise PermissionDenied
        body = selectors.incident_register_csv()
        audit.record(
            actor=request.user,
            action=AuditAction.EXPORTED,
            obj=ObjectRef(label=ConfidentialityIncident._meta.label, pk=""),
        )
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="incident-register-{clock.now():%Y-%m-%d}.csv"'
        )
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {"export_url": reverse("admin:privacy_confidentialityincident_export")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


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


@admin.register(GpcSignalDay)
class GpcSignalDayAdmin(ReadOnlyAdmin):
    """Page views that carried Global Privacy Control, per day: a count, no identity."""

    list_display = ("day", "page_views")
