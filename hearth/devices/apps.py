from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "hearth.devices"
    label = "devices"
    verbose_name = "Devices"

    def ready(self) -> None:
        from hearth.devices.services import follow_usage_consent
        from hearth.privacy.listeners import register_consent_listener
        from hearth.privacy.models import Purpose

        # One state, one truth: a usage-statistics withdrawal anywhere lowers the tier here.
        register_consent_listener(Purpose.PRODUCT_USAGE_ANALYTICS, follow_usage_consent)

        from hearth.devices.services import link_confirmed_households
        from hearth.privacy.subjects import register_linker

        register_linker("devices", link_confirmed_households)

        from hearth.devices import stream, stream_health

        # /readyz and /metrics know the telemetry stream when HEARTH_TELEMETRY_STREAM is set.
        if stream.stream_url():
            stream_health.register()
