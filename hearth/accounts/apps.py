from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "hearth.accounts"
    label = "accounts"
    default = True

    def ready(self) -> None:
        from hearth.accounts.erasure import erase_account
        from hearth.privacy.erasure import register_eraser

        register_eraser(
            erase_account,
            models=["accounts.User", "otp_totp.TOTPDevice", "otp_static.StaticDevice"],
        )


class HearthAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with Hearth's back-office site (TOTP at sign-in) as ``admin.site``."""

    default = False
    default_site = "hearth.accounts.admin_site.HearthAdminSite"
