"""The staff back office (Django admin) with a TOTP second factor at sign-in.

Installed as the default admin site through ``HearthAdminConfig`` (settings.INSTALLED_APPS), so
``admin.site`` everywhere is this site. A staff session reaches the back office only after the
admin login form checked password *and* authenticator code; signing in on the shop's own page
gives no back-office access. The second factor is django-otp's (``accounts.second_factor``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite, ModelAdmin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from hearth.accounts import second_factor
from hearth.accounts.forms import AdminTOTPAuthenticationForm
from hearth.privacy.staff_audit import audited_admin_class


class HearthAdminSite(AdminSite):
    site_header = _("Ember & Oak Audio back office")
    site_title = _("Hearth back office")
    index_title = _("Back office")
    login_template = "accounts/admin/login.html"  # adds the authenticator code field
    login_form = AdminTOTPAuthenticationForm
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
        """Staff, active, and past the second factor in this session (django-otp)."""
        user = request.user
        return bool(user.is_active and user.is_staff and user.is_verified())  # type: ignore[attr-defined]

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Django's admin sign-in with our form (password, then the second factor); once it
        signed the person in, the session is marked with the device that took the code."""
        response = super().login(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            device = getattr(request, "_hearth_otp_device", None)
            if device is not None and request.user.is_authenticated:
                second_factor.mark_verified(request, device)
        return response
