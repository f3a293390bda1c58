from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "hearth.comms"
    label = "comms"
