"""The staff back office (Django admin) with a TOTP second factor at sign-in.

Installed as the default admin site through ``HearthAdminConfig`` (settings.INSTALLED_APPS), so
``admin.site`` everywhere is this site. A staff session reaches the back office only after the
admin login form checked password *and* authenticator code; signing in on the shop's own page
gives no back-office access.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite, ModelAdmin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from hearth.privacy.staff_audit import audited_admin_class

TOTP_SESSION_KEY = "hearth_totp_verified_user"


def mark_second_factor(request: HttpRequest, user_pk: Any) -> None:
    request.session[TOTP_SESSION_KEY] = str(user_pk)


class HearthAdminSite(AdminSite):
    site_header = _("Ember & Oak Audio back office")
    site_title = _("Hearth back office")
    index_title = _("Back office")
    login_template = "accounts/admin/login.html"  # adds the authenticator code field
    index_template = "accounts/admin/index.html"  # the role home: queues above the apps

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        """Each person's home: the work queues of their roles, with counts and links."""
        from hearth.accounts.roles import roles_of
        from hearth.core.backoffice import queues_for

        user = request.user
        queues = queues_for(roles_of(user), every_role=bool(getattr(user, "is_superuser", False)))
        return super().index(request, {**(extra_context or {}), "role_queues": queues})

    def register(
        self, model_or_iterable: Any, admin_class: type[ModelAdmin] | None = None, **options: Any
    ) -> None:
        """Every admin gets the staff-read audit: a read of a model holding declared personal
        data writes one audit row, a refused one too (``privacy.staff_audit``)."""
        super().register(
            model_or_iterable, audited_admin_class(admin_class or ModelAdmin), **options
        )

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and request.session.get(TOTP_SESSION_KEY) == str(user.pk)
        )

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        from hearth.accounts.forms import AdminTOTPAuthenticationForm

        self.login_form = AdminTOTPAuthenticationForm
        response = super().login(request, extra_context)
        verified = getattr(request, "_hearth_totp_ok", None)
        if (
            request.method == "POST"
            and response.status_code == 302
            and request.user.is_authenticated
            and verified is not None
            and verified == request.user.pk
        ):
            mark_second_factor(request, request.user.pk)
        return response
