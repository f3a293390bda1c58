from django.apps import AppConfig


class TaxConfig(AppConfig):
    name = "hearth.tax"
    label = "tax"
