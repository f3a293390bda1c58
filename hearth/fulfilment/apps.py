from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "hearth.fulfilment"
    label = "fulfilment"
