from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "hearth.devices"
    label = "devices"
    verbose_name = "Devices"
