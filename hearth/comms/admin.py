from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hearth.comms import campaigns, services
from hearth.comms.models import Campaign, CampaignStatus, OutboundMessage, OutboxMessage
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.places import Province


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
        "render_with",  # rendered at first delivery: the subject and body are empty until then
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


class CampaignForm(forms.ModelForm):
    """Compose: subject, Markdown body, filters; an optional time to send it."""

    language = forms.ChoiceField(label=_("Language"), required=False, choices=())
    provinces = forms.MultipleChoiceField(
        label=_("Provinces"),
        required=False,
        choices=[(p.value, p.value) for p in Province],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every province."),
    )
    product_skus = forms.MultipleChoiceField(
        label=_("Customers who bought"),
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every customer."),
    )
    send_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        help_text=_("Leave blank to keep it a draft; send it now with the action in the list."),
    )

    class Meta:
        model = Campaign
        fields = ("subject", "body", "language", "provinces", "product_skus", "send_at")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from hearth.catalog.models import Variant

        language_field = self.fields.get("language")  # absent once the campaign is sending
        if isinstance(language_field, forms.ChoiceField):
            language_field.choices = [("", _("Every language")), *settings.LANGUAGES]
        skus = self.fields.get("product_skus")
        if isinstance(skus, forms.MultipleChoiceField):
            skus.choices = [
                (v.sku, f"{v.sku}: {v.product}")
                for v in Variant.objects.select_related("product").order_by("sku")
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problems = campaigns.compliance_problems()
        if problems:
            raise forms.ValidationError(
                _(
                    "Campaigns cannot be saved: the sender identification or the unsubscribe "
                    "address is missing from the settings (%(what)s)."
                )
                % {"what": ", ".join(sorted(problems))},
                code="campaign_not_compliant",
            )
        send_at = data.get("send_at")
        if send_at is not None and send_at <= clock.now():
            self.add_error("send_at", _("Choose a time in the future."))
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Campaigns for the marketing role: compose, see the audience now (who is in, who is out
    and why), preview, test send to yourself, schedule or send now, cancel. Every change goes
    through ``hearth.comms.campaigns`` (audited)."""

    form = CampaignForm
    list_display = (
        "subject",
        "status",
        "send_at",
        "started_at",
        "sent_count",
        "bounced_count",
        "unsubscribed_count",
    )
    list_filter = ("status",)
    search_fields = ("subject",)
    actions = ("send_test_to_me", "send_now", "cancel")
    readonly_fields = (
        "status",
        "audience_now",
        "preview",
        "sender_name",
        "sender_mailing_address",
        "sender_contact",
        "unsubscribe_url",
        "unsubscribe_mailto",
        "audience_figures",
        "started_at",
        "finished_at",
        "sent_count",
        "bounced_count",
        "unsubscribed_count",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Campaign | None = None) -> list[str]:
        fixed = list(self.readonly_fields)
        if obj is not None and obj.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            fixed += ["subject", "body", "language", "provinces", "product_skus", "send_at"]
        return fixed

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # a campaign's figures are its record

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if "subject" not in data:
            return  # sending or sent: nothing of it can change here
        saved = campaigns.save_campaign(
            campaign=obj if change else None,
            subject=data["subject"],
            body=data["body"],
            language=data.get("language") or "",
            provinces=data.get("provinces") or [],
            product_skus=data.get("product_skus") or [],
            at=clock.now(),
            actor=request.user,
        )
        send_at = data.get("send_at")
        if send_at is not None and send_at != saved.send_at:
            saved = campaigns.schedule_campaign(
                campaign=saved, send_at=send_at, at=clock.now(), actor=request.user
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.display(description=_("Audience if sent now"))
    def audience_now(self, obj: Campaign) -> str:
        if obj.pk is None:
            return "-"
        if obj.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            figures = obj.audience_figures
        else:
            figures = campaigns.audience(obj, at=clock.now()).figures()
        return render_to_string("comms/admin/audience.html", {"figures": figures})

    @admin.display(description=_("Preview"))
    def preview(self, obj: Campaign) -> str:
        if obj.pk is None:
            return "-"
        message = campaigns.render(obj, address="customer@example.com")
        return render_to_string("comms/admin/preview.html", {"message": message})

    @admin.action(description=_("Send a test of the selected campaign to me"))
    def send_test_to_me(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        address = str(getattr(request.user, "email", "") or "")
        for item in queryset[:1]:
            campaigns.send_test(campaign=item, to=address, at=clock.now(), actor=request.user)
            self.message_user(
                request,
                _("A test was sent to %(address)s.") % {"address": address},
                messages.SUCCESS,
            )

    @admin.action(description=_("Send the selected campaigns now"))
    def send_now(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for item in queryset:
            try:
                started = campaigns.start_sending(campaign=item, at=clock.now(), actor=request.user)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
                continue
            self.message_user(
                request,
                _("“%(subject)s” is sending to %(size)d customers.")
                % {"subject": started.subject, "size": started.audience_figures.get("size", 0)},
                messages.SUCCESS,
            )

    @admin.action(description=_("Cancel the selected campaigns"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for item in queryset:
            try:
                campaigns.cancel_campaign(campaign=item, actor=request.user)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
