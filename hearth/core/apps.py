from typing import Any

from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "hearth.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        checks.register(check_trusted_proxies, checks.Tags.security)

        from hearth.core.health import register_core_checks

        register_core_checks()


def check_trusted_proxies(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A mistyped HEARTH_TRUSTED_PROXIES fails at start, not by quietly trusting nobody."""
    from django.conf import settings

    from hearth.core.client_address import parse_networks

    try:
        parse_networks(getattr(settings, "HEARTH_TRUSTED_PROXIES", ()))
    except ValueError as exc:
        return [checks.Error(str(exc), id="hearth.E001")]
    return []
