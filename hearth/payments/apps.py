from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "hearth.payments"
    label = "payments"
