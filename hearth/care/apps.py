from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "hearth.care"
    label = "care"
    verbose_name = _("Customer care")

    def ready(self) -> None:
        from hearth.care import registration

        registration.register()
