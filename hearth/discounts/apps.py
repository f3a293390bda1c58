from django.apps import AppConfig


class DiscountsConfig(AppConfig):
    name = "hearth.discounts"
    label = "discounts"
